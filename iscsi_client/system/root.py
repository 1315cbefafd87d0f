"""Every host path isc reads or writes resolves under one root directory (``--root``, like
``systemctl --root``). Under a root other than ``/`` isc reads and writes files only: it never runs
iscsiadm, udevadm or multipathd against the live host."""

from __future__ import annotations

import builtins
import os

from iscsi_client.errors import RootModeError
from iscsi_client.records import cached, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


@record
class Root:
    # the directory (a str or a Path); pathlib is imported only when a Path is asked for: the commands that
    # read sysfs (status, logout, ...) take plain strings (root.str), and pathlib with what it imports
    # (fnmatch, urllib.parse) is about 35 ms of start-up in the TCG lab guest
    path: str | os.PathLike[str] = "/"

    @cached
    def is_live(self) -> bool:
        return self._prefix == "/"

    def __call__(self, host_path: str | os.PathLike[str]) -> Path:
        """The location of an absolute host path (``/etc/iscsi``) under this root."""
        from pathlib import Path

        p = os.fspath(host_path)
        if not p.startswith("/"):
            raise ValueError(f"host paths are absolute: {p!r}")
        return Path(p) if self.is_live else Path(self._prefix, p.lstrip("/"))

    def str(self, host_path: str) -> str:
        """Like calling the root, as a plain string (cheaper in hot loops over sysfs)."""
        return host_path if self.is_live else os.path.join(self._prefix, host_path.lstrip("/"))

    @cached
    def _prefix(self) -> builtins.str:
        return os.fspath(self.path)

    def realpath(self, host_path: builtins.str | os.PathLike[builtins.str]) -> builtins.str:
        """Resolve symlinks the way the host would, staying inside the root; returns a host path.

        sysfs is a tree of relative symlinks, and snapshots of it keep them; an absolute link target is
        taken relative to the root, never to the live host."""
        if self.is_live:
            return os.path.realpath(host_path)
        parts = [x for x in os.fspath(host_path).split("/") if x]
        resolved: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == ".":
                continue
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = self.str("/" + "/".join([*resolved, part]))
            if hops < 64 and os.path.islink(candidate):
                hops += 1
                link = os.readlink(candidate)
                if link.startswith("/"):
                    resolved = []
                parts = [x for x in link.split("/") if x] + parts
                continue
            resolved.append(part)
        return "/" + "/".join(resolved)

    def require_live(self, what: builtins.str) -> None:
        if not self.is_live:
            raise RootModeError(
                f"{what} needs the live host, but isc runs with --root {self.path}",
                hint="under --root isc only reads and writes files; run it without --root",
            )
