# -*- coding: utf-8 -*-
# Copyright: isc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # What every isc.iscsi module shares: check and diff mode through isc, and where isc is.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Runs isc with C(--dry-run) and reports what would change; nothing is changed.
    support: full
  diff_mode:
    description: Returns the file diffs isc's plan holds (fstab, multipath, records; secrets masked).
    support: full
options:
  isc_path:
    description:
      - The isc executable on the managed host (default C(isc) from C(PATH)).
    type: path
"""
