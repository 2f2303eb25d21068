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
    the role P(netraven.core.credential_report#role) builds the report with the
    P(netraven.core.credential_report#filter) filter in O(data) and lets this task render the Markdown
    (O(markdown_template)) and HTML (O(html_title)) pages from it, so the report is built once, in one task.
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
    description:
      - The Markdown rendering, written as C(report.md).
      - Mutually exclusive with O(markdown_template).
    type: str
  markdown_template:
    description:
      - A Jinja template rendered into C(report.md), found as M(ansible.builtin.template) finds its C(src)
        (the role's C(templates) folder first), with the task's variables and O(data) as the variable named
        by O(data_var); rendered as the P(ansible.builtin.template#lookup) lookup renders (trailing newlines
        kept). Requires O(data).
      - Mutually exclusive with O(markdown).
    type: str
  data_var:
    description: The variable name under which O(markdown_template) sees O(data).
    type: str
    default: report
  html:
    description:
      - The HTML page, written as C(report.html).
      - Mutually exclusive with O(html_title).
    type: str
  html_title:
    description:
      - Write C(report.html) as the credential report's page for O(data) (what the
        P(netraven.core.credential_report_html#filter) filter renders), with this title. O(data) must be
        built by the P(netraven.core.credential_report#filter) filter.
      - Mutually exclusive with O(html).
    type: str
  return_sections:
    description:
      - Top-level keys of O(data) to return under RV(data), for the tasks that follow (for example the
        tables to print and the gate to check) without a fact holding the whole report. A key that O(data)
        does not have is an error.
    type: list
    elements: str
    default: []
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
# templates/credentials.md.j2 next to the playbook (a template of your own: the role's report.md.j2 lives in
# the role's templates folder, where only the role's own tasks find it by name)
- name: Write a report built elsewhere
  netraven.core.save_report:
    dir: /srv/reports
    data: "{{ report }}"
    markdown: "{{ lookup('ansible.builtin.template', 'credentials.md.j2') }}"
    html: "{{ report | netraven.core.credential_report_html }}"
  run_once: true

- name: Build the credential report and write its three files in one task (as the role does)
  netraven.core.save_report:
    dir: /srv/reports
    data: "{{ store_data | netraven.core.credential_report }}"
    markdown_template: credentials.md.j2  # sees the report as the variable credential_report_data
    data_var: credential_report_data
    html_title: Credential report
    return_sections: [summary, gate]
  register: written
  run_once: true

- name: Fail on the report's flags
  ansible.builtin.fail:
    msg: "{{ written.data.gate.message }}"
  when: written.data.gate.message is not none
"""

RETURN = r"""
paths:
  description: The files written, in the order JSON, Markdown, HTML.
  returned: always
  type: list
  elements: str
  sample: [/srv/reports/report.json, /srv/reports/report.md, /srv/reports/report.html]
data:
  description: The keys of O(data) named in O(return_sections), with their values.
  returned: when O(return_sections) is not empty
  type: dict
  sample: {gate: {message: null}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netraven.core.plugins.module_utils._save_report import ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE


def main() -> None:
    """The module only validates: its action plugin writes the files on the controller."""
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE, supports_check_mode=True)
    module.fail_json(msg="netraven.core.save_report runs in its action plugin on the controller; it cannot run as a module")


if __name__ == "__main__":
    main()
