"""Safe changes to system files: validate first, back up, write atomically, keep the mode."""

from __future__ import annotations

import errno
import os
import stat
import time

TYPE_CHECKING = False  # pathlib is imported by whoever makes a Path (Root's __call__), not here
if TYPE_CHECKING:
    from pathlib import Path


def dir_exists(path: str | os.PathLike[str]) -> bool:
    """Whether a directory exists, where a directory this user may not look into is an error (PermissionError),
    never 'absent': os.path.isdir() answers False for any error, and 'no node records' would be a lie when
    /etc/iscsi is root-only. (Python 3.11's Path.is_dir() raises too; this does not depend on the version.)"""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False


def usable_path_argument(value: str, *, directory: bool) -> bool:
    """Whether a path given on the command line passes click.Path's checks (exists=False, readable=True): a
    missing path passes; an existing one must be readable and, where a directory is asked for, not a regular
    file. Paths on the command line are the user's, never resolved under --root (cli/direct.py asks)."""
    try:
        st = os.stat(value)
    except OSError:
        return True
    return not (directory and stat.S_ISREG(st.st_mode)) and os.access(value, os.R_OK)


_CHUNK = 65536


def read_bytes(path: str | os.PathLike[str], *, one_read: bool = False) -> bytes:
    """A file's bytes, with os.open and os.read: four system calls (open, a read, the empty read that finds
    the end, close) where open() and read() make six or seven (fstat, lseek, ...). Under emulation (the TCG
    lab) each costs about 0.1 ms, and status reads some twenty files per session. A seq_file (mountinfo)
    gives at most a page per read, so the reads go on to the end. ``one_read``: a sysfs attribute (or a small
    regular file) comes whole in one read, since its show() fills at most a page: the read that would find
    the end is left out unless the first one filled the buffer. Raises OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, _CHUNK)]
        if not (one_read and len(chunks[0]) < _CHUNK):
            while chunks[-1]:
                chunks.append(os.read(fd, _CHUNK))
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_text(path: str | os.PathLike[str]) -> str | None:
    """A system file as text, every byte kept: what is not UTF-8 (a latin-1 comment in an old fstab) becomes
    a lone surrogate (surrogateescape), and write_atomic writes the same bytes back. None when it does not
    exist; any other error (a file this user may not read) is raised: 'absent' would be a lie."""
    try:
        return read_bytes(path).decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return None


def read_head(path: Path, size: int = 64) -> bytes | None:
    """The first bytes of a file; None when there is none (a directory is the caller's error to name)."""
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except FileNotFoundError:
        return None


def backup(path: Path) -> Path | None:
    """Copy ``path`` to ``path.isc-YYYYmmddTHHMMSS`` (metadata kept); None when it does not exist."""
    if not path.exists():
        return None
    stamp = time.strftime("%Y%m%dT%H%M%S")
    dest = path.with_name(f"{path.name}.isc-{stamp}")
    n = 1
    while dest.exists():
        dest = path.with_name(f"{path.name}.isc-{stamp}.{n}")
        n += 1
    import shutil  # here, not at the top: reading files (a TAB press) does not pay for it

    try:
        shutil.copy2(path, dest)
    except BaseException:  # a full disk: no half-copied backup left behind
        dest.unlink(missing_ok=True)
        raise
    return dest


TEMP_SUFFIX = ".isc-tmp"


def _remove_stale_temps(path: Path) -> None:
    """Temp files of writes to ``path`` whose isc was killed (SIGKILL, a power cut) before its rename: their
    names carry the writer's pid, and one whose process is gone is removed."""
    prefix = f".{path.name}."
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid = name[len(prefix):].split(".", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            os.unlink(path.parent / name)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_empty(made: list[Path]) -> None:
    """The directories a failed write created (deepest first), where they are still empty."""
    for d in made:
        try:
            d.rmdir()
        except OSError:
            return


def no_room(directory: str | os.PathLike[str], need: int, inodes: int = 2) -> tuple[int, str] | None:
    """Why ``need`` bytes in ``inodes`` new files could not be written in ``directory`` now: (errno.EROFS, "")
    or (errno.ENOSPC, what runs short), or None. A filesystem can run out of inodes with blocks to spare (many
    small files: the node database is one): each file, and each directory iscsiadm makes, takes one. isc runs
    as root, so the blocks and inodes reserved for root count as free."""
    try:
        st = os.statvfs(directory)
    except FileNotFoundError:
        return None  # made by the write itself, which then says what stops it
    if st.f_flag & os.ST_RDONLY:
        return errno.EROFS, ""
    if st.f_bfree * st.f_frsize < need:
        return errno.ENOSPC, f"less than {need // 1024} KiB free"
    if st.f_files and st.f_ffree < inodes:  # 0 inodes in all: the filesystem does not count them (btrfs)
        return errno.ENOSPC, f"{st.f_ffree} free inodes, fewer than {inodes}"
    return None


def check_room(path: Path, size: int) -> None:
    """Raise the OSError write_atomic would meet (read-only, or no room for the temp file and the backup of a
    ``size``-byte file), before a step that cannot be undone (mkfs) runs ahead of the write."""
    short = no_room(path.parent, 2 * (size // 4096 + 1) * 4096)  # the new file beside the old one's backup
    if short is not None:
        raise OSError(short[0], os.strerror(short[0]), str(path))


def write_atomic(path: Path, text: str, *, mode: int | None = None, keep_backup: bool = True) -> Path | None:
    """Replace ``path`` with ``text``: temp file in the same directory (exclusive create), fsync, backup of
    the old file, rename, fsync the directory. Returns the backup path, if one was made. A failure at any
    step (a full or read-only filesystem) leaves the old file, and no temp file or backup of this call."""
    import tempfile  # here, not at the top: reading files (a TAB press) does not pay for it

    made = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    old_mode = path.stat().st_mode & 0o7777 if path.exists() else None
    saved = None
    try:
        _remove_stale_temps(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except BaseException as e:
        _remove_empty(made)
        if isinstance(e, OSError):  # name the file isc was replacing, not its temp file
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode if mode is not None else (old_mode if old_mode is not None else 0o644))
        saved = backup(path) if keep_backup else None
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if saved is not None:
            saved.unlink(missing_ok=True)
        _remove_empty(made)
        if isinstance(e, OSError) and e.filename is None:  # a failed write names no file: name the one isc was writing
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise
    dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return saved
