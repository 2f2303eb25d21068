# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""P2 of bench/README.md: the cost of one rejected credential, in process.

netraven.core's side is ``_attempts.attempt_one`` (what cli_command runs per credential: a fresh
netmiko/paramiko connection, classification, clean-up) with a credential the device rejects.
The baseline is the physical floor: a raw ``paramiko.SSHClient().connect`` with the same wrong
password (TCP connect + key exchange + one password round trip), no agent, no keys.
Both alternate against the same lab device; the figure is median(netraven) / median(paramiko).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import paramiko

from common import CREDENTIALS, BenchError, lab_spec, load_average, start_lab, summary

from ansible_collections.netraven.core.plugins.module_utils import _attempts  # pylint: disable=wrong-import-order
from ansible_collections.netraven.core.plugins.module_utils import _outcomes


def _raw_paramiko(host: str, port: int, cred: dict) -> float:
    """Seconds for one paramiko connect whose password is rejected; raises BenchError if it is not."""
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    start = time.perf_counter()
    rejected = False
    try:
        client.connect(host, port=port, username=cred["username"], password=cred["password"],
                       allow_agent=False, look_for_keys=False, timeout=10, banner_timeout=15, auth_timeout=20)
    except paramiko.AuthenticationException:
        rejected = True
    finally:
        client.close()  # inside the timing, as attempt_one's clean-up is
    elapsed = time.perf_counter() - start
    if not rejected:
        raise BenchError("raw paramiko: the lab accepted a credential it should reject")
    return elapsed


def _netraven(host: str, port: int, cred: dict) -> float:
    """Seconds for one ``attempt_one`` that ends auth_rejected; raises BenchError on another outcome."""
    target = _attempts.Target(host=host, port=port, platform="cisco_ios", host_key_checking=False)
    start = time.perf_counter()
    result = _attempts.attempt_one(target, cred, [], _attempts.Timeouts())
    elapsed = time.perf_counter() - start
    if result["outcome"] != _outcomes.AUTH_REJECTED:
        raise BenchError(f"attempt_one: expected auth_rejected, got {result['outcome']}")
    return elapsed


def _p10(values: list[float]) -> float:
    """The 10th percentile of ``values`` (the fast end, least disturbed by other processes)."""
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.1) - 1)] if len(ordered) >= 10 else ordered[0]


def p2_reject(work: Path, repetitions: int) -> dict[str, Any]:
    """P2: ``repetitions`` rejected attempts each way (alternating, after one warm-up each)."""
    running = start_lab(lab_spec("bench-p2", 1, "bench-c3"), work)
    try:
        dev = running.devices[0]
        bad = CREDENTIALS[0]
        _raw_paramiko(dev["host"], dev["port"], bad)
        _netraven(dev["host"], dev["port"], bad)
        loads = [load_average()]
        ours, raw = [], []
        for rep in range(repetitions):  # alternate which side goes first
            pair = [(raw, _raw_paramiko), (ours, _netraven)]
            for into, measure in (pair if rep % 2 == 0 else pair[::-1]):
                into.append(measure(dev["host"], dev["port"], bad) * 1000)
        loads.append(load_average())
    finally:
        running.stop()
    ours_s, raw_s = summary(ours, 2), summary(raw, 2)
    ratio = round(ours_s["median"] / raw_s["median"], 3)
    floor = round(_p10(ours) / _p10(raw), 3)
    return {
        "id": "P2", "title": "one rejected credential vs raw paramiko connect + password auth",
        "netraven_ms": ours_s, "paramiko_ms": raw_s, "figure": ratio,
        "unit": "x (median attempt_one / median raw paramiko, rejected password)",
        "netraven_p10_ms": round(_p10(ours), 2), "paramiko_p10_ms": round(_p10(raw), 2), "p10_ratio": floor,
        "detail": f"10th percentiles {_p10(ours):.1f} / {_p10(raw):.1f} ms = {floor:g}x",
        "goal": "<= 1.5", "met": ratio <= 1.5, "load_avg_1m": loads, "params": {"repetitions": repetitions},
    }
