# -*- coding: utf-8 -*-
# Copyright: isc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running isc from a module: --json always, --dry-run in check mode, secrets in root-only files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

# What isc's plan steps report when they would change something (check mode) or did.
WOULD = ("would change", "pending")


class IscCli(object):
    def __init__(self, module, isc_path=None):
        self.module = module
        self.isc = isc_path or module.get_bin_path("isc", required=True)
        self.files = []

    def secret_file(self, name, value):
        """A file only root can read, in the module's private temporary directory (mode 0700, removed
        when the module exits); the secret never appears on a command line."""
        path = os.path.join(self.module.tmpdir, "isc-" + name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
        self.files.append(path)
        return path

    def cleanup(self):
        for path in self.files:
            if os.path.exists(path):
                os.unlink(path)
        self.files = []

    def run(self, args, dry_run=False):
        """isc's answer: (rc, the JSON document). Fails the task when isc does not answer in JSON."""
        argv = [self.isc, "--json"] + (["--dry-run"] if dry_run else []) + list(args)
        try:
            rc, out, err = self.module.run_command(argv, environ_update={"LC_ALL": "C.UTF-8", "COLUMNS": "200"})
        finally:
            self.cleanup()
        try:
            doc = json.loads(out)
        except ValueError:
            self.module.fail_json(msg="isc did not answer in JSON (is it isc 0.x with --json?)", rc=rc,
                                  stdout=out, stderr=err, cmd=argv)
        if not isinstance(doc, dict):
            self.module.fail_json(msg="isc answered with JSON that is not an object", rc=rc, cmd=argv)
        return rc, doc


def error_message(doc):
    """isc's error and hint as one message (the way isc prints them)."""
    err = doc.get("error")
    if not err:  # the plan ran; isc's doctor step found failures about the target
        bad = [f for f in (doc.get("summary") or {}).get("findings") or [] if f.get("level") == "failure"]
        if bad:
            return "; ".join("%s %s (fix: %s)" % (f.get("code"), f.get("summary"), f.get("fix")) for f in bad)
        return "isc failed"
    msg = err.get("message") or "isc failed"
    if err.get("hint"):
        msg = "%s (hint: %s)" % (msg, err["hint"])
    return msg


def plan_changed(doc, check_mode):
    steps = doc.get("steps") or []
    if check_mode:
        return any(s.get("status") in WOULD for s in steps)
    return any(s.get("changed") for s in steps)


def plan_diff(doc):
    """Ansible's diff from the file diffs the plan's steps hold (unified diffs, secrets masked by isc)."""
    out = []
    for s in doc.get("steps") or []:
        if s.get("diff"):
            out.append({"before_header": "%s (before)" % s.get("step"), "after_header": "%s (after)" % s.get("step"),
                        "prepared": s["diff"]})
    return out
