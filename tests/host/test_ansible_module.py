"""The Ansible collection on this host: ansible-doc renders its modules, ansible-test sanity passes, and the
real engine (ansible-playbook, connection local) runs isc.iscsi.target against the real iscsiadm and tgtd
in check mode, with its arguments checked the way Ansible checks them and no secret on any command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostenv import CHAP, CHAP_SECRET, CHAP_USER

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GET_PIP = Path.home() / ".ansible/test/cache/get_pip_21_3_1.py"


@pytest.fixture(scope="module")
def collections(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (BIN / "ansible-playbook").exists():
        pytest.fail("ansible-core is not installed in the test environment (pip install -e '.[test]')")
    top = tmp_path_factory.mktemp("collections")
    dest = top / "ansible_collections/isc/iscsi"
    shutil.copytree(REPO / "ansible", dest, ignore=shutil.ignore_patterns("__pycache__", "output"))
    return top


def ansible_env(collections: Path) -> dict[str, str]:
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_LOCALHOST_WARNING="0",
                ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_NOCOLOR="1", ANSIBLE_HOME=str(collections / ".home"),
                PATH=f"{BIN}:{os.environ['PATH']}")


def test_ansible_doc_renders_both_modules(collections: Path):
    r = subprocess.run([str(BIN / "ansible-doc"), "--json", "isc.iscsi.target", "isc.iscsi.initiator"],
                       capture_output=True, text=True, env=ansible_env(collections), check=True)
    doc = json.loads(r.stdout)
    options = doc["isc.iscsi.target"]["doc"]["options"]
    assert options["state"]["choices"] == ["present", "logged_in", "mounted", "absent"]
    assert options["target"]["required"] is True
    assert doc["isc.iscsi.target"]["examples"] and doc["isc.iscsi.target"]["return"]["maps"]
    assert doc["isc.iscsi.initiator"]["doc"]["options"]["name"]["required"] is True


def test_ansible_test_sanity_passes(collections: Path):
    """Every sanity test of ansible-core 2.14 (Debian 12's) for Python 3.11: validate-modules (documentation
    against the argument spec), pylint, pep8, yamllint, compile, import, shebang, licence headers..."""
    if not GET_PIP.exists():
        # ansible-test bootstraps pip in its venvs from ci-files.testing.ansible.com, which this network
        # cannot reach; Python's own ensurepip does the same job (the packages come from the registry).
        GET_PIP.parent.mkdir(parents=True, exist_ok=True)
        GET_PIP.write_text("import ensurepip, sys\nsys.exit(ensurepip._main(['--upgrade']))\n")
    coll = collections / "ansible_collections/isc/iscsi"
    if not (coll / ".git").exists():
        subprocess.run(["git", "init", "-q", str(coll)], check=True)  # ansible-test lists files through git
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    r = subprocess.run([str(BIN / "ansible-test"), "sanity", "--python", python], cwd=coll,
                       capture_output=True, text=True, env=ansible_env(collections), timeout=900)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    assert 'Running sanity test "validate-modules"' in r.stdout


def _spy(tmp_path: Path) -> tuple[Path, Path]:
    """An isc that records each argv and the mode of each secret file it is handed, then runs the real isc."""
    log = tmp_path / "isc-calls.jsonl"
    spy = tmp_path / "isc"
    spy.write_text(f"""#!{sys.executable}
import json, os, stat, sys
args = sys.argv[1:]
files = {{}}
for i, a in enumerate(args[:-1]):
    if a.endswith("password-file"):
        st = os.stat(args[i + 1])
        files[args[i + 1]] = oct(stat.S_IMODE(st.st_mode)) + " uid " + str(st.st_uid)
with open({str(log)!r}, "a") as f:
    f.write(json.dumps({{"argv": args, "secret_files": files}}) + "\\n")
os.execv({sys.executable!r}, [{sys.executable!r}, "-m", "iscsi_client", *args])
""")
    spy.chmod(0o755)
    return spy, log


def play(host, collections: Path, tmp_path: Path, task: dict, *flags: str) -> tuple[dict, str]:
    """Run one task of isc.iscsi.target with ansible-playbook in the host test's namespace; its result and
    the whole output."""
    book = tmp_path / "play.yml"
    saved = tmp_path / "result.json"
    book.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "t", "isc.iscsi.target": task, "ignore_errors": True, "register": "r"},
        {"name": "save", "ansible.builtin.copy": {"content": "{{ r | to_json }}", "dest": str(saved)},
         "check_mode": False, "diff": False}]}]))
    saved.unlink(missing_ok=True)
    r = host.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e",
                  f"ansible_python_interpreter={sys.executable}", str(book), *flags], env=ansible_env(collections),
                 timeout=300)
    assert saved.exists(), r.stdout + r.stderr
    return json.loads(saved.read_text()), r.stdout + r.stderr


def test_check_mode_plans_with_the_real_tools_and_keeps_secrets_off_argv(tgtd, host, collections, tmp_path):
    spy, log = _spy(tmp_path)
    before = sorted(p.relative_to(host.etc).as_posix() for p in host.etc.rglob("*"))
    task = {"target": CHAP, "portals": ["127.0.0.1"], "chap_user": CHAP_USER, "chap_secret": CHAP_SECRET,
            "state": "logged_in", "isc_path": str(spy), "mtu_check": False}
    result, output = play(host, collections, tmp_path, task, "--check", "--diff", "-vvv")
    assert not result.get("failed"), result
    assert result["changed"] is True
    steps = {s["step"]: s["status"] for s in result["steps"]}
    assert steps["discover"] == "would change" and steps["login"] in ("would change", "pending")
    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert call["argv"][:3] == ["--json", "--dry-run", "connect"]
    assert CHAP_SECRET not in json.dumps(call["argv"]) and CHAP_SECRET not in output
    (mode,) = call["secret_files"].values()
    assert mode == "0o600 uid 0"
    assert not any(Path(p).exists() for p in call["secret_files"])  # removed once isc has read it
    assert sorted(p.relative_to(host.etc).as_posix() for p in host.etc.rglob("*")) == before


def test_records_only_then_nothing_changes(tgtd, host, collections, tmp_path):
    """state present: discovery and node.startup through the real iscsiadm, no login; a second run
    reports no change."""
    task = {"target": CHAP, "portals": ["127.0.0.1"], "state": "present", "startup": "manual", "mtu_check": False,
            "isc_path": _spy(tmp_path)[0].as_posix()}
    first, _ = play(host, collections, tmp_path, task)
    assert not first.get("failed") and first["changed"] is True, first
    assert [s["step"] for s in first["steps"]] == ["discover", "startup", "timeouts"]  # no login, no doctor
    assert CHAP in host.iscsiadm("-m", "node").stdout
    second, _ = play(host, collections, tmp_path, task)
    assert not second.get("failed") and second["changed"] is False, second


@pytest.mark.parametrize(("task", "message"), [
    ({"target": CHAP, "portals": ["127.0.0.1"], "state": "mounted"}, "missing: mountpoint"),
    ({"target": CHAP, "state": "logged_in"}, "missing: portals"),
    ({"target": CHAP, "portals": ["127.0.0.1"], "chap_user": "u"}, "parameters are required together"),
    ({"target": CHAP, "portals": ["127.0.0.1"], "mkfs": True}, "go with state=mounted"),
    ({"target": CHAP, "portals": ["127.0.0.1"], "state": "gone"}, "value of state must be one of"),
    ({"target": "not an iqn", "portals": ["127.0.0.1"], "state": "present"}, "contains whitespace"),
])
def test_bad_arguments_fail_the_task_with_a_plain_message(tgtd, host, collections, tmp_path, task, message):
    result, _ = play(host, collections, tmp_path, {**task, "isc_path": _spy(tmp_path)[0].as_posix()})
    assert result.get("failed") is True and message in result["msg"], result
    assert "Traceback" not in json.dumps(result)
