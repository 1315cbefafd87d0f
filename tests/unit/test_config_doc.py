"""The configuration document: render -> parse gives back what was dumped, for any valid content; bad
documents are refused with the entry at fault; the secrets file is guarded."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iscsi_client.errors import UsageError
from iscsi_client.model import DiscoveryRecord, Iface, Iqn, Portal
from iscsi_client.ops.config import read_secrets
from iscsi_client.parsers.config_doc import SETTINGS, ConfigDoc, MountEntry, NodeEntry, parse, render

label = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
iqns = st.builds(lambda y, m, a, b, u: Iqn.parse(f"iqn.{y}-{m:02d}.{a}.{b}:{u}"),
                 st.integers(1990, 2030), st.integers(1, 12), label, label, label)
portals = st.one_of(
    st.builds(lambda a, b, p, t: Portal.parse(f"10.{a}.{b}.1:{p}{t}"), st.integers(0, 255), st.integers(0, 255),
              st.integers(1, 65535), st.sampled_from(["", ",1", ",7"])),
    st.builds(lambda a, p: Portal.parse(f"[fd00::{a:x}]:{p}"), st.integers(1, 0xffff), st.integers(1, 65535)),
)
words = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True)
nodes = st.builds(
    NodeEntry, iqns, portals, st.sampled_from(["default", "iface-eth1"]),
    st.sampled_from(["automatic", "manual", "onboot"]), st.one_of(st.none(), words), st.one_of(st.none(), words),
    st.lists(st.tuples(st.sampled_from(SETTINGS), words), unique_by=lambda x: x[0], max_size=4).map(tuple),
    st.booleans(),  # login: the desired state isc apply logs in to
)
ifaces = st.builds(lambda n, d: Iface(n, "tcp", None, None, d), words, words)
mounts = st.builds(lambda t, lun, m: MountEntry(str(t), lun, f"/srv/{m}", "xfs", "_netdev,nofail", "UUID=x"),
                   iqns, st.integers(0, 255), words)

discovery = st.one_of(
    st.builds(lambda p, u, m: DiscoveryRecord(p.without_tpgt(), "sendtargets", "CHAP" if u else "None", u,
                                              m if u else None),
              portals, st.one_of(st.none(), words), st.one_of(st.none(), words)),
    st.builds(lambda p: DiscoveryRecord(p.without_tpgt(), "isns"), portals),
)


@given(st.one_of(st.none(), iqns.map(str)), st.lists(ifaces, max_size=3), st.lists(nodes, max_size=5),
       st.lists(mounts, max_size=3), st.lists(discovery, max_size=3))
def test_render_then_parse_round_trips(initiator, ifs, ns, ms, ds):
    doc = ConfigDoc(initiator, tuple(ifs), tuple(ns), tuple(ms), tuple(ds))
    text = render(doc, version="test")
    assert parse(text) == doc
    # one entry per [[section]], one key per line, however long the values: stable diffs
    assert "{" not in text
    assert text.count("[[nodes]]") == len(ns) and text.count("[[discovery]]") == len(ds)
    assert render(parse(text), version="test") == text


@pytest.mark.parametrize(("text", "needle"), [
    ("schema_version = 2\n", "schema_version 2 is not 1"),
    ("schema_version = 1\n[[nodes]]\ntarget = 'iqn.2003-01.org.example:d'\nportal = '10.0.0.1'\nstartup = 'often'\n",
     "nodes[0] (iqn.2003-01.org.example:d): startup 'often'"),
    ("schema_version = 1\n[[nodes]]\ntarget = 'iqn.bad'\nportal = '10.0.0.1'\n", "iqn.bad"),
    ("schema_version = 1\n[[nodes]]\ntarget = 'iqn.2003-01.org.example:d'\nportal = '10.0.0.1'\n"
     "[nodes.settings]\n'node.session.auth.password' = 'x'\n", "isc chap"),
    ("schema_version = 1\n[[ifaces]]\nname = 'a'\n", "give netdev, hwaddress or initiator_name"),
    ("schema_version = 1\n[[discovery]]\nportal = '10.0.0.1'\ntype = 'slp'\n", "discovery[0]: type 'slp'"),
    ("schema_version = 1\n[[discovery]]\nportal = '10.0.0.1'\ntype = 'isns'\nchap_user = 'u'\n",
     "discovery[0] (10.0.0.1:3205): open-iscsi has no CHAP for iSNS"),
    ("schema_version = 1\n[[discovery]]\nportal = '10.0.0.1'\nmutual_user = 'u'\n", "mutual_user needs chap_user"),
    ("schema_version = 1\n[[ifaces]]\nname = 'a'\nnetdev = 'eth1'\nhwaddress = '52:54:00:12:34:56'\n",
     "not both"),
    ("schema_version = [\n", "not a valid TOML document"),
])
def test_bad_documents_are_refused_naming_the_entry(text, needle):
    with pytest.raises(UsageError) as e:
        parse(text)
    assert needle in e.value.message


def test_secrets_file_must_be_private_and_never_quoted(tmp_path):
    f = tmp_path / "secrets.toml"
    f.write_text('["iqn.2003-01.org.example:d"]\npassword = "s3cretS3cret99"\n')
    os.chmod(f, 0o644)
    with pytest.raises(UsageError) as e:
        read_secrets(f)
    assert "chmod 600" in (e.value.hint or "")
    os.chmod(f, 0o600)
    got = read_secrets(f)
    assert got.targets["iqn.2003-01.org.example:d"].secret.reveal() == "s3cretS3cret99"
    assert "s3cretS3cret99" not in repr(got)
    f.write_text('["iqn.2003-01.org.example:d"]\npassword = "s3cretS3cret99"\n'
                 '[discovery."10.0.0.1"]\npassword = "discS3cret999"\n')
    got = read_secrets(f)
    assert got.discovery["10.0.0.1:3260"].secret.reveal() == "discS3cret999"
    assert "discS3cret999" not in repr(got)
    f.write_text('["iqn.2003-01.org.example:d"]\npassword = "s3cretS3cret99\n')  # unterminated string
    with pytest.raises(UsageError) as e:
        read_secrets(f)
    assert "s3cretS3cret99" not in e.value.message + (e.value.hint or "")


def test_a_desired_state_says_login_and_mkfs_and_nothing_else_is_a_flag():
    text = ('schema_version = 1\n[[nodes]]\ntarget = "iqn.2003-01.org.example:d1"\nportal = "192.0.2.10:3260"\n'
            'login = true\n[[mounts]]\ntarget = "iqn.2003-01.org.example:d1"\nlun = 0\nmountpoint = "/srv/d"\n'
            'fstype = "xfs"\noptions = "_netdev,nofail"\nspec = "UUID=x"\nmkfs = true\n')
    doc = parse(text)
    assert doc.nodes[0].login and doc.mounts[0].mkfs
    assert "mkfs" not in render(doc, version="t")  # a dump never asks for a new filesystem
    with pytest.raises(UsageError, match=r"nodes\[0\]: login must be true or false"):
        parse(text.replace("login = true", 'login = "yes"'))


NODE = ('schema_version = 1\n[[nodes]]\ntarget = "iqn.2003-01.org.example:d1"\nportal = "192.0.2.10"\n'
        'chap_user = "alice"\n')


@pytest.mark.parametrize(("extra", "needle"), [
    ('password = "s3cretS3cret99"\n', "password holds a secret inside the document"),
    ('mutual_password = "s3cretS3cret99"\n', "mutual_password holds a secret inside the document"),
    ('password_file = "s3cretS3cret99"\n', "is not an absolute path"),  # a secret typed in the wrong key
    ('mutual_user = "tgt"\npassword_file = "/root/a"\n', "mutual_user and mutual_password_file go together"),
    ('mutual_password_file = "/root/m"\n', "needs chap_user and password_file"),
])
def test_a_document_names_secret_files_and_never_holds_a_secret(extra, needle):
    with pytest.raises(UsageError) as e:
        parse(NODE + extra)
    assert needle in e.value.message
    assert "s3cretS3cret99" not in e.value.message + (e.value.hint or "")


def test_secret_files_named_in_the_document_are_read_guarded_and_never_kept(tmp_path):
    from iscsi_client.ops.config import Secrets, with_secret_files

    secret, mutual = tmp_path / "alice.secret", tmp_path / "tgt.secret"
    secret.write_text("s3cretS3cret99\n")
    mutual.write_text("mutualSecret42\nignored second line\n")
    for f in (secret, mutual):
        os.chmod(f, 0o600)
    text = (NODE + f'mutual_user = "tgt"\npassword_file = "{secret}"\nmutual_password_file = "{mutual}"\n'
            + NODE.split("\n", 1)[1].replace("192.0.2.10", "192.0.2.11") + f'password_file = "{secret}"\n')
    with pytest.raises(UsageError, match="name different secret files"):
        parse(text)  # the second record of the same target names other files
    doc = parse(NODE + f'mutual_user = "tgt"\npassword_file = "{secret}"\nmutual_password_file = "{mutual}"\n'
                + '[[discovery]]\nportal = "192.0.2.10"\nchap_user = "disc"\n'
                + f'password_file = "{secret}"\n')
    got = with_secret_files(doc, Secrets())
    chap = got.targets["iqn.2003-01.org.example:d1"]
    assert chap.secret.reveal() == "s3cretS3cret99" and chap.mutual and chap.mutual.reveal() == "mutualSecret42"
    assert got.discovery["192.0.2.10:3260"].secret.reveal() == "s3cretS3cret99"
    assert "s3cretS3cret99" not in repr(got) + repr(doc)
    assert str(secret) not in render(doc, version="t")  # a dump names no file of the host's

    from iscsi_client.model import Secret
    from iscsi_client.ops.config import ChapSecrets
    both = Secrets({"iqn.2003-01.org.example:d1": ChapSecrets(Secret("other0secret00"))})
    with pytest.raises(UsageError, match="a secret in the secrets file and a password_file"):
        with_secret_files(doc, both)
    os.chmod(mutual, 0o640)
    with pytest.raises(UsageError) as e:
        with_secret_files(doc, Secrets())
    assert "readable by group or others" in e.value.message and "chmod 600" in (e.value.hint or "")
    secret.write_text("")
    os.chmod(mutual, 0o600)
    with pytest.raises(UsageError, match="is empty"):
        with_secret_files(doc, Secrets())


def test_the_readme_example_is_a_document_apply_takes():
    """README.md's annotated `isc apply` example parses as the document it shows (one login record, one mount)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = re.search(r"\n    schema_version = 1\n(?:    .*\n)+", readme)
    assert block is not None
    doc = parse("\n".join(line[4:] for line in block.group(0).strip("\n").splitlines()))
    assert [(str(n.target), n.login, n.chap_user) for n in doc.nodes] == [("iqn.2003-01.org.example:disk1", True,
                                                                            "alice")]
    assert [(m.mountpoint, m.lun, m.mkfs) for m in doc.mounts] == [("/srv/data", 0, False)]
