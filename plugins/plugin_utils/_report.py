# -*- coding: utf-8 -*-
# Copyright (c) netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the credential report from metrics-store figures (pure functions, no Ansible state).

``build_report`` takes what the lookup ``netraven.core.credential_metrics`` returns (the store
contract of DESIGN.md §3: per-credential stats, device bindings, the attempt log or its counts
per day/device) plus, optionally, what the play knows (the ``netraven_credential`` facts of the
hosts of this run, the hosts' tags or groups, which backups changed, the shared AAA accounts),
and returns one JSON-ready dict: the report's data model. The role renders it three ways
(``report.json`` as is, ``report.md`` through a template, ``report.html`` through
``_report_html``). No secret ever enters: the inputs hold names, counters, outcome words and
times only.

Flags, per credential:
- ``never_successful``: counted attempts (success, auth_rejected, enable_failed), none a success;
- ``unused``: attempted before, but no attempt of any outcome in the last ``unused_days`` days;
- ``never_attempted``: configured (or in the store) but no attempt was ever recorded: its tags
  match no device, or it could never be decrypted (the task fails before any login).
Per device:
- ``no_credential_works``: the device refused every credential tried: its outcome in this run
  is ``auth_rejected``/``enable_failed``/``auth_method_unsupported``, or (when it is not in this
  run) its attempts in the trend window include such rejections, no success, and it has no
  binding;
- ``failed``: its outcome in this run is anything but ``success`` (unreachable, locked_out...);
- ``needs_login_prompt_rule``: its outcome in this run (when it is not in this run: its newest
  logged attempt in the window) is ``post_auth_interaction_failed``: a credential logged in, then
  the device asked something no ``netraven_login_prompts`` rule answers, or closed the session
  after the answer.
A device without a ``netraven_credential`` fact is "not run in this run" (``in_run`` false),
never failed.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable, Mapping, Optional, Sequence

from ansible_collections.netraven.core.plugins.module_utils import _aaa_guard
from ansible_collections.netraven.core.plugins.module_utils import _outcomes
from ansible_collections.netraven.core.plugins.module_utils._metrics_store import FIGURE_NAMES, STAMPS, parse_time, stats_row

FAILURES = _outcomes.COUNTED & _outcomes.CREDENTIAL_FAULT
"""Counted outcomes that count against a credential (the trend's "failures")."""

GATE_FLAGS = {
    # flag name in credential_report_fail_on -> (summary key, what the names are)
    "no_credential_works": ("no_credential_works", "device"),
    "never_successful": ("never_successful", "credential"),
    "unused": ("unused", "credential"),
    "never_attempted": ("never_attempted", "credential"),
    "failed_devices": ("failed_devices", "device"),
    "needs_login_prompt_rule": ("needs_login_prompt_rule", "device"),
    "aaa_budget_exhausted": ("aaa_budget_exhausted", "AAA account"),
}
"""The flags a run can be failed on (role variable ``credential_report_fail_on``)."""

NOT_IN_INVENTORY = "(not in inventory)"
UNLABELLED = "(none)"
ALL_DEVICES = "all devices"


def _latest(*values: Any) -> Optional[str]:
    """The latest of several timestamps (as given, text), ignoring None and unparsable ones."""
    best: Optional[tuple[_dt.datetime, str]] = None
    for value in values:
        parsed = parse_time(value)
        if parsed is not None and (best is None or parsed > best[0]):
            best = (parsed, str(value))
    return best[1] if best else None


def _rate(successes: int, attempts: int) -> Optional[float]:
    return round(successes / attempts, 4) if attempts else None


def count_attempts(attempts: Iterable[Mapping[str, Any]], group_by: Sequence[str]) -> list[dict]:
    """Count attempt-log entries the way the store's ``attempt_counts`` does.

    ``attempts``: dicts with ``time`` (UTC ISO-8601) and the ``group_by`` keys (``day`` is the
    first 10 characters of ``time``). Returns ``[{<group_by keys>, "count", "last"}]`` (unsorted),
    so that a report can be built from a plain attempt list as from the store's counts.
    """
    groups: dict[tuple, list] = {}
    for item in attempts:
        when = str(item.get("time") or "")
        key = tuple(when[:10] if c == "day" else item.get(c) for c in group_by)
        slot = groups.setdefault(key, [0, None])
        slot[0] += 1
        slot[1] = _latest(slot[1], when) or slot[1]
    return [dict(zip(tuple(group_by) + ("count", "last"), key + tuple(v))) for key, v in groups.items()]


def trend_days(days: int, now: _dt.datetime) -> list[str]:
    """The ``days`` UTC dates (``YYYY-MM-DD``) ending with ``now``'s date, oldest first."""
    today = now.astimezone(_dt.timezone.utc).date()
    return [(today - _dt.timedelta(days=back)).isoformat() for back in range(days - 1, -1, -1)]


def credential_rows(
    stats: Iterable[Mapping[str, Any]],
    known_names: Iterable[str] = (),
    unused_days: int = 30,
    now: Optional[_dt.datetime] = None,
    daily: Iterable[Mapping[str, Any]] = (),
    days: Sequence[str] = (),
) -> list[dict]:
    """Per-credential rows, sorted by name.

    ``stats``: ``credential_stats()`` dicts (name, the store's figures
    ``_metrics_store.FIGURE_NAMES``, success_rate): counted attempts, cumulative over every run
    in the store; each row has the shape of ``_metrics_store.stats_row`` plus ``last_attempt``,
    ``window`` and ``flags``, a missing counter read as 0 and a missing ``success_rate``
    computed. ``known_names``: configured credential names; those absent from ``stats`` get a
    row of zeros. ``daily``: attempt counts per ``day``, ``credential`` and ``outcome`` (with
    ``count`` and ``last``), any outcome, covering at least the last ``unused_days`` days;
    ``days``: the trend window's dates (the ``window`` figures of each row count those days
    only). ``unused_days``: days without an attempt of any outcome
    before ``unused``. ``now``: aware datetime, default the current UTC time.
    """
    now = now or _dt.datetime.now(_dt.timezone.utc)
    cutoff = now - _dt.timedelta(days=unused_days)
    window = set(days)
    rows: dict[str, dict] = {}
    for item in stats:
        row = stats_row(str(item["name"]), **{key: item.get(key) for key in FIGURE_NAMES})
        row["success_rate"] = item.get("success_rate", _rate(row["successes"], row["attempts"]))
        rows[row["name"]] = row
    logged: dict[str, dict] = {}
    for item in daily:
        name = str(item["credential"])
        rows.setdefault(name, stats_row(name))
        entry = logged.setdefault(name, {"last": None, "attempts": 0, "successes": 0, "failures": 0})
        entry["last"] = _latest(entry["last"], item.get("last"))
        if item.get("day") in window:
            outcome, count = str(item.get("outcome")), int(item.get("count") or 0)
            entry["attempts"] += count
            entry["successes"] += count if outcome == _outcomes.SUCCESS else 0
            entry["failures"] += count if outcome in FAILURES else 0
    for name in known_names:
        rows.setdefault(str(name), stats_row(str(name)))
    for row in rows.values():
        seen = logged.get(row["name"], {"last": None, "attempts": 0, "successes": 0, "failures": 0})
        row["last_attempt"] = _latest(*(row[stamp] for stamp in STAMPS), seen["last"])
        row["window"] = {"attempts": seen["attempts"], "successes": seen["successes"], "failures": seen["failures"],
                         "other": seen["attempts"] - seen["successes"] - seen["failures"]}
        flags = []
        if row["attempts"] and not row["successes"]:
            flags.append("never_successful")
        last = parse_time(row["last_attempt"])
        if last is None:
            flags.append("never_attempted")
        elif last < cutoff:
            flags.append("unused")
        row["flags"] = flags
    return [rows[name] for name in sorted(rows)]


def device_rows(
    bindings: Iterable[Mapping[str, Any]],
    device_counts: Iterable[Mapping[str, Any]],
    run: Optional[Mapping[str, Mapping[str, Any]]] = None,
    labels: Optional[Mapping[str, Sequence[str]]] = None,
    changes: Optional[Mapping[str, Any]] = None,
) -> list[dict]:
    """Per-device rows, sorted by name.

    ``bindings``: ``bindings()`` dicts (device, credential, last_success).
    ``device_counts``: attempt counts per ``device``, ``credential`` and ``outcome`` in the
    trend window. ``run``: ``{inventory_hostname: netraven_credential fact}`` of the hosts of
    this run (name, username, outcome, attempts, time); a host without a fact is not in the run.
    ``labels``: ``{inventory_hostname: [tag or group, ...]}`` from the inventory (None: unknown).
    ``changes``: ``{"changed": [hosts], "unchanged": [hosts]}``, the hosts whose backup file this
    run changed or left as it was (hosts in neither list wrote no backup).
    """
    run = dict(run or {})
    changed_hosts = {str(h) for h in (changes or {}).get("changed") or []}
    unchanged_hosts = {str(h) for h in (changes or {}).get("unchanged") or []}
    bound = {str(b["device"]): b for b in bindings}
    logged: dict[str, dict[str, dict[str, int]]] = {}
    newest: dict[str, tuple[str, str]] = {}  # device -> (time, outcome) of its newest logged attempt
    for item in device_counts:
        device, outcome = str(item["device"]), str(item.get("outcome"))
        counts = logged.setdefault(device, {}).setdefault(str(item.get("credential")), {})
        counts[outcome] = counts.get(outcome, 0) + int(item.get("count") or 0)
        last = str(item.get("last") or "")
        if device not in newest or last > newest[device][0]:
            newest[device] = (last, outcome)
    rows = []
    for name in sorted(set(bound) | set(logged) | set(run)):
        tried = logged.get(name, {})
        outcomes = {o for per in tried.values() for o in per}
        fact = run.get(name) or {}
        binding = bound.get(name) or {}
        in_run = bool(fact)
        changed = True if name in changed_hosts else False if name in unchanged_hosts else None
        row = {
            "name": name,
            "tags": device_labels(name, labels),
            "credential": binding.get("credential"),
            "last_success": binding.get("last_success"),
            "in_run": in_run,
            "outcome": fact.get("outcome") if in_run else None,
            "attempts": int(fact["attempts"]) if in_run and fact.get("attempts") not in (None, "") else None,
            "changed": changed if in_run else None,
            "logged_attempts": sum(sum(per.values()) for per in tried.values()),
            "rejected_by": sorted(c for c, per in tried.items() if _outcomes.CREDENTIAL_FAULT.intersection(per)),
        }
        flags = []
        if in_run:
            if fact.get("outcome") in _outcomes.CREDENTIAL_FAULT:
                flags.append("no_credential_works")
            if fact.get("outcome") != _outcomes.SUCCESS:
                flags.append("failed")
        elif not binding and _outcomes.SUCCESS not in outcomes and _outcomes.CREDENTIAL_FAULT.intersection(outcomes):
            flags.append("no_credential_works")
        if (fact.get("outcome") if in_run else newest.get(name, ("", ""))[1]) == _outcomes.POST_AUTH_INTERACTION_FAILED:
            flags.append("needs_login_prompt_rule")
        row["flags"] = flags
        rows.append(row)
    return rows


def device_labels(name: str, labels: Optional[Mapping[str, Sequence[str]]]) -> list[str]:
    """The coverage-matrix rows a device belongs to: its tags/groups, sorted.

    Without inventory information (``labels`` None or empty) every device is in ``all devices``;
    a device the inventory does not list is ``(not in inventory)``, one without tags ``(none)``.
    """
    if not labels:
        return [ALL_DEVICES]
    if name not in labels:
        return [NOT_IN_INVENTORY]
    return sorted({str(t) for t in labels[name] or []}) or [UNLABELLED]


def coverage(devices: list[dict], device_counts: Iterable[Mapping[str, Any]], credentials: Sequence[str],
             labels: Optional[Mapping[str, Sequence[str]]], by: str) -> dict:
    """Tags (or groups) against credentials, in the trend window.

    Returns ``{"by": by, "credentials": [names], "rows": [{"name", "devices", "cells": [{"credential",
    "attempts", "successes", "success_rate", "devices", "works_on"}]}]}``: per tag and
    credential, the counted attempts (success, auth_rejected, enable_failed) on the tag's devices,
    their successes and rate, on how many of the tag's devices it was tried and worked.
    ``credentials``: the columns, in the order given. Tags come from ``labels`` for inventory
    hosts, so tags without any attempt still show; rows are sorted by name, the made-up rows
    (``(none)``, ``(not in inventory)``) last.
    """
    members: dict[str, set[str]] = {}
    for name in labels or {}:
        for tag in device_labels(name, labels):
            members.setdefault(tag, set()).add(name)
    for row in devices:
        for tag in row["tags"]:
            members.setdefault(tag, set()).add(row["name"])
    cells: dict[tuple[str, str], dict] = {}
    for item in device_counts:
        outcome = str(item.get("outcome"))
        if outcome not in _outcomes.COUNTED:
            continue
        device, credential, count = str(item["device"]), str(item.get("credential")), int(item.get("count") or 0)
        for tag in device_labels(device, labels):
            cell = cells.setdefault((tag, credential), {"attempts": 0, "successes": 0, "tried": set(), "worked": set()})
            cell["attempts"] += count
            cell["tried"].add(device)
            if outcome == _outcomes.SUCCESS:
                cell["successes"] += count
                cell["worked"].add(device)
    rows = []
    for tag in sorted(members, key=lambda t: (t.startswith("("), t)):
        row_cells = []
        for credential in credentials:
            cell = cells.get((tag, credential), {"attempts": 0, "successes": 0, "tried": set(), "worked": set()})
            row_cells.append({"credential": credential, "attempts": cell["attempts"], "successes": cell["successes"],
                              "success_rate": _rate(cell["successes"], cell["attempts"]),
                              "devices": len(cell["tried"]), "works_on": len(cell["worked"])})
        rows.append({"name": tag, "devices": len(members[tag]), "cells": row_cells})
    return {"by": by, "credentials": list(credentials), "rows": rows}


def trend(daily: Iterable[Mapping[str, Any]], credentials: Sequence[str], days: Sequence[str]) -> dict:
    """Attempts per day and credential: ``{"days": [...], "credentials": {name: {"attempts": [...],
    "successes": [...], "failures": [...], "failures_7d": n, "failures_prev_7d": n}}}``, one number
    per day (failures = auth_rejected + enable_failed; the rest of the attempts are device problems:
    unreachable, timeouts...), and the failures of the last 7 days and of the 7 days before."""
    index = {day: i for i, day in enumerate(days)}
    series: dict[str, dict[str, Any]] = {
        name: {"attempts": [0] * len(days), "successes": [0] * len(days), "failures": [0] * len(days)} for name in credentials}
    for item in daily:
        i = index.get(str(item.get("day")))
        name = str(item.get("credential"))
        if i is None or name not in series:
            continue
        count, outcome = int(item.get("count") or 0), str(item.get("outcome"))
        series[name]["attempts"][i] += count
        if outcome == _outcomes.SUCCESS:
            series[name]["successes"][i] += count
        elif outcome in FAILURES:
            series[name]["failures"][i] += count
    for values in series.values():
        values["failures_7d"] = sum(values["failures"][-7:])
        values["failures_prev_7d"] = sum(values["failures"][-14:-7])
    return {"days": list(days), "credentials": series}


def aaa_rows(accounts: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Shared AAA accounts (the fleet-wide lockout guard's data), normalised, sorted by name.

    Each input dict: ``name`` (the AAA server/account the credentials name with ``aaa:``), and
    optionally ``credentials`` (names), ``lockout_threshold`` (int), ``streak`` (failures the
    server counts since the account's last success, fleet-wide), ``highest_streak`` (the highest
    streak in the window), ``last_success``, ``budget_exhausted`` (attempts not admitted in this
    run: outcome ``aaa_budget_exhausted``) and ``skipped_on`` (devices where it was skipped).
    Raises KeyError when ``name`` is missing.
    """
    rows = []
    for item in accounts:
        threshold = item.get("lockout_threshold")
        highest = item.get("highest_streak")
        rows.append({
            "name": str(item["name"]),
            "credentials": sorted(str(c) for c in item.get("credentials") or []),
            "lockout_threshold": int(threshold) if threshold not in (None, "") else None,
            "streak": int(item.get("streak") or 0),
            "highest_streak": int(highest) if highest not in (None, "") else None,
            "last_success": item.get("last_success"),
            "budget_exhausted": int(item.get("budget_exhausted") or 0),
            "skipped_on": sorted(str(d) for d in item.get("skipped_on") or []),
        })
    return sorted(rows, key=lambda r: r["name"])


def aaa_accounts_from(rows: Iterable[Mapping[str, Any]], run: Optional[Mapping[str, Mapping[str, Any]]] = None,
                      credentials: Optional[Mapping[str, str]] = None,
                      policies: Optional[Mapping[str, Any]] = None) -> list[dict]:
    """The input of ``aaa_rows`` from the store and this run.

    ``rows``: the store's ``aaa_accounts()`` (``account``, ``streak``, ``max_streak``,
    ``last_success``...). ``run``: the hosts' ``netraven_credential`` facts; a fact's
    ``aaa_skipped`` lists the accounts the guard skipped on that host in this run.
    ``credentials``: ``{credential name: "user@server"}`` (the credentials naming an AAA server).
    ``policies``: the ``netraven_aaa`` settings, ``{server: {lockout_threshold, ...}}`` (a server
    without one: the guard's default, 3). Returns one dict per account seen in either.
    """
    stored = {str(r["account"]): r for r in rows}
    skipped: dict[str, list[str]] = {}
    for host, fact in (run or {}).items():
        for account in (fact or {}).get("aaa_skipped") or []:
            skipped.setdefault(str(account), []).append(str(host))
    named: dict[str, list[str]] = {}
    for credential, account in (credentials or {}).items():
        named.setdefault(str(account), []).append(str(credential))
    out = []
    for name in sorted(set(stored) | set(skipped)):
        row = stored.get(name, {})
        policy = (policies or {}).get(name.rpartition("@")[2]) or {}
        out.append({"name": name, "credentials": named.get(name, []),
                    "lockout_threshold": policy.get("lockout_threshold") or _aaa_guard.DEFAULT_THRESHOLD,
                    "streak": row.get("streak"), "highest_streak": row.get("max_streak"),
                    "last_success": row.get("last_success"),
                    "budget_exhausted": len(skipped.get(name, [])), "skipped_on": skipped.get(name, [])})
    return out


def gate(summary: Mapping[str, Any], fail_on: Iterable[str]) -> dict:
    """Which of the ``fail_on`` flags are raised: ``{"fail_on": [...], "raised": {flag: [names]},
    "message": one line or None}``. Raises ValueError naming an unknown flag."""
    fail_on = [str(f) for f in fail_on or []]
    unknown = [f for f in fail_on if f not in GATE_FLAGS]
    if unknown:
        raise ValueError("unknown fail_on flag %s (known: %s)" % (", ".join(unknown), ", ".join(GATE_FLAGS)))
    raised = {f: list(summary.get(GATE_FLAGS[f][0]) or []) for f in fail_on if summary.get(GATE_FLAGS[f][0])}
    parts = []
    for flag, names in raised.items():
        what = GATE_FLAGS[flag][1] + ("s" if len(names) != 1 else "")
        shown = ", ".join(names[:5]) + (" and %d more" % (len(names) - 5) if len(names) > 5 else "")
        parts.append("%s (%d %s: %s)" % (flag, len(names), what, shown))
    message = "credential report: %s" % "; ".join(parts) if parts else None
    return {"fail_on": fail_on, "raised": raised, "message": message}


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "%.2f" % value
    return str(value)


def table(rows: list[dict], columns: list[str]) -> list[str]:
    """Fixed-width text table: header line, rule line, one line per row (``-`` for None)."""
    cells = [[_cell(r.get(c)) if c != "flags" else (", ".join(r.get("flags") or []) or "-") for c in columns] for r in rows]
    widths = [max([len(c)] + [len(line[i]) for line in cells]) for i, c in enumerate(columns)]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    lines = [fmt.format(*columns), fmt.format(*["-" * w for w in widths])]
    lines += [fmt.format(*line).rstrip() for line in cells]
    return [line.rstrip() for line in lines]


CREDENTIAL_COLUMNS = ["name", "attempts", "successes", "failures", "success_rate", "last_success", "last_attempt", "flags"]
DEVICE_COLUMNS = ["name", "outcome", "attempts", "credential", "last_success", "flags"]
CREDENTIAL_TABLE_TITLE = "Credentials: cumulative over every run recorded in the metrics store"
DEVICE_TABLE_TITLE = "Devices: outcome and attempts of this run ('not run' = not in this run), bound credential from the store"


def with_fleet(run: Mapping[str, Mapping[str, Any]], changes: Mapping[str, Any], fleet: Mapping[str, Any]
               ) -> tuple[dict[str, Mapping[str, Any]], dict[str, list[str]]]:
    """``run`` and ``changes`` (as ``build_report`` takes them) with a fleet-mode batch result added.

    ``fleet``: the registered result of ``netraven.core.fetch_config`` with ``hosts``: ``facts``
    (``{host: netraven_credential}``) and ``hosts`` (``{host: result}``; a result with a ``size`` wrote
    or kept its backup, ``changed`` says which). Only the hosts that are keys of ``run`` (the report's
    hosts) are taken, and for them the fleet's fact and result win (a fact from the fact cache may be
    older). Returns new dicts; the inputs are not changed.
    """
    facts = fleet.get("facts") or {}
    results = fleet.get("hosts") or {}
    merged = {host: facts[host] if isinstance(facts.get(host), Mapping) else fact for host, fact in run.items()}
    saved = {host: result for host, result in results.items()
             if host in merged and isinstance(result, Mapping) and result.get("size") is not None}
    kept = {key: [str(h) for h in changes.get(key) or [] if str(h) not in saved] for key in ("changed", "unchanged")}
    kept["changed"] += [host for host, result in saved.items() if result.get("changed")]
    kept["unchanged"] += [host for host, result in saved.items() if not result.get("changed")]
    return merged, kept


def build_report(
    stats: Iterable[Mapping[str, Any]],
    bindings: Iterable[Mapping[str, Any]],
    attempts: Iterable[Mapping[str, Any]] = (),
    run: Optional[Mapping[str, Mapping[str, Any]]] = None,
    known_names: Iterable[str] = (),
    unused_days: int = 30,
    now: Optional[_dt.datetime] = None,
    daily: Optional[Iterable[Mapping[str, Any]]] = None,
    device_counts: Optional[Iterable[Mapping[str, Any]]] = None,
    window_days: int = 30,
    labels: Optional[Mapping[str, Sequence[str]]] = None,
    coverage_by: str = "tags",
    changes: Optional[Mapping[str, Any]] = None,
    aaa_accounts: Iterable[Mapping[str, Any]] = (),
    fail_on: Iterable[str] = (),
) -> dict:
    """The whole report as a JSON-ready dict (the data model of report.json, .md and .html).

    ``attempts``: attempt-log entries, used only for what ``daily``/``device_counts`` (the
    store's ``attempt_counts`` by day/credential/outcome over at least ``max(window_days,
    unused_days)`` days, and by device/credential/outcome over ``window_days`` days) do not give.
    ``window_days``: days of the trend and the coverage matrix (ending today, UTC).
    Other arguments: see :func:`credential_rows`, :func:`device_rows`, :func:`coverage`,
    :func:`aaa_rows` and :func:`gate`.

    Keys: ``generated`` (UTC ISO-8601), ``unused_days``, ``window_days``, ``credentials`` and
    ``devices`` (rows), ``coverage``, ``trend``, ``aaa_accounts`` (empty until the AAA guard
    reports accounts), ``summary`` (counts and lists of names), ``gate``, and the console
    tables ``credential_table`` and ``device_table`` (lists of text lines).
    Raises KeyError when a stats row lacks ``name``, a binding/count lacks ``device``, or an AAA
    account lacks ``name``; ValueError on an unknown ``fail_on`` flag.
    """
    now = now or _dt.datetime.now(_dt.timezone.utc)
    attempts = list(attempts)
    days = trend_days(window_days, now)
    if daily is None:
        daily = count_attempts(attempts, ("day", "credential", "outcome"))
    daily = list(daily)
    if device_counts is None:
        device_counts = count_attempts([a for a in attempts if str(a.get("time") or "")[:10] >= days[0]],
                                       ("device", "credential", "outcome"))
    device_counts = list(device_counts)
    creds = credential_rows(stats, known_names, unused_days, now, daily, days)
    names = [c["name"] for c in creds]
    # Matrix columns: the credentials tried in the window, most attempts first.
    matrix = [c["name"] for c in sorted(creds, key=lambda c: (-c["window"]["attempts"], c["name"])) if c["window"]["attempts"]]
    in_run = {str(k): v for k, v in (run or {}).items() if v}
    # Credentials the AAA guard skipped in this run (nothing sent: their counters do not show it).
    skipped = {str(c) for fact in in_run.values() for c in (fact or {}).get("aaa_skipped_credentials") or []}
    for cred in creds:
        if cred["name"] in skipped:
            cred["flags"].append("aaa_budget_exhausted")
    devices = device_rows(bindings, device_counts, in_run, labels, changes)
    aaa = aaa_rows(aaa_accounts)
    run_devices = [d for d in devices if d["in_run"]]
    summary = {
        "credentials": len(creds),
        "devices": len(devices),
        "devices_in_run": len(run_devices),
        "not_in_run": len(devices) - len(run_devices),
        "backed_up": [d["name"] for d in run_devices if d["outcome"] == _outcomes.SUCCESS],
        "changed": [d["name"] for d in run_devices if d["changed"] is True],
        "unchanged": [d["name"] for d in run_devices if d["changed"] is False],
        "never_successful": [c["name"] for c in creds if "never_successful" in c["flags"]],
        "unused": [c["name"] for c in creds if "unused" in c["flags"]],
        "never_attempted": [c["name"] for c in creds if "never_attempted" in c["flags"]],
        "flagged_credentials": [c["name"] for c in creds if c["flags"]],
        "no_credential_works": [d["name"] for d in devices if "no_credential_works" in d["flags"]],
        "failed_devices": [d["name"] for d in devices if "failed" in d["flags"]],
        "needs_login_prompt_rule": [d["name"] for d in devices if "needs_login_prompt_rule" in d["flags"]],
        "run_attempts": sum(int(d["attempts"] or 0) for d in run_devices) if in_run else None,
        "window_attempts": sum(c["window"]["attempts"] for c in creds),
        "window_success_rate": _rate(sum(c["window"]["successes"] for c in creds),
                                     sum(c["window"]["successes"] + c["window"]["failures"] for c in creds)),
        "aaa_budget_exhausted": [a["name"] for a in aaa if a["budget_exhausted"]],
        "aaa_skipped_credentials": [c["name"] for c in creds if "aaa_budget_exhausted" in c["flags"]],
    }
    return {
        "generated": now.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "unused_days": unused_days,
        "window_days": window_days,
        "credentials": creds,
        "devices": devices,
        "coverage": coverage(devices, device_counts, matrix, labels, coverage_by),
        "trend": trend(daily, names, days),
        "aaa_accounts": aaa,
        "summary": summary,
        "gate": gate(summary, fail_on),
        "credential_table": [CREDENTIAL_TABLE_TITLE] + table(creds, CREDENTIAL_COLUMNS),
        "device_table": [DEVICE_TABLE_TITLE] + table(
            [dict(d, outcome=d["outcome"] if d["in_run"] else "not run") for d in devices], DEVICE_COLUMNS),
    }
