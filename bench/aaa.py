# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""P10 of bench/README.md: what the fleet-wide AAA guard (issue 17) costs a correct shared account.

The lab simulates a central TACACS server: every device uses it, the shared account's password is
right on all devices but ``rejecting`` of them (the server refuses the account there, and counts
it), and a local account works everywhere as the second credential. ``netraven.core.backup`` runs
at ``forks`` with the account named as a shared AAA account (``aaa: tacacs-prod``, the guard on,
``netraven_aaa`` threshold 3) and without (the same credential without ``aaa``: no guard),
alternating, each run on a fresh SQLite store (no learned order) and with its own account, so
that one run's counters do not carry into the next. The guarded account's server locks after 3
consecutive failures; the unguarded baseline's account sits on a server that never locks (its
speed is the same, and a lockout would fail the baseline's devices). The figure is
median(guard) / median(no guard); every run must back up every device, and the guarded accounts
must never be locked (BenchError otherwise).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from common import ROOT, BenchError, ansible_env, load_average, run_playbook, start_lab, summary

SIZES = {
    "quick": {"devices": 6, "rejecting": 1, "runs": 1, "forks": 3},
    "full": {"devices": 30, "rejecting": 3, "runs": 5, "forks": 20},
}
"""The row's arguments for --quick and --full (bench/run.py)."""
THRESHOLD = 3
LOCAL = {"name": "local", "username": "localadm", "password": "Bench-only-local-pw"}
CONFIG = ROOT / "lab" / "configs" / "cisco_ios_rtr2811.cfg"


def _user(kind: str, run: int) -> str:
    return f"{kind}{run}"


def _spec(devices: int, rejecting: int, runs: int) -> tuple[dict[str, Any], set[str]]:
    """The lab and the names of the devices where the shared accounts are refused (spread out)."""
    step = max(devices // max(rejecting, 1), 1)
    refused = {f"d{i:03d}" for i in range(step // 2 + 1, devices + 1, step)}
    refused = set(sorted(refused)[:rejecting])
    users = [(_user(kind, run), server) for run in range(runs) for kind, server in (("g", "tacacs-prod"), ("n", "tacacs-lenient"))]
    creds = [dict(LOCAL)] + [{"name": user, "username": user, "password": f"Bench-only-{user}-pw", "aaa": server}
                             for user, server in users]
    devs = []
    for i in range(1, devices + 1):
        name = f"d{i:03d}"
        accept = ["local"] + ([] if name in refused else [user for user, _server in users])
        devs.append({"name": name, "platform": "cisco_ios", "accept": accept, "aaa": "tacacs-prod",
                     "running_config": str(CONFIG)})
    spec = {"name": "bench-p10", "credentials": creds, "devices": devs,
            "aaa": {"tacacs-prod": {"lockout": {"after": THRESHOLD, "for": 600}},
                    "tacacs-lenient": {"lockout": {"after": 10**6, "for": 1}}}}
    return spec, refused


def _inventory(running, folder: Path, user: str, guarded: bool) -> Path:
    """An inventory folder whose first credential is the shared account ``user`` (with ``aaa`` when guarded)."""
    (folder / "group_vars").mkdir(parents=True)
    (folder.parent / f"{folder.name}-devices.yml").write_text(running.inventory_yaml(), encoding="utf-8")
    (folder / "lab.netraven.yml").write_text(
        f"plugin: netraven.core.devices\nsource: {folder.parent / (folder.name + '-devices.yml')}\n", encoding="utf-8")
    shared = {"name": user, "username": user, "password": f"Bench-only-{user}-pw", "priority": 10, "tags": ["default"]}
    body: dict[str, Any] = {"config_backup_command_options": {"host_key_checking": False}}
    if guarded:
        shared["aaa"] = "tacacs-prod"
        body["netraven_aaa"] = {"tacacs-prod": {"lockout_threshold": THRESHOLD, "window": 900}}
    body["netraven_credentials"] = [shared, dict(LOCAL, priority=20, tags=["default"])]
    (folder / "group_vars" / "all.yml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return folder


def _backup(running, work: Path, tag: str, user: str, guarded: bool, forks: int, devices: int) -> float:
    """One netraven.core.backup run; seconds. Checks that every device was backed up."""
    inv = _inventory(running, work / f"inv-{tag}", user, guarded)
    backups = work / f"backups-{tag}"
    env = ansible_env(NETRAVEN_METRICS_STORE=f"sqlite:///{work / f'metrics-{tag}.db'}")
    seconds = run_playbook(["netraven.core.backup", "-i", str(inv), "-f", str(forks), "-e", f"config_backup_dir={backups}",
                            "-e", f"credential_report_dir={work / ('report-' + tag)}", "-e", "config_backup_git=false"],
                           env, work / f"{tag}.log", work)
    written = len(list(backups.glob("*.cfg")))
    if written != devices:
        raise BenchError(f"P10 run {tag} wrote {written} backups, expected {devices} (log {work / (tag + '.log')})")
    return seconds


def p10_aaa(work: Path, devices: int, rejecting: int, runs: int, forks: int) -> dict[str, Any]:
    """P10: wall time of the backup with the AAA guard / without it, shared account right on all but ``rejecting``."""
    spec, refused = _spec(devices, rejecting, runs)
    running = start_lab(spec, work)
    try:
        guard, plain, loads, streaks, shared_logins = [], [], [], [], []
        for run in range(runs):
            loads.append(load_average())
            order = [("n", False), ("g", True)] if run % 2 == 0 else [("g", True), ("n", False)]
            for kind, guarded in order:
                user = _user(kind, run)
                seconds = _backup(running, work, f"{kind}{run}", user, guarded, forks, devices)
                (guard if guarded else plain).append(seconds)
                if guarded:
                    seen = running.aaa()["accounts"].get(f"{user}@tacacs-prod", {})
                    if seen.get("locks") or seen.get("max_streak", 0) >= THRESHOLD:
                        raise BenchError(f"P10: the guarded account {user} was locked or reached the threshold: {seen}")
                    streaks.append(seen.get("max_streak", 0))
                    shared_logins.append(seen.get("successes", 0))
        loads.append(load_average())
    finally:
        running.stop()
    ours, base = summary(guard), summary(plain)
    ratio = round(ours["median"] / base["median"], 3)
    return {
        "id": "P10", "title": f"backup of {devices} devices at forks {forks}, shared TACACS account refused on {rejecting}: "
                              "AAA guard on vs off",
        "netraven_s": ours, "baseline_s": base, "figure": ratio,
        "unit": "x (median with the AAA guard / median without)",
        "detail": f"highest streak with the guard {max(streaks)} (threshold {THRESHOLD}, never locked); logins with the shared "
                  f"account per guarded run {shared_logins} of {devices - rejecting} possible; refused on {sorted(refused)}",
        "goal": "<= 1.1, never locked", "met": ratio <= 1.1, "load_avg_1m": loads,
        "params": {"devices": devices, "rejecting": rejecting, "runs": runs, "forks": forks},
    }
