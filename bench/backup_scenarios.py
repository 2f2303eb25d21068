# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""P1 and P3 of bench/README.md: whole ``ansible-playbook`` runs against the lab.

- P1 fall-through: ``netraven.core.backup`` vs bench/fallthrough/baseline.yml (block/rescue over
  ansible.netcommon.network_cli + cisco.ios.ios_command), devices that accept only the 3rd credential.
- P3 learned order: login attempts per device (from the lab's auth log) in run 1 and run 2 of the
  backup with one metrics store.

P6a, P6b, P7 and P8 (the backup against a raw netmiko pool and a ping playbook) are in
bench/fleet_scenarios.py.

Each function takes a scratch folder and sizes, returns a result dict for bench/run.py and raises
common.BenchError when a run does not back up every device or logs in an unexpected number of times.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from common import (CREDENTIALS, ROOT, BenchError, ansible_env, auth_attempts, lab_spec, load_average,
                    profile_playbook, run_playbook, start_lab, summary, write_native_inventory, write_netraven_inventory)

BASELINE = ROOT / "bench" / "fallthrough" / "baseline.yml"
CLI_COMMAND = ROOT / "bench" / "fallthrough" / "cli_command.yml"
FLOOR = ROOT / "bench" / "backup" / "floor.yml"


def _backup_args(inv: Path, work: Path, tag: str, forks: int) -> list[str]:
    """ansible-playbook arguments of one ``netraven.core.backup`` run into ``work/backups-<tag>``."""
    return ["netraven.core.backup", "-i", str(inv), "-f", str(forks), "-e", f"config_backup_dir={work / ('backups-' + tag)}",
            "-e", f"credential_report_dir={work / ('report-' + tag)}"]


def _backup(inv: Path, work: Path, tag: str, forks: int, store: str, expect: int) -> float:
    """One ``netraven.core.backup`` run; seconds. Checks that ``expect`` backups were written."""
    backups = work / f"backups-{tag}"
    env = ansible_env(NETRAVEN_METRICS_STORE=store)
    seconds = run_playbook(_backup_args(inv, work, tag, forks), env, work / f"{tag}.log", work)
    written = len(list(backups.glob("*.cfg")))
    if written != expect:
        raise BenchError(f"netraven.core.backup run {tag} wrote {written} backups, expected {expect} (log {work / (tag + '.log')})")
    return seconds


def _check_attempts(running, before: dict[str, int], want: int, what: str) -> dict[str, int]:
    """Raise unless every device saw exactly ``want`` logins since ``before``; return the new counts."""
    now = auth_attempts(running)
    wrong = {d: now[d] - before.get(d, 0) for d in now if now[d] - before.get(d, 0) != want}
    if wrong:
        raise BenchError(f"{what}: expected {want} login attempts per device, got {wrong}")
    return now


def p1_fallthrough(work: Path, devices: int, runs: int, forks: int, profile: bool = False) -> dict[str, Any]:
    """P1: wall time of netraven.core.backup (and of a cli_command-only playbook) / the block/rescue baseline.

    ``runs`` rounds of baseline, backup, cli_command (in that order, so load hits all alike);
    every device must log in exactly 3 times per run (the 3rd credential works), each side on a
    fresh SQLite metrics store so no learned order helps. ``profile``: one more backup run under
    py-spy when the goal is missed.
    """
    running = start_lab(lab_spec("bench-p1", devices, "bench-c3"), work)
    try:
        inv = write_netraven_inventory(running, work / "inventory")
        hosts = write_native_inventory(running, work / "baseline-hosts.yml")
        creds = work / "baseline-credentials.yml"
        pairs = [{"username": c["username"], "password": c["password"]} for c in CREDENTIALS]
        creds.write_text(yaml.safe_dump({"bench_credentials": pairs}), encoding="utf-8")
        ours, cli, base, loads = [], [], [], []
        seen = auth_attempts(running)
        for run in range(runs):
            loads.append(load_average())
            base.append(run_playbook([str(BASELINE), "-i", str(hosts), "-e", f"@{creds}", "-f", str(forks)],
                                     ansible_env(), work / f"baseline-{run}.log", work))
            seen = _check_attempts(running, seen, 3, f"baseline run {run}")
            ours.append(_backup(inv, work, f"netraven-{run}", forks, f"sqlite:///{work / f'metrics-{run}.db'}", devices))
            seen = _check_attempts(running, seen, 3, f"netraven.core.backup run {run}")
            cli.append(run_playbook([str(CLI_COMMAND), "-i", str(inv), "-f", str(forks)],
                                    ansible_env(NETRAVEN_METRICS_STORE=f"sqlite:///{work / f'metrics-cli-{run}.db'}"),
                                    work / f"cli-{run}.log", work))
            seen = _check_attempts(running, seen, 3, f"cli_command run {run}")
        ratio = summary([o / b for o, b in zip(ours, base)])
        cli_ratio = summary([c / b for c, b in zip(cli, base)])
        where = None
        if profile and ratio["median"] > 0.20:
            where = profile_playbook(_backup_args(inv, work, "profiled", forks),
                                     ansible_env(NETRAVEN_METRICS_STORE=f"sqlite:///{work / 'metrics-profiled.db'}"), work, "p1")
    finally:
        running.stop()
    return {
        "id": "P1", "title": f"fall-through, {devices} devices, 3rd credential works, forks {forks}",
        "netraven_s": summary(ours), "baseline_s": summary(base), "ratio": ratio,
        "cli_command_s": summary(cli), "cli_command_ratio": cli_ratio,
        "figure": ratio["median"], "unit": "x (netraven.core.backup / block-rescue network_cli baseline)",
        "detail": f"cli_command-only playbook: {cli_ratio['median']:g}x ({cli_ratio['min']:g}-{cli_ratio['max']:g})",
        "goal": "<= 0.20", "met": ratio["median"] <= 0.20, "load_avg_1m": loads, "profile": where,
        "params": {"devices": devices, "runs": runs, "forks": forks},
    }


def p3_learned(work: Path, devices: int, forks: int) -> dict[str, Any]:
    """P3: login attempts per device in run 1 (priority order) and run 2 (learned order), one SQLite store."""
    running = start_lab(lab_spec("bench-p3", devices, "bench-c3"), work)
    try:
        inv = write_netraven_inventory(running, work / "inventory")
        store = f"sqlite:///{work / 'metrics.db'}"
        loads = [load_average()]
        _backup(inv, work, "run1", forks, store, devices)
        after1 = auth_attempts(running)
        loads.append(load_average())
        _backup(inv, work, "run2", forks, store, devices)
        after2 = auth_attempts(running)
    finally:
        running.stop()
    run1 = sum(after1.values()) / devices
    run2 = sum(after2[d] - after1[d] for d in after2) / devices
    return {
        "id": "P3", "title": f"learned order, {devices} devices, 3rd credential works",
        "attempts_per_device_run1": round(run1, 2), "attempts_per_device_run2": round(run2, 2),
        "figure": round(run2, 2), "unit": "login attempts per device on run 2 (lab auth log)",
        "goal": "== 1.00", "met": run2 == 1.0, "load_avg_1m": loads,
        "params": {"devices": devices, "forks": forks},
    }
