"""CHAP credentials on node records: all settings of one command in ONE iscsiadm exec per target."""

from __future__ import annotations

from iscsi_client.errors import UsageError
from iscsi_client.model import Iqn, Node, Portal, Secret, validate_chap
from iscsi_client.ops.nodes import select_nodes
from iscsi_client.records import record
from iscsi_client.system import nodedb
from iscsi_client.system.iscsiadm import Arg, Iscsiadm, node_selector, update_args
from iscsi_client.system.root import Root


@record
class ChapRequest:
    user: str | None = None
    secret: Secret | None = None
    mutual_user: str | None = None
    mutual_secret: Secret | None = None
    clear: bool = False
    allow_long: bool = False

    def settings(self) -> list[tuple[str, Arg]]:
        """The record settings, validated before anything is written."""
        if self.clear:
            return [("node.session.auth.authmethod", "None"),
                    ("node.session.auth.username", ""), ("node.session.auth.password", ""),
                    ("node.session.auth.username_in", ""), ("node.session.auth.password_in", "")]
        if not self.user or self.secret is None:
            raise UsageError("CHAP needs a user name and a secret", hint="--user NAME and a secret source "
                             "(--password-file, --password-stdin, ISC_CHAP_PASSWORD or the prompt)")
        validate_chap(self.user, self.secret, strict_max=not self.allow_long)
        out: list[tuple[str, Arg]] = [("node.session.auth.authmethod", "CHAP"),
                                      ("node.session.auth.username", self.user),
                                      ("node.session.auth.password", self.secret)]
        if (self.mutual_user is None) != (self.mutual_secret is None):
            raise UsageError("mutual CHAP needs both --mutual-user and a mutual secret")
        if self.mutual_user is not None and self.mutual_secret is not None:
            validate_chap(self.mutual_user, self.mutual_secret, role="mutual CHAP",
                          strict_max=not self.allow_long)
            if self.mutual_secret.reveal() == self.secret.reveal():
                raise UsageError("the mutual secret must differ from the initiator's secret",
                                 hint="RFC 3720 11.1.4 forbids using the same secret in both directions")
            out += [("node.session.auth.username_in", self.mutual_user),
                    ("node.session.auth.password_in", self.mutual_secret)]
        else:
            out += [("node.session.auth.username_in", ""), ("node.session.auth.password_in", "")]
        return out


def set_chap(*, root: Root, adm: Iscsiadm, target: Iqn, portal: Portal | None,
             request: ChapRequest) -> list[Node]:
    settings = request.settings()  # validation first: bad input changes nothing
    nodes = select_nodes(root=root, target=target, portal=portal)
    adm.run([*node_selector(target, portal.without_tpgt() if portal else None), *update_args(settings)],
            mutating=True, action=f"setting CHAP on {target}")
    return nodes


def chap_in_place(root: Root, target: Iqn, request: ChapRequest) -> bool:
    """Every record of the target already holds these credentials (compared in memory, never shown)."""
    want = {k: (v.reveal() if isinstance(v, Secret) else v) for k, v in request.settings()}
    records = [rec for _, rec in nodedb.read_records(root, target=target)]
    return bool(records) and all((rec.get(k) or "") == v for rec in records for k, v in want.items())


def discovery_chap_settings(kind: str, user: str, secret: Secret, allow_long: bool,
                            mutual_user: str | None = None,
                            mutual_secret: Secret | None = None) -> list[tuple[str, Arg]]:
    """Discovery CHAP for a discovery record (kind: sendtargets; iscsiadm has none for iSNS), validated."""
    validate_chap(user, secret, role="discovery CHAP", strict_max=not allow_long)
    prefix = f"discovery.{kind}.auth"
    out: list[tuple[str, Arg]] = [(f"{prefix}.authmethod", "CHAP"), (f"{prefix}.username", user),
                                  (f"{prefix}.password", secret)]
    if mutual_user is not None and mutual_secret is not None:
        validate_chap(mutual_user, mutual_secret, role="mutual discovery CHAP", strict_max=not allow_long)
        if mutual_secret.reveal() == secret.reveal():
            raise UsageError("the mutual secret must differ from the initiator's secret",
                             hint="RFC 3720 11.1.4 forbids using the same secret in both directions")
        return [*out, (f"{prefix}.username_in", mutual_user), (f"{prefix}.password_in", mutual_secret)]
    return [*out, (f"{prefix}.username_in", ""), (f"{prefix}.password_in", "")]


def discovery_chap_cleared(kind: str) -> list[tuple[str, Arg]]:
    """A discovery record without CHAP (for a portal whose target no longer asks for it)."""
    prefix = f"discovery.{kind}.auth"
    return [(f"{prefix}.authmethod", "None"), (f"{prefix}.username", ""), (f"{prefix}.password", ""),
            (f"{prefix}.username_in", ""), (f"{prefix}.password_in", "")]
