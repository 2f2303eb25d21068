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
  - Takes the per-credential figures, device bindings and attempt counts (as the lookup
    C(netraven.core.credential_metrics) returns them) and returns the report's data model, which the
    role C(netraven.core.credential_report) writes as C(report.json) and renders as C(report.md) and
    C(report.html) (filter C(netraven.core.credential_report_html)).
  - "Flags per credential: C(never_successful) (counted attempts, never a success), C(unused) (attempted
    before, but no attempt of any outcome in the last O(unused_days) days) and C(never_attempted) (no
    attempt recorded at all: its tags match no device, or it could never be decrypted), and
    C(aaa_budget_exhausted) (the AAA guard skipped it in this run, so it was not tried: a host's
    fact lists it in C(aaa_skipped_credentials)). Per device:
    C(no_credential_works) (every credential tried was rejected), C(failed) (this run's outcome was
    not C(success)) and C(needs_login_prompt_rule) (a credential logged in, then the device asked
    something no C(netraven_login_prompts) rule answers: outcome C(post_auth_interaction_failed)).
    A device without a C(netraven_credential) fact is not in this run, never failed."
  - The input holds names, counters, outcome words and times; the report holds nothing else.
options:
  _input:
    description:
      - "A dict with the keys C(stats) and C(bindings) (lists of dicts, as the lookup
        C(netraven.core.credential_metrics) returns them with
        O(netraven.core.credential_metrics#lookup:kind=stats) and
        O(netraven.core.credential_metrics#lookup:kind=bindings)), and the attempts as C(daily)
        (O(netraven.core.credential_metrics#lookup:kind=counts) with
        O(netraven.core.credential_metrics#lookup:group_by=[day, credential, outcome]) over at least
        O(window_days) and O(unused_days) days) and C(device_counts)
        (O(netraven.core.credential_metrics#lookup:kind=counts) with
        O(netraven.core.credential_metrics#lookup:group_by=[device, credential, outcome]) over
        O(window_days) days), or as C(attempts) (the attempt log,
        O(netraven.core.credential_metrics#lookup:kind=attempts)), from which both are counted."
      - "Optional C(aaa): the shared AAA accounts of the fleet-wide lockout guard
        (O(netraven.core.credential_metrics#lookup:kind=aaa)); with this run's facts (their C(aaa_skipped)),
        O(aaa_credentials) and O(aaa_policies) they make the report's shared-account rows."
      - "Optional C(aaa_accounts) instead: the rows given directly (C(name), C(credentials), C(lockout_threshold),
        C(streak), C(highest_streak), C(last_success), C(budget_exhausted), C(skipped_on)); the report shows
        shared accounts when there are any."
    type: dict
    required: true
  run:
    description:
      - "Per inventory host of the current run, its C(netraven_credential) fact
        (C(name), C(username), C(outcome), C(attempts), C(time), and C(aaa_skipped) when the AAA guard skipped
        accounts there). Hosts without a fact are not in this run."
    type: dict
    default: {}
  known:
    description: Names of the configured credentials; those the store has never seen are listed as never attempted.
    type: list
    elements: str
    default: []
  unused_days:
    description: Days without an attempt of any outcome after which a credential is flagged C(unused).
    type: int
    default: 30
  window_days:
    description: Days (ending today, UTC) of the per-credential trend and the coverage matrix.
    type: int
    default: 30
  labels:
    description: Per inventory host, the tags (or groups) that make the rows of the coverage matrix.
    type: dict
    default: {}
  coverage_by:
    description: What O(labels) holds, shown as the matrix's title.
    type: str
    default: tags
  changes:
    description:
      - "C(changed) and C(unchanged): lists of the hosts whose backup file this run changed, or left as it was
        (for the change counts; hosts in neither list wrote no backup)."
    type: dict
    default: {}
  fleet:
    description:
      - "The registered result of a fleet-mode C(netraven.core.fetch_config) task (with its O(netraven.core.fetch_config#module:hosts)):
        its C(facts) and per-host results count as this run's for the hosts that are keys of O(run) (they win over
        those hosts' facts, which may come from the fact cache), and the results that saved a backup count in
        O(changes). What the P(netraven.core.credential_report#role) role passes when devices took no task of
        their own."
    type: dict
    default: {}
  fail_on:
    description:
      - Flags that raise the report's gate (RV(_value.gate)); the role fails the play on them.
      - A list, or one string of flags separated by commas (C(never_attempted,unused)).
    type: list
    elements: str
    choices: [no_credential_works, never_successful, unused, never_attempted, failed_devices, needs_login_prompt_rule,
              aaa_budget_exhausted]
    default: []
  aaa_credentials:
    description: Per credential name that names an AAA server, its shared account C(username@aaa-server).
    type: dict
    default: {}
  aaa_policies:
    description: The host variable C(netraven_aaa) (per AAA server its C(lockout_threshold); default 3).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Build the report over the last 14 days
  ansible.builtin.set_fact:
    report: >-
      {{ {'stats': query('netraven.core.credential_metrics', kind='stats'),
          'bindings': query('netraven.core.credential_metrics', kind='bindings'),
          'daily': query('netraven.core.credential_metrics', kind='counts', since='14d'),
          'device_counts': query('netraven.core.credential_metrics', kind='counts', since='14d',
                                 group_by=['device', 'credential', 'outcome'])}
         | netraven.core.credential_report(unused_days=14, window_days=14) }}

- name: From the attempt log of a small store
  ansible.builtin.debug:
    msg: >-
      {{ ({'stats': query('netraven.core.credential_metrics'), 'bindings': [],
           'attempts': query('netraven.core.credential_metrics', kind='attempts', limit=0)}
          | netraven.core.credential_report).summary }}
"""

RETURN = r"""
_value:
  description: The report's data model (the content of C(report.json)).
  type: dict
  contains:
    generated:
      description: When the report was built, UTC ISO-8601.
      type: str
    unused_days:
      description: O(unused_days).
      type: int
    window_days:
      description: O(window_days).
      type: int
    credentials:
      description:
        - "Per credential: C(name), cumulative counted C(attempts), C(successes), C(failures), C(enable_failures),
          C(success_rate), C(last_used), C(last_success), C(last_failure), C(last_attempt) (any outcome),
          C(window) (C(attempts), C(successes), C(failures), C(other) in the window) and C(flags)."
      type: list
      elements: dict
    devices:
      description:
        - "Per device: C(name), C(tags), bound C(credential), C(last_success), C(in_run), this run's C(outcome),
          C(attempts) and C(changed), C(logged_attempts) and C(rejected_by) (in the window), C(flags)."
      type: list
      elements: dict
    coverage:
      description:
        - "C(by), C(credentials) and C(rows): per tag C(name), C(devices) and C(cells) (per credential C(attempts),
          C(successes), C(success_rate), C(devices) tried on, C(works_on))."
      type: dict
    trend:
      description: C(days) and, per credential, daily C(attempts), C(successes) and C(failures).
      type: dict
    aaa_accounts:
      description: The shared AAA accounts given in the input, normalised (empty list when none).
      type: list
      elements: dict
    summary:
      description:
        - "Counts (C(credentials), C(devices), C(devices_in_run), C(not_in_run), C(run_attempts), C(window_attempts))
          and lists of names (C(backed_up), C(changed), C(unchanged), C(never_successful), C(unused),
          C(never_attempted), C(flagged_credentials), C(no_credential_works), C(failed_devices),
          C(needs_login_prompt_rule), C(aaa_budget_exhausted) (accounts), C(aaa_skipped_credentials))."
      type: dict
    gate:
      description: C(fail_on), C(raised) (flag to names) and C(message) (one line, or null when no flag is raised).
      type: dict
    credential_table:
      description: The credential table as text lines (the role prints it).
      type: list
      elements: str
    device_table:
      description: The device table as text lines.
      type: list
      elements: str
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.netraven.core.plugins.plugin_utils._role_options import option_list
from ansible_collections.netraven.core.plugins.plugin_utils._type_words import type_word


def _list_of_dicts(metrics: dict, key: str) -> list | None:
    value = metrics.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise AnsibleFilterError("netraven.core.credential_report: '%s' must be a list of dicts" % key)
    return value


def _mapping(value, name: str) -> dict:
    """``value`` (None: empty) as a dict; AnsibleFilterError naming the option when it is not a mapping."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AnsibleFilterError("netraven.core.credential_report: %s must be a dict, got %s" % (name, type_word(value)))
    return dict(value)


def _days(value, name: str) -> int:
    """``value`` as a whole number of days >= 1; AnsibleFilterError naming the option otherwise."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError("netraven.core.credential_report: %s must be a whole number of days, got %s"
                                 % (name, type_word(value))) from None
    if days < 1:
        raise AnsibleFilterError("netraven.core.credential_report: %s must be >= 1" % name)
    return days


def _credential_report(metrics, run=None, known=None, unused_days=30, window_days=30, labels=None,
                       coverage_by="tags", changes=None, fail_on=None, aaa_credentials=None, aaa_policies=None, fleet=None):
    """Jinja entry point (see DOCUMENTATION); AnsibleFilterError names the missing or malformed key or option."""
    # Imported here, not at the top: Ansible loads every filter file of the collection when a task uses any
    # one of its filters, so each file must load cheaply (bench/README.md, P8).
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.netraven.core.plugins.plugin_utils._report import aaa_accounts_from, build_report, with_fleet
    if not isinstance(metrics, dict):
        raise AnsibleFilterError("netraven.core.credential_report expects a dict with stats, bindings and attempts or counts")
    parts = {key: _list_of_dicts(metrics, key) for key in ("stats", "bindings", "attempts", "daily", "device_counts", "aaa_accounts",
                                                           "aaa")}
    window_days, unused_days = _days(window_days, "window_days"), _days(unused_days, "unused_days")
    run = {str(k): v for k, v in _mapping(run, "run").items() if isinstance(v, Mapping)}
    changes = _mapping(changes, "changes")
    if fleet:
        fleet = _mapping(fleet, "fleet")
        if not all(isinstance(fleet.get(key) or {}, Mapping) for key in ("hosts", "facts")):
            raise AnsibleFilterError("netraven.core.credential_report: fleet: hosts and facts must be dicts (a fleet task's registered result)")
        run, changes = with_fleet(run, changes, fleet)
    labels = {str(k): [str(t) for t in v] for k, v in _mapping(labels, "labels").items() if isinstance(v, (list, tuple))}
    try:
        fail_on = option_list(fail_on, "fail_on") if fail_on is not None else []
    except TypeError as exc:
        raise AnsibleFilterError("netraven.core.credential_report: %s" % exc) from None
    if parts["aaa_accounts"] is None and (parts["aaa"] or any(f.get("aaa_skipped") for f in run.values())):
        parts["aaa_accounts"] = aaa_accounts_from(parts["aaa"] or [], run, dict(aaa_credentials or {}), dict(aaa_policies or {}))
    try:
        return build_report(parts["stats"] or [], parts["bindings"] or [], parts["attempts"] or [], run=run,
                            known_names=[str(n) for n in known or []], unused_days=unused_days,
                            daily=parts["daily"], device_counts=parts["device_counts"], window_days=window_days,
                            labels=labels or None, coverage_by=str(coverage_by), changes=changes,
                            aaa_accounts=parts["aaa_accounts"] or [], fail_on=fail_on)
    except ValueError as exc:
        raise AnsibleFilterError("netraven.core.credential_report: %s" % exc) from exc
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("netraven.core.credential_report: malformed metrics: %s" % exc) from exc


class FilterModule:
    """netraven.core filters."""

    def filters(self):
        return {"credential_report": _credential_report}
