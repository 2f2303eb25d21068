# -*- coding: utf-8 -*-
# Copyright (c) netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the credential report from metrics-store figures (pure functions, no Ansible state).

``build_report`` takes what the lookup ``netraven.core.credential_metrics`` returns (the store
contract of DESIGN.md §3: per-credential stats, device bindings, the attempt log) plus,
optionally, the ``netraven_credential`` facts of the hosts of the current run, and returns one
JSON-ready dict: per-credential rows with flags, per-device rows with flags, a summary and a
plain-text table for the console. No secret ever enters: the inputs hold names, counters,
outcome words and times only.

Flags, per credential:
- ``never_successful``: attempted at least once, never a success;
- ``unused``: no attempt in the last ``unused_days`` days (or never attempted).
Per device:
- ``no_credential_works``: the device refused every credential tried: its outcome in this run
  is ``auth_rejected``/``enable_failed``/``auth_method_unsupported``, or (without run
  information) its logged attempts include such rejections and none succeeded, and it has no
  binding;
- ``failed``: its outcome in this run is anything but ``success`` (unreachable, locked_out...);
- ``needs_login_prompt_rule``: its outcome in this run (without run information: its newest
  logged attempt) is ``post_auth_interaction_failed``: a credential logged in, then the device
  asked something no ``netraven_login_prompts`` rule answers, or closed the session after the answer.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable, Mapping, Optional

from ansible_collections.netraven.core.plugins.module_utils import _outcomes
from ansible_collections.netraven.core.plugins.module_utils._metrics_store import FIGURE_NAMES, parse_time, stats_row


def _rate(successes: int, attempts: int) -> Optional[float]:
    return round(successes / attempts, 4) if attempts else None


def credential_rows(
    stats: Iterable[Mapping[str, Any]],
    known_names: Iterable[str] = (),
    unused_days: int = 30,
    now: Optional[_dt.datetime] = None,
) -> list[dict]:
    """Per-credential rows, sorted by name.

    ``stats``: ``credential_stats()`` dicts (name, the store's figures
    ``_metrics_store.FIGURE_NAMES``, success_rate); each row has the shape of
    ``_metrics_store.stats_row`` plus ``flags``, a missing counter read as 0 and a missing
    ``success_rate`` computed. ``known_names``: configured credential names; those absent from
    ``stats`` get a row of zeros (flagged ``unused``). ``unused_days``: days without an attempt
    before ``unused``. ``now``: aware datetime, default the current UTC time.
    """
    now = now or _dt.datetime.now(_dt.timezone.utc)
    cutoff = now - _dt.timedelta(days=unused_days)
    rows: dict[str, dict] = {}
    for item in stats:
        row = stats_row(str(item["name"]), **{key: item.get(key) for key in FIGURE_NAMES})
        row["success_rate"] = item.get("success_rate", _rate(row["successes"], row["attempts"]))
        rows[row["name"]] = row
    for name in known_names:
        rows.setdefault(str(name), stats_row(str(name)))
    for row in rows.values():
        flags = []
        if row["attempts"] and not row["successes"]:
            flags.append("never_successful")
        last_used = parse_time(row["last_used"] or row["last_failure"])
        if last_used is None or last_used < cutoff:
            flags.append("unused")
        row["flags"] = flags
    return [rows[name] for name in sorted(rows)]


def device_rows(
    bindings: Iterable[Mapping[str, Any]],
    attempts: Iterable[Mapping[str, Any]],
    run: Optional[Mapping[str, Mapping[str, Any]]] = None,
) -> list[dict]:
    """Per-device rows, sorted by name.

    ``bindings``: ``bindings()`` dicts (device, credential, last_success).
    ``attempts``: attempt-log dicts (device, credential, outcome, time...), any order.
    ``run``: ``{inventory_hostname: netraven_credential fact}`` of the current run (name,
    username, outcome, attempts, time); None when the report runs on its own.
    """
    run = dict(run or {})
    bound = {str(b["device"]): b for b in bindings}
    logged: dict[str, list[Mapping[str, Any]]] = {}
    for item in attempts:
        logged.setdefault(str(item["device"]), []).append(item)
    rows = []
    for name in sorted(set(bound) | set(logged) | set(run)):
        outcomes = [str(a.get("outcome")) for a in logged.get(name, [])]
        fact = run.get(name) or {}
        binding = bound.get(name) or {}
        row = {
            "name": name,
            "credential": binding.get("credential"),
            "last_success": binding.get("last_success"),
            "outcome": fact.get("outcome"),
            "attempts": int(fact["attempts"]) if fact.get("attempts") not in (None, "") else None,
            "logged_attempts": len(outcomes),
        }
        flags = []
        newest = max(logged.get(name, []), key=lambda a: str(a.get("time") or ""), default={})
        if fact:
            if fact.get("outcome") in _outcomes.CREDENTIAL_FAULT:
                flags.append("no_credential_works")
            if fact.get("outcome") != _outcomes.SUCCESS:
                flags.append("failed")
        elif not binding and _outcomes.SUCCESS not in outcomes and _outcomes.CREDENTIAL_FAULT.intersection(outcomes):
            flags.append("no_credential_works")
        if (fact.get("outcome") if fact else newest.get("outcome")) == _outcomes.POST_AUTH_INTERACTION_FAILED:
            flags.append("needs_login_prompt_rule")
        row["flags"] = flags
        rows.append(row)
    return rows


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


CREDENTIAL_COLUMNS = ["name", "attempts", "successes", "failures", "success_rate", "last_success", "flags"]
DEVICE_COLUMNS = ["name", "outcome", "attempts", "credential", "last_success", "flags"]


def build_report(
    stats: Iterable[Mapping[str, Any]],
    bindings: Iterable[Mapping[str, Any]],
    attempts: Iterable[Mapping[str, Any]],
    run: Optional[Mapping[str, Mapping[str, Any]]] = None,
    known_names: Iterable[str] = (),
    unused_days: int = 30,
    now: Optional[_dt.datetime] = None,
) -> dict:
    """The whole report as a JSON-ready dict.

    Keys: ``generated`` (UTC ISO-8601), ``unused_days``, ``credentials`` and ``devices``
    (rows from :func:`credential_rows` / :func:`device_rows`), ``summary`` (lists of names:
    ``never_successful``, ``unused``, ``no_credential_works``, ``failed_devices``,
    ``needs_login_prompt_rule``; and
    ``run_attempts``, the sum of attempts in this run, or None without run facts),
    ``credential_table`` and ``device_table`` (lists of text lines).
    Raises KeyError when a stats row lacks ``name`` or a binding/attempt lacks ``device``.
    """
    now = now or _dt.datetime.now(_dt.timezone.utc)
    creds = credential_rows(stats, known_names, unused_days, now)
    devices = device_rows(bindings, attempts, run)
    run_attempts = sum(int(f.get("attempts") or 0) for f in (run or {}).values()) if run else None
    return {
        "generated": now.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "unused_days": unused_days,
        "credentials": creds,
        "devices": devices,
        "summary": {
            "credentials": len(creds),
            "devices": len(devices),
            "never_successful": [c["name"] for c in creds if "never_successful" in c["flags"]],
            "unused": [c["name"] for c in creds if "unused" in c["flags"]],
            "no_credential_works": [d["name"] for d in devices if "no_credential_works" in d["flags"]],
            "failed_devices": [d["name"] for d in devices if "failed" in d["flags"]],
            "needs_login_prompt_rule": [d["name"] for d in devices if "needs_login_prompt_rule" in d["flags"]],
            "run_attempts": run_attempts,
        },
        "credential_table": table(creds, CREDENTIAL_COLUMNS),
        "device_table": table(devices, DEVICE_COLUMNS),
    }
