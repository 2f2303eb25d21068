#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What credential fallback costs: cli_command's loop against plain netmiko, on one lab device.

Three ways to log in to a lab cisco_ios device and read ``show running-config``, each timed
``--repeat`` times (default 5), median reported:

- ``netmiko``: ``ConnectHandler`` with the right credential, ``send_command``, ``disconnect``;
- ``loop_first``: ``_attempts.run_attempts`` with the right credential first (the loop's own
  overhead: banner-recording client, first-prompt read, classification);
- ``loop_third``: two rejected credentials before the right one (the price of fallback).

Ratios are against ``netmiko``. Writes ``--out`` (JSON, default bench/results/cli_command.json).
Run from the repository root: ``.venv/bin/python bench/cli_command/bench_attempts.py``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "build" / "collections"))
sys.path.insert(0, str(ROOT))

from netmiko import ConnectHandler  # noqa: E402

from ansible_collections.netraven.core.plugins.module_utils import _attempts  # noqa: E402
from lab.control import start  # noqa: E402

CREDENTIALS = [
    {"name": "old1", "username": "admin", "password": "bench-old-1"},
    {"name": "old2", "username": "admin", "password": "bench-old-2"},
    {"name": "right", "username": "admin", "password": "bench-right"},
]
LAB = {"credentials": CREDENTIALS,
       "devices": [{"name": "r1", "platform": "cisco_ios", "port": "auto", "accept": ["right"]}]}
COMMAND = "show running-config"


def plain_netmiko(port: int) -> None:
    """The baseline: one netmiko session with the right credential."""
    conn = ConnectHandler(device_type="cisco_ios", host="127.0.0.1", port=port, username="admin",
                          password="bench-right", allow_agent=False, use_keys=False)
    conn.send_command(COMMAND)
    conn.disconnect()


def loop(port: int, credentials: list[dict]) -> None:
    """cli_command's loop; fails loudly if it did not log in."""
    summary = _attempts.run_attempts(_attempts.Target("127.0.0.1", port, host_key_checking=False), credentials, [COMMAND])
    if summary["outcome"] != "success":
        raise SystemExit(f"bench: expected success, got {summary['attempts']}")


def median_seconds(func, repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``func`` (seconds)."""
    times: list[float] = []
    while len(times) < repeat:
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Start the lab, time the three cases, print and write the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "cli_command.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        running = start(LAB, state_dir=Path(state) / "lab")
        try:
            port = running.port("r1")
            plain_netmiko(port)  # warm-up: imports, host key generation, first connection
            results = {
                "netmiko": median_seconds(lambda: plain_netmiko(port), args.repeat),
                "loop_first": median_seconds(lambda: loop(port, [CREDENTIALS[2]]), args.repeat),
                "loop_third": median_seconds(lambda: loop(port, CREDENTIALS), args.repeat),
            }
        finally:
            running.stop()
    base = results["netmiko"]
    report = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "repeat": args.repeat,
        "median_seconds": {k: round(v, 3) for k, v in results.items()},
        "ratio_to_netmiko": {k: round(v / base, 2) for k, v in results.items()},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    for name, seconds in results.items():
        print(f"{name:11s} {seconds:7.3f} s  x{seconds / base:.2f}")


if __name__ == "__main__":
    main()
