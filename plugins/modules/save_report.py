#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module netraven.core.save_report: write the credential report's files on the controller."""
from __future__ import annotations

DOCUMENTATION = r"""
module: save_report
short_description: Write the credential report's files (JSON, Markdown, HTML) on the controller
version_added: 0.1.0
description:
  - Writes C(report.json), C(report.md) and C(report.html) (each only when given) into O(dir) on the
    controller, atomically (a temporary file in the same folder, fsync, rename), creating the folder
    (mode C(0750)) when missing.
  - The work is done by the action plugin in the controller's worker process, with no module process;
    the role P(netraven.core.credential_report#role) uses it after building the report with the
    P(netraven.core.credential_report#filter) filter.
  - The files are rewritten every run (they carry the time they were made), so the task never reports
    C(changed) for them.
options:
  dir:
    description: Folder on the controller for the files.
    type: path
    required: true
  data:
    description: The report's data model (the filter's result), written as C(report.json) (sorted keys, indented).
    type: dict
  markdown:
    description: The Markdown rendering, written as C(report.md).
    type: str
  html:
    description: The HTML page, written as C(report.html).
    type: str
  mode:
    description: File mode of the files, as an octal string.
    type: str
    default: "0640"
attributes:
  check_mode:
    support: full
    details: In check mode nothing is written.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
author: netraven.core contributors (@netraven)
seealso:
  - module: netraven.core.fetch_config
"""

EXAMPLES = r"""
- name: Write the report
  netraven.core.save_report:
    dir: /srv/reports
    data: "{{ report }}"
    markdown: "{{ lookup('ansible.builtin.template', 'report.md.j2') }}"
    html: "{{ report | netraven.core.credential_report_html }}"
  run_once: true
"""

RETURN = r"""
paths:
  description: The files written, in the order JSON, Markdown, HTML.
  returned: always
  type: list
  elements: str
  sample: [/srv/reports/report.json, /srv/reports/report.md, /srv/reports/report.html]
"""

from ansible.module_utils.basic import AnsibleModule


def main() -> None:
    """The module only validates: its action plugin writes the files on the controller."""
    module = AnsibleModule(argument_spec=dict(
        dir=dict(type="path", required=True), data=dict(type="dict"), markdown=dict(type="str"),
        html=dict(type="str"), mode=dict(type="str", default="0640"),
    ), supports_check_mode=True)
    module.fail_json(msg="netraven.core.save_report runs in its action plugin on the controller; it cannot run as a module")


if __name__ == "__main__":
    main()
