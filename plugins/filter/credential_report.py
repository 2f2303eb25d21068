# -*- coding: utf-8 -*-
# Copyright (c) netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin netraven.core.credential_report: turn metrics-store figures into a report."""
from __future__ import annotations

DOCUMENTATION = r"""
name: credential_report
author: netraven.core contributors (@netraven)
version_added: "0.1.0"
short_description: Build the credential report from metrics-store figures
description:
  - Takes the per-credential figures, device bindings and attempt log (as the lookup
    C(netraven.core.credential_metrics) returns them) and returns the report the role
    C(netraven.core.credential_report) writes as C(report.json) and C(report.md).
  - "Flags per credential: C(never_successful) (attempted, never a success) and C(unused)
    (no attempt in the last O(unused_days) days). Per device: C(no_credential_works) (every
    credential tried was rejected), C(failed) (this run's outcome was not C(success)) and
    C(needs_login_prompt_rule) (a credential logged in, then the device asked something no
    C(netraven_login_prompts) rule answers: outcome C(post_auth_interaction_failed))."
  - The input holds names, counters, outcome words and times; the report holds nothing else.
options:
  _input:
    description: A dict with the keys C(stats), C(bindings) and C(attempts) (lists of dicts).
    type: dict
    required: true
  run:
    description:
      - "Per inventory host of the current run, its C(netraven_credential) fact
        (C(name), C(username), C(outcome), C(attempts), C(time))."
    type: dict
    default: {}
  known:
    description: Names of the configured credentials; those the store has never seen are listed as unused.
    type: list
    elements: str
    default: []
  unused_days:
    description: Days without an attempt after which a credential is flagged C(unused).
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Build the report
  ansible.builtin.set_fact:
    report: >-
      {{ {'stats': query('netraven.core.credential_metrics', kind='stats'),
          'bindings': query('netraven.core.credential_metrics', kind='bindings'),
          'attempts': query('netraven.core.credential_metrics', kind='attempts', limit=1000)}
         | netraven.core.credential_report(unused_days=14) }}
"""

RETURN = r"""
_value:
  description:
    - "Keys: C(generated), C(unused_days), C(credentials) (name, attempts, successes, failures,
      enable_failures, success_rate, last_used, last_success, last_failure, flags), C(devices)
      (name, credential, last_success, outcome, attempts, logged_attempts, flags), C(summary)
      (never_successful, unused, no_credential_works, failed_devices, needs_login_prompt_rule, run_attempts, counts),
      C(credential_table) and C(device_table) (text lines)."
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netraven.core.plugins.plugin_utils._report import build_report


def _credential_report(metrics, run=None, known=None, unused_days=30):
    """Jinja entry point; AnsibleFilterError names the missing or malformed key."""
    if not isinstance(metrics, dict):
        raise AnsibleFilterError("netraven.core.credential_report expects a dict with stats, bindings and attempts")
    parts = {}
    for key in ("stats", "bindings", "attempts"):
        value = metrics.get(key) or []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise AnsibleFilterError("netraven.core.credential_report: '%s' must be a list of dicts" % key)
        parts[key] = value
    run = {str(k): v for k, v in (run or {}).items() if isinstance(v, dict)}
    try:
        return build_report(parts["stats"], parts["bindings"], parts["attempts"], run=run,
                            known_names=[str(n) for n in known or []], unused_days=int(unused_days))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("netraven.core.credential_report: malformed metrics: %s" % exc) from exc


class FilterModule:
    """netraven.core filters."""

    def filters(self):
        return {"credential_report": _credential_report}
