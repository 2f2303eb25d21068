# -*- coding: utf-8 -*-
# Copyright (c) netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin netraven.core.credential_report_html: the credential report as one HTML page."""
from __future__ import annotations

DOCUMENTATION = r"""
name: credential_report_html
author: netraven.core contributors (@netraven)
version_added: "0.1.0"
short_description: Render the credential report as one self-contained HTML page
description:
  - Renders the report built by the filter C(netraven.core.credential_report) as one HTML document, the
    C(report.html) of the role C(netraven.core.credential_report).
  - "The page is self-contained: inline CSS and inline SVG charts, no script, and a Content-Security-Policy
    that forbids loading anything, so it can be kept as a CI or AWX artifact and opened from a file share
    without network access. It reads on a laptop screen and prints on A4 with its colours."
  - "Sections: a summary strip (devices in this run, backed up, failed, configs changed, devices where no
    credential works, credentials flagged, login success rate and attempts), what needs attention, a
    coverage matrix of tags (or groups) against credentials coloured by success rate, a daily trend per
    credential, the devices where no credential works, the backup's change counts, the shared AAA accounts
    (only when the report has some) and the credential and device tables."
  - Every text is HTML-escaped. The report holds names, counters, outcome words and times, never a secret.
options:
  _input:
    description: The report, as the filter C(netraven.core.credential_report) returns it.
    type: dict
    required: true
  title:
    description: The page's title and heading.
    type: str
    default: Credential report
"""

EXAMPLES = r"""
- name: Write the report page
  ansible.builtin.copy:
    content: "{{ report | netraven.core.credential_report_html(title='Credential report: site A') }}"
    dest: /srv/reports/report.html
    mode: "0640"
"""

RETURN = r"""
_value:
  description: The HTML document (text).
  type: str
"""

from ansible.errors import AnsibleFilterError


def _credential_report_html(report, title="Credential report"):
    """Jinja entry point (see DOCUMENTATION); AnsibleFilterError names what the report lacks."""
    # Imported here, not at the top: Ansible loads every filter file of the collection when a task uses any
    # one of its filters, so each file must load cheaply (bench/README.md, P8).
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.netraven.core.plugins.plugin_utils._report_html import render_html
    if not isinstance(report, dict):
        raise AnsibleFilterError("netraven.core.credential_report_html expects the dict built by netraven.core.credential_report")
    try:
        return render_html(report, title=str(title))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("netraven.core.credential_report_html: not a credential report (%s: %s); build it with "
                                 "netraven.core.credential_report" % (exc.__class__.__name__, exc)) from exc


class FilterModule:
    """netraven.core filters."""

    def filters(self):
        return {"credential_report_html": _credential_report_html}
