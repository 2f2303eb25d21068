# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: credential_metrics
author: netraven.core maintainers (@netraven)
version_added: 0.1.0
short_description: Read credential figures, device bindings and the attempt log from the metrics store
description:
  - Reads what M(netraven.core.cli_command) recorded about its credential attempts, from the store named by
    O(metrics_store). It returns per-credential figures (O(kind=stats)), which credential last worked on each device
    (O(kind=bindings)), the attempt log, newest first (O(kind=attempts)), or the attempt log counted per day,
    device, credential or outcome (O(kind=counts)), which reports use so that a month of attempts on a large fleet is
    read as a few hundred rows, or the shared AAA accounts of the fleet-wide lockout guard (O(kind=aaa)).
  - Returns a list of dictionaries; call it with the C(query) function, or with C(lookup) and C(wantlist=true).
  - Figures are counted as described in the guide R(Credential metrics store,ansible_collections.netraven.core.docsite.metrics)
    (C(docs/docsite/rst/metrics.rst) in the collection). Only V(success), V(auth_rejected) and V(enable_failed)
    count against a credential, every outcome goes to the attempt log.
  - A store file that does not exist yet gives an empty list and a warning (nothing recorded yet); a store that
    cannot be read, or was written by a newer version of the collection, fails the task with its URL (never its password).
  - Values read from the store are marked unsafe, so device names and messages are never templated.
extends_documentation_fragment:
  - netraven.core.metrics_store
options:
  _terms:
    description:
      - Names to restrict the answer to. With O(kind=stats), credential names (a named credential never tried is
        returned with zero counters and RV(_raw[].success_rate=null)); with O(kind=bindings), device names
        (devices without a binding are left out). Not allowed with O(kind=attempts) and O(kind=counts); use O(device)
        and O(credential).
    type: list
    elements: str
    required: false
  kind:
    description:
      - What to read.
    type: str
    choices: [stats, bindings, attempts, counts, aaa]
    default: stats
  group_by:
    description:
      - With O(kind=counts), the attempt-log columns to count by. V(day) is the UTC date (C(YYYY-MM-DD)) of the attempt.
    type: list
    elements: str
    choices: [day, device, credential, outcome, job_id]
    default: [day, credential, outcome]
  device:
    description:
      - With O(kind=attempts), only attempts on this device (inventory hostname).
    type: str
  credential:
    description:
      - With O(kind=attempts), only attempts of this credential (by name).
    type: str
  outcome:
    description:
      - With O(kind=attempts), only attempts with this outcome.
    type: str
    choices: [success, auth_rejected, enable_failed, auth_method_unsupported, auth_timeout, unreachable,
              ssh_negotiation_failed, hostkey_unknown, hostkey_mismatch, password_expired, locked_out,
              post_auth_interaction_failed, command_failed, command_timeout, command_rejected, aaa_budget_exhausted]
  since:
    description:
      - With O(kind=attempts) and O(kind=counts), only attempts at or after this time. An ISO-8601 time (V(2026-11-01T10:00:00Z); no zone
        means UTC) or an age, a number followed by V(s), V(m), V(h), V(d) or V(w) (V(24h), V(7d)).
    type: str
  limit:
    description:
      - With O(kind=attempts), at most this many attempts (the newest). V(0) means all of them.
    type: int
    default: 100
notes:
  - The lookup runs on the controller. A PostgreSQL store needs the Python package C(psycopg) (version 3) there.
seealso:
  - module: netraven.core.cli_command
  - plugin: netraven.core.credentials
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Figures of every credential
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.successes }}/{{ item.attempts }} ({{ item.success_rate }})"
  loop: "{{ query('netraven.core.credential_metrics') }}"

- name: Figures of two credentials, from a given store
  ansible.builtin.set_fact:
    cred_stats: "{{ query('netraven.core.credential_metrics', 'tacacs', 'local-admin',
                          metrics_store='postgresql://netraven@db.example.net/netraven') }}"

- name: Which credential last worked on this device
  ansible.builtin.set_fact:
    bound: "{{ query('netraven.core.credential_metrics', inventory_hostname, kind='bindings') | first | default({}) }}"

- name: Rejections of the last day on this device
  ansible.builtin.debug:
    var: rejections
  vars:
    rejections: "{{ query('netraven.core.credential_metrics', kind='attempts', device=inventory_hostname,
                          outcome='auth_rejected', since='24h', limit=20) }}"

- name: Attempts per day and credential over the last 30 days (one row per day, credential and outcome)
  ansible.builtin.debug:
    msg: "{{ item.day }} {{ item.credential }} {{ item.outcome }}: {{ item.count }}"
  loop: "{{ query('netraven.core.credential_metrics', kind='counts', group_by=['day', 'credential', 'outcome'], since='30d') }}"

- name: Fail when a credential stopped working anywhere (success rate below 50 % over at least 10 attempts)
  ansible.builtin.assert:
    that: item.attempts < 10 or item.success_rate >= 0.5
    fail_msg: "credential {{ item.name }} succeeds in {{ (item.success_rate * 100) | round }} % of attempts"
  loop: "{{ query('netraven.core.credential_metrics') }}"
"""

RETURN = r"""
_raw:
  description:
    - One dictionary per credential (O(kind=stats), sorted by name), per bound device (O(kind=bindings), sorted by
      device), per attempt (O(kind=attempts), newest first) or per group of attempts (O(kind=counts), sorted by the
      O(group_by) columns) or per shared AAA account (O(kind=aaa), sorted by account). Timestamps are UTC ISO-8601 strings
      (C(2026-11-29T08:52:28.123456Z)) or null for never.
  type: list
  elements: dict
  contains:
    name:
      description: Credential name (O(kind=stats)).
      type: str
    attempts:
      description: Counted attempts of the credential, O(kind=stats) (= successes + failures + enable_failures).
      type: int
    successes:
      description: Logins that worked (with enable, when asked), O(kind=stats).
      type: int
    failures:
      description: Logins the device rejected (V(auth_rejected)), O(kind=stats).
      type: int
    enable_failures:
      description: Logins that worked but whose enable secret was refused, O(kind=stats).
      type: int
    last_used:
      description: Last time the credential logged in (success or enable failure), O(kind=stats).
      type: str
    last_success:
      description: Last success of the credential (O(kind=stats)), or when the bound credential last worked on the device (O(kind=bindings)),
        or the account's last login (O(kind=aaa)).
      type: str
    last_failure:
      description: Last rejection of the credential (O(kind=stats)), or the account's last failed login (O(kind=aaa)).
      type: str
    success_rate:
      description: successes / attempts, between 0 and 1; null before the first counted attempt (O(kind=stats)).
      type: float
    device:
      description: Inventory hostname (O(kind=bindings) and O(kind=attempts)).
      type: str
    credential:
      description: Credential name (O(kind=bindings) and O(kind=attempts)).
      type: str
    id:
      description: Attempt number, increasing in the order attempts were stored (O(kind=attempts)).
      type: int
    time:
      description: When the attempt ended (O(kind=attempts)).
      type: str
    job_id:
      description: The AWX job (E(JOB_ID) or E(AWX_JOB_ID)) that made the attempt, or null (O(kind=attempts)).
      type: str
    outcome:
      description: The outcome word (O(kind=attempts)).
      type: str
    elapsed_ms:
      description: Duration of the attempt in milliseconds (O(kind=attempts)).
      type: int
    message:
      description: Redacted detail (at most 500 characters), or null (O(kind=attempts)).
      type: str
    day:
      description: UTC date C(YYYY-MM-DD) of the counted attempts (O(kind=counts) with V(day) in O(group_by)).
      type: str
    count:
      description: Number of attempts in the group (O(kind=counts)).
      type: int
    last:
      description: Time of the newest attempt in the group (O(kind=counts)).
      type: str
    account:
      description: The shared AAA account, C(username@aaa-server) (O(kind=aaa)).
      type: str
    streak:
      description: Failed logins of the account since its last success, as its AAA server counts them (O(kind=aaa)).
      type: int
    max_streak:
      description: The highest streak the guard ever recorded for the account (O(kind=aaa)).
      type: int
    last_outcome:
      description: V(success) or V(failure), the account's last settled attempt (O(kind=aaa)).
      type: str
    in_flight:
      description: Attempts of the account reserved and not yet settled (O(kind=aaa)).
      type: int
"""

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import (
    MetricsStoreError,
    is_disabled,
    open_store,
    redact_url,
    store_file_missing,
)

display = Display()


class LookupModule(LookupBase):
    """``netraven.core.credential_metrics``: see DOCUMENTATION."""

    def run(self, terms, variables=None, **kwargs):
        """Return the list of dicts described in RETURN; raises AnsibleError naming the store on failure."""
        self.set_options(var_options=variables, direct=kwargs)
        kind = self.get_option("kind")
        names = [to_text(t) for t in (terms or [])]
        if kind in ("attempts", "counts", "aaa") and names:
            raise AnsibleError("netraven.core.credential_metrics: kind=%s takes no terms (got %s); "
                               "use device=... and credential=..." % (kind, ", ".join(names)))
        url = self.get_option("metrics_store")
        try:
            if is_disabled(url):
                display.warning("netraven.core.credential_metrics: metrics_store is 'none' (metrics disabled); nothing to read")
                return []
            missing = store_file_missing(url)
            if missing:
                display.warning("netraven.core.credential_metrics: no metrics recorded yet: %s does not exist" % missing)
                return []
            store = open_store(url, warn=display.warning)
            try:
                return wrap_var(self._read(store, kind, names))
            finally:
                store.close()
        except MetricsStoreError as exc:
            raise AnsibleError("netraven.core.credential_metrics: %s" % to_text(exc)) from None
        except Exception as exc:  # noqa: BLE001 - keep any password in the URL out of the message
            raise AnsibleError("netraven.core.credential_metrics: reading %s failed: %s"
                               % (redact_url(url), exc.__class__.__name__)) from None

    def _read(self, store, kind: str, names: list) -> list:
        if kind == "stats":
            return store.credential_stats(names or None)
        if kind == "bindings":
            if not names:
                return store.bindings()
            found = []
            for device in names:
                found.extend(store.bindings(device))
            return found
        if kind == "counts":
            return store.attempt_counts(self.get_option("group_by"), since=self.get_option("since"))
        if kind == "aaa":
            return store.aaa_accounts()
        limit = self.get_option("limit")
        if limit is not None and limit < 0:
            raise AnsibleError("netraven.core.credential_metrics: limit must be >= 0 (0 = all), got %d" % limit)
        return store.attempts(
            device=self.get_option("device"),
            credential=self.get_option("credential"),
            outcome=self.get_option("outcome"),
            since=self.get_option("since"),
            limit=limit or None,
        )
