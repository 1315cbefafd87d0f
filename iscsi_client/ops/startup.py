"""node.startup and node.conn[0].startup together (iscsiadm keeps both; boot logins need both)."""

from __future__ import annotations

TYPE_CHECKING = False  # a teardown imports this module before its first exec: no typing, enum nor node_settings
if TYPE_CHECKING:
    from collections.abc import Sequence

    from iscsi_client.model import Iqn, Node, Portal
    from iscsi_client.startup_mode import Startup
    from iscsi_client.system.iscsiadm import Iscsiadm
    from iscsi_client.system.root import Root

KEYS = ("node.startup", "node.conn[0].startup")  # iscsiadm keeps both; boot logins need both
MODES = ("automatic", "manual", "onboot")  # Startup's values, known here without loading enum


def set_startup(*, root: Root, adm: Iscsiadm, target: Iqn, portal: Portal | None,
                mode: Startup) -> tuple[list[Node], list[Node]]:
    """Returns (records changed, records already in that mode). One exec for all that need it; under
    --root (an image, no iscsiadm) the record files are edited directly."""
    from iscsi_client.ops.node_settings import set_node_values

    done = set_node_values(root=root, adm=adm, target=target, portal=portal,
                           settings=[(key, mode.value) for key in KEYS])
    return done.changed, done.unchanged


def startup_todo(root: Root, targets: Sequence[Iqn], mode: str) -> tuple[list[Iqn], bool]:
    """What set_startup_of_targets would change, read and nothing else: the targets with a record whose
    startup lines are not ``mode``, and whether these targets' records are every record there is. Only the
    two startup lines of each record are read, and nothing more is loaded (a teardown reads this while its
    maps flush, before the logout)."""
    from iscsi_client.system import nodedb

    value = str(mode)  # a StrEnum's str is its value
    if value not in MODES:
        raise ValueError(f"not a node.startup mode: {value!r}")
    wanted = set(targets)
    records = nodedb.record_values(root, KEYS)
    todo = sorted({t for t, rec in records if t in wanted and any(v != value for v in rec.values())}, key=str)
    return todo, all(t in wanted for t, _ in records)


def set_startup_of_targets(*, root: Root, adm: Iscsiadm, targets: Sequence[Iqn], mode: str,
                           todo: tuple[list[Iqn], bool] | None = None) -> list[Iqn]:
    """The mode (a Startup, or its value: a teardown passes "manual" and loads no enum) on every record of
    these targets; returns the targets whose records changed. ``todo`` is startup_todo's answer when the caller
    read it already; when every record has the mode, nothing else is loaded or run. When these targets'
    records are all the records there are (`isc logout --all --teardown`), ONE exec updates them all
    (`iscsiadm -m node -o update`, as --logoutall=all is one exec): 32 targets took 32 execs, 5.7 s in the
    TCG lab guest. Otherwise one exec per target that needs it, side by side; a target whose update fails is
    left out of the answer (its records keep their mode), as are targets that need nothing."""
    value = str(mode)
    settings = [(key, value) for key in KEYS]
    changing, every_record = todo if todo is not None else startup_todo(root, targets, value)
    if not changing:
        return []
    from iscsi_client import fanout
    from iscsi_client.errors import IscError
    from iscsi_client.startup_mode import Startup
    from iscsi_client.system.iscsiadm import update_args

    if root.is_live and every_record:
        try:
            adm.run(["-m", "node", *update_args(settings)], mutating=True,
                    action=f"setting node.startup {value} on every record ({len(changing)} targets)")
        except IscError:
            return []
        return changing

    def one(target: Iqn) -> Iqn | None:
        try:
            set_startup(root=root, adm=adm, target=target, portal=None, mode=Startup(value))
        except IscError:
            return None
        return target

    return [t for t in fanout.each(one, changing, parallel=1 if adm.dry_run else fanout.IN_FLIGHT) if t is not None]
