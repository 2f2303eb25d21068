# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""P9 and P9b of bench/README.md: credential fall-through and backup at WAN latency (issue 16).

The lab simulates the round trip inside its own SSH server (``latency_ms``, lab/latency.py), so
nothing touches the host's network. "forks 20" is 20 threads in this process, as fleet mode's
pool runs devices; both sides of a row run the same way, alternately, in the same lab.

- P9: 20 devices at 100 ms that accept only the 3rd of three credentials of one user. The
  collection's credential loop (``_cli_command.run_recorded``, the action plugin's code: netmiko,
  the CLI session, the metrics store) with the default ``passwords_per_connection`` (2) vs three
  fresh raw paramiko connections per device (``SSHClient.connect`` + password, no CLI: today's
  method at its physical floor). The row's detail also gives the loop with one connection per
  credential (``passwords_per_connection: 1``, what the loop did before), with 3 per connection,
  the login phase alone (``_shared_login``'s client, no netmiko, no CLI: what sharing a
  connection saves) and the median time of each attempt (where the time goes).
- P9b: the backup of 20 devices at 100 ms, the 1st credential works (the loop reads
  ``show running-config``, ``_backup.backup`` checks, redacts and writes it) with TCP_NODELAY
  (as shipped) vs without (``_shared_login.set_nodelay`` replaced by a no-op).

Each function raises common.BenchError when a run does not end as designed (an outcome, a number
of logins or of connections in the lab's auth log, a backup file).
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import paramiko

from common import BenchError, load_average, start_lab, summary

from ansible_collections.netraven.core.plugins.module_utils import _cli_command
from ansible_collections.netraven.core.plugins.module_utils import _shared_login
from ansible_collections.netraven.core.plugins.plugin_utils import _backup

USER = "benchadmin"
CREDENTIALS = [{"name": f"wan-c{i}", "username": USER, "password": f"Bench-wan-c{i}-pw", "priority": 10 * i}
               for i in (1, 2, 3)]
TIMEOUTS = {"connect": 10.0, "banner": 15.0, "auth": 20.0, "read": 30.0}


def _lab_spec(name: str, devices: int, working: str, latency_ms: float) -> dict[str, Any]:
    """``devices`` cisco_ios devices at ``latency_ms`` that accept only credential ``working``."""
    return {"name": name, "credentials": CREDENTIALS,
            "devices": [{"name": f"w{i:03d}", "platform": "cisco_ios", "accept": [working], "latency_ms": latency_ms}
                        for i in range(1, devices + 1)]}


def _in_parallel(work: Callable[[dict], Any], devices: list[dict], forks: int) -> tuple[float, list[Any]]:
    """Run ``work(device)`` for every device on ``forks`` threads; ``(wall seconds, results in order)``."""
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=forks) as pool:
        results = list(pool.map(work, devices))
    return time.perf_counter() - start, results


# --------------------------------------------------------------------------------------------
# The sides
# --------------------------------------------------------------------------------------------
def _raw_three(dev: dict) -> int:
    """Today's method at its floor: one fresh paramiko connection per credential until one logs in.
    Returns the connections used; raises BenchError if none logs in."""
    for used, cred in enumerate(CREDENTIALS, start=1):
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(dev["host"], port=dev["port"], username=cred["username"], password=cred["password"],
                           allow_agent=False, look_for_keys=False, timeout=10, banner_timeout=15, auth_timeout=20)
            return used
        except paramiko.AuthenticationException:
            continue
        finally:
            client.close()
    raise BenchError(f"raw paramiko: no credential logged in to {dev['name']}")


def _login_only(dev: dict, per_connection: int) -> int:
    """The login phase of the collection alone: ``_shared_login``'s client and rules, no netmiko.
    Returns the credentials tried; raises BenchError if none logs in."""
    shared = _shared_login.SharedLogin(per_connection)
    try:
        for tried, cred in enumerate(CREDENTIALS, start=1):
            client = _shared_login.client(shared.take(cred), keep_open=shared.may_keep(cred))
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            try:
                client.connect(dev["host"], port=dev["port"], username=cred["username"], password=cred["password"],
                               allow_agent=False, look_for_keys=False, timeout=10, banner_timeout=15, auth_timeout=20)
                client.close()
                return tried
            except paramiko.AuthenticationException:
                client.close()
                if client.kept is not None:
                    shared.keep(client.kept, cred)
        raise BenchError(f"login only: no credential logged in to {dev['name']}")
    finally:
        shared.close()


def _params(dev: dict, store: str, commands: list[str], per_connection: int) -> dict[str, Any]:
    """Validated-looking cli_command options for one lab device (as the action plugin passes them)."""
    return dict(commands=commands, credentials=CREDENTIALS, host=dev["host"], port=dev["port"], platform="cisco_ios",
                device=dev["name"], max_attempts=3, attempt_delay=0.0, next_on_enable_failed=False, timeouts=TIMEOUTS,
                host_key_checking=False, known_hosts_file=None, enable=False, command_errors=None, login_prompts=[],
                metrics_store=store, job_id="bench-wan", passwords_per_connection=per_connection)


def _loop(store: str, per_connection: int, want: int) -> Callable[[dict], list[dict]]:
    """The collection's credential loop for one device (authenticate only); its attempt records.
    Raises BenchError unless the ``want``-th credential logged in."""
    def run(dev: dict) -> list[dict]:
        result = _cli_command.run_recorded(_params(dev, store, [], per_connection), check_mode=False,
                                           warn=lambda text: None)
        if result.get("outcome") != "success" or len(result["attempts"]) != want:
            raise BenchError(f"{dev['name']}: {result.get('msg') or result.get('outcome')}")
        return result["attempts"]
    return run


def _connections(running, before: dict[str, int]) -> dict[str, int]:
    """``{device: SSH connections (password logins) seen since `before`'s record counts}`` from the auth log."""
    out = {}
    for dev in running.devices:
        records = [r for r in running.auth_log(dev["name"])[before.get(dev["name"], 0):] if r["method"] != "publickey"]
        out[dev["name"]] = len({r["connection"] for r in records})
    return out


def _log_sizes(running) -> dict[str, int]:
    return {dev["name"]: len(running.auth_log(dev["name"])) for dev in running.devices}


def _expect_connections(running, before: dict[str, int], want: int, what: str) -> None:
    """Raise BenchError unless every device saw exactly ``want`` connections since ``before``."""
    seen = _connections(running, before)
    wrong = {name: n for name, n in seen.items() if n != want}
    if wrong:
        raise BenchError(f"{what}: expected {want} connection(s) per device, got {wrong}")


# --------------------------------------------------------------------------------------------
# P9
# --------------------------------------------------------------------------------------------
def p9_same_user(work: Path, devices: int, runs: int, forks: int, latency_ms: float = 100) -> dict[str, Any]:
    """P9: the credential loop (2 passwords per connection) / three raw paramiko connections per device."""
    running = start_lab(_lab_spec("bench-p9", devices, "wan-c3", latency_ms), work)
    sides: dict[str, list[float]] = {"base": [], "ppc2": [], "ppc1": [], "ppc3": [], "login3": [], "login2": [], "login1": []}
    per_attempt: list[list[int]] = [[], [], []]
    loads = []
    try:
        devs = running.devices
        for run in range(runs):
            loads.append(load_average())
            for side, work_fn, conns in (
                ("base", _raw_three, 3),
                ("ppc2", _loop(f"sqlite:///{work / f'p9-{run}-2.db'}", 2, 3), 2),
                ("ppc1", _loop(f"sqlite:///{work / f'p9-{run}-1.db'}", 1, 3), 3),
                ("ppc3", _loop(f"sqlite:///{work / f'p9-{run}-3.db'}", 3, 3), 1),
                ("login3", lambda d: _login_only(d, 3), 1),
                ("login2", lambda d: _login_only(d, 2), 2),
                ("login1", lambda d: _login_only(d, 1), 3),
            ):
                before = _log_sizes(running)
                seconds, results = _in_parallel(work_fn, devs, forks)
                _expect_connections(running, before, conns, f"P9 run {run} {side}")
                sides[side].append(seconds)
                if side == "ppc2":
                    for attempts in results:
                        for i, rec in enumerate(attempts):
                            per_attempt[i].append(rec["elapsed_ms"])
        loads.append(load_average())
    finally:
        running.stop()
    ratio = summary([o / b for o, b in zip(sides["ppc2"], sides["base"])])

    def rel(side: str) -> float:
        return round(statistics.median(s / b for s, b in zip(sides[side], sides["base"])), 3)

    steps = ", ".join(f"{label} {statistics.median(ms):.0f} ms" for label, ms in
                      zip(("1st (connect + rejected)", "2nd (same connection)", "3rd (connect + login + CLI + close)"),
                          per_attempt) if ms)
    return {
        "id": "P9", "title": f"fall-through at {latency_ms:g} ms, {devices} devices, 3 passwords of one user, 3rd works, forks {forks}",
        "netraven_s": summary(sides["ppc2"]), "baseline_s": summary(sides["base"]), "ratio": ratio,
        "sides_s": {k: summary(v) for k, v in sides.items()},
        "attempt_ms_median": [statistics.median(ms) if ms else None for ms in per_attempt],
        "figure": ratio["median"], "unit": "x (credential loop, 2 passwords per connection / 3 raw paramiko connections)",
        "detail": (f"1 per connection (before): {rel('ppc1'):g}x, 3 per connection: {rel('ppc3'):g}x; "
                   f"login phase alone: 3 per connection {rel('login3'):g}x, 2: {rel('login2'):g}x, 1: {rel('login1'):g}x; "
                   f"attempt medians: {steps}"),
        "goal": "<= 0.6", "met": ratio["median"] <= 0.6, "load_avg_1m": loads,
        "params": {"devices": devices, "runs": runs, "forks": forks, "latency_ms": latency_ms},
    }


# --------------------------------------------------------------------------------------------
# P9b
# --------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _without_nodelay() -> Iterator[None]:
    """Within: ``_shared_login`` leaves Nagle's algorithm on (as paramiko does by itself)."""
    original = _shared_login.set_nodelay
    _shared_login.set_nodelay = lambda sock: None
    try:
        yield
    finally:
        _shared_login.set_nodelay = original


def _backup_one(store: str, folder: Path) -> Callable[[dict], int]:
    """Read, check, redact and write one device's configuration (fetch_config's per-host work)."""
    command = _backup.command_for("cisco_ios", None)
    marker = _backup.end_marker_for("cisco_ios")

    def run(dev: dict) -> int:
        result = _cli_command.run_recorded(_params(dev, store, [command], 2), check_mode=False, warn=lambda text: None)
        if result.get("outcome") != "success":
            raise BenchError(f"{dev['name']}: {result.get('msg')}")
        saved = _backup.backup(dev["name"], result["stdout"][0], str(folder / f"{dev['name']}.cfg"), end_marker=marker)
        if saved.get("failed"):
            raise BenchError(f"{dev['name']}: {saved.get('msg')}")
        return len(result["attempts"])
    return run


def p9b_nodelay(work: Path, devices: int, runs: int, forks: int, latency_ms: float = 100) -> dict[str, Any]:
    """P9b: backup wall time with TCP_NODELAY / without, alternating, ``runs`` pairs."""
    running = start_lab(_lab_spec("bench-p9b", devices, "wan-c1", latency_ms), work)
    with_s, without_s, loads = [], [], []
    try:
        for run in range(runs):
            loads.append(load_average())
            order = [("with", with_s), ("without", without_s)]
            for side, into in (order if run % 2 == 0 else order[::-1]):
                folder = work / f"backups-{run}-{side}"
                folder.mkdir()
                job = _backup_one(f"sqlite:///{work / f'p9b-{run}-{side}.db'}", folder)
                with _without_nodelay() if side == "without" else contextlib.nullcontext():
                    seconds, _results = _in_parallel(job, running.devices, forks)
                if len(list(folder.glob("*.cfg"))) != devices:
                    raise BenchError(f"P9b run {run} {side}: {len(list(folder.glob('*.cfg')))} backups, expected {devices}")
                into.append(seconds)
        loads.append(load_average())
    finally:
        running.stop()
    ratio = summary([w / wo for w, wo in zip(with_s, without_s)])
    return {
        "id": "P9B", "title": f"backup at {latency_ms:g} ms, {devices} devices, 1st credential works, forks {forks}: TCP_NODELAY",
        "netraven_s": summary(with_s), "baseline_s": summary(without_s), "ratio": ratio,
        "figure": ratio["median"], "unit": "x (with TCP_NODELAY / without)",
        "detail": "the lab's delay line sits above TCP and loopback acknowledges at once, so no Nagle stall "
                  "can show here (see bench/README.md)",
        "goal": "< 1.0 (on a real WAN link)", "met": ratio["median"] < 1.0, "load_avg_1m": loads,
        "params": {"devices": devices, "runs": runs, "forks": forks, "latency_ms": latency_ms},
    }


# The rows for bench/run.py: id -> (function, arguments for --quick, arguments for --full).
ROWS: dict[str, tuple[Callable[..., dict[str, Any]], dict[str, Any], dict[str, Any]]] = {
    "P9": (p9_same_user, dict(devices=2, runs=1, forks=2), dict(devices=20, runs=3, forks=20)),
    "P9B": (p9b_nodelay, dict(devices=2, runs=1, forks=2), dict(devices=20, runs=3, forks=20)),
}
