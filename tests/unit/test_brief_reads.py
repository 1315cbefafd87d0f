"""A logout's brief reads (sysfs.read_sessions and blockdev.session_views with brief=True): the same sessions,
disks, maps, holders and mounts as the full read of the lab's snapshots, without the attributes a logout does
not look at, and without opening their files."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest
from refdata import FIXTURES, lab_snapshot

from iscsi_client.system import blockdev, sysfs
from iscsi_client.system.root import Root

SKIPPED = ("state", "recovery_tmo", "initiatorname", "type", "vendor", "model")


@pytest.mark.parametrize("snapshot", sorted(p.name.removesuffix(".tar.gz")
                                            for p in (FIXTURES / "lab-root").glob("*.tar.gz")))
def test_brief_views_are_the_full_views_less_the_states_and_scsi_details(tmp_path, snapshot: str):
    root = Root(lab_snapshot(tmp_path, snapshot))
    full = blockdev.session_views(root)
    assert full and any(lun.disk for v in full for lun in v.luns)
    reads: list[str] = []
    listening = [True]  # an audit hook stays for the life of the process: it collects only until this ends

    def hook(event: str, args: tuple[object, ...]) -> None:
        if listening[0] and event == "open" and isinstance(args[0], str) and args[0].startswith(str(root.path)):
            reads.append(args[0])

    sys.addaudithook(hook)
    brief = blockdev.session_views(root, brief=True)
    listening[0] = False

    expected = [replace(v, session=replace(v.session, state=None, connection_state=None, initiator=None,
                                           recovery_tmo=None),
                        luns=tuple(replace(lun, state=None, kind=None, inquiry=None) for lun in v.luns))
                for v in full]
    assert brief == expected
    assert [s for s in sysfs.read_sessions(root, brief=True)] == [v.session for v in expected]
    assert reads and not [p for p in reads if p.rsplit("/", 1)[1] in SKIPPED], reads


def test_a_teardown_reads_briefly(tmp_path):
    """`isc logout --all --teardown` up to its first command (refused under --root) opens none of the skipped
    attributes: the logout asks for the brief reads."""
    import subprocess

    root = str(lab_snapshot(tmp_path))
    code = ("import sys; seen = []\n"
            "sys.addaudithook(lambda e, a: seen.append(a[0]) if e == 'open' and isinstance(a[0], str) else None)\n"
            f"sys.argv = ['isc', '--root', {root!r}, 'logout', '--all', '--teardown', '--unmount']\n"
            "from iscsi_client.cli.entry import main\n"
            "try:\n    main()\nfinally:\n"
            f"    sys.stderr.write('\\nREAD ' + ' '.join(p for p in seen if p.startswith({root!r})))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "unmounting /srv/data needs the live host" in r.stderr, r.stderr
    read = r.stderr.rsplit("\nREAD ", 1)[1].split()
    assert any(p.endswith("/targetname") for p in read), read
    assert not [p for p in read if p.rsplit("/", 1)[1] in SKIPPED], read
