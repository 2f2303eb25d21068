# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""P6a, P6b, P7 and P8 of bench/README.md: the backup playbook against a raw netmiko pool and a ping playbook.

- P6a per-host mode (one ``netraven.core.fetch_config`` task per device, forks F) vs
  bench/raw_pool.py with ``ThreadPoolExecutor(F)``: the same logins and ``show running-config``.
- P6b fleet mode (``-e config_backup_fleet=true``, ``config_backup_workers`` W) vs the raw pool
  of W threads; the whole playbook and the fleet task alone (its own ``elapsed_s``).
- P7 fleet mode on 1,000 devices: devices per minute against the raw pool of the same size.
- P8 the backup playbook vs a one-task ``ansible.builtin.ping`` playbook (bench/backup/floor.yml).

Both sides of a row run alternately (the order flips every round), each run with the load
average before it; the playbook runs record per-task wall times through the bench-only callback
bench/callback_plugins/bench_task_times.py. CPU seconds of each side (the command and its
children) and of the lab server are kept too: on 2 cores they say what bounds a run. Every run
must back up every device with exactly one login each (the 1st credential works), or
common.BenchError is raised.
"""
from __future__ import annotations

import json
import os
import resource
import sqlite3
import statistics
import sys
from pathlib import Path
from typing import Any

from backup_scenarios import FLOOR, _backup_args
from common import (BIN, CREDENTIALS, BenchError, ansible_env, auth_attempts, lab_spec, load_average, profile_playbook,
                    run_logged, start_lab, summary, write_netraven_inventory)

HERE = Path(__file__).resolve().parent
RAW_POOL = HERE / "raw_pool.py"
FLEET_FLOOR = HERE / "backup" / "floor_fleet.yml"
CALLBACKS = HERE / "callback_plugins"


# --------------------------------------------------------------------------------------------
# One timed run of a side
# --------------------------------------------------------------------------------------------
def _lab_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` (the lab server), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    """CPU seconds (user + system) of all waited-for children of this process so far."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def _timed(cmd: list[str], env: dict[str, str], log: Path, cwd: Path, lab_pid: int) -> dict[str, float]:
    """Run ``cmd`` (output to ``log``); ``{wall_s, cpu_s, lab_cpu_s, load_avg_1m}``. Raises BenchError unless it exits 0."""
    load = load_average()
    cpu0, lab0 = _children_cpu(), _lab_cpu(lab_pid)
    wall = run_logged(cmd, env, log, cwd, Path(cmd[1] if "python" in cmd[0] else cmd[0]).name)
    return {"wall_s": round(wall, 4), "cpu_s": round(_children_cpu() - cpu0, 3), "lab_cpu_s": round(_lab_cpu(lab_pid) - lab0, 3),
            "load_avg_1m": load}


class Sides:
    """The lab, its inventory and the runs of both sides of a row, with their checks."""

    def __init__(self, name: str, devices: int, work: Path) -> None:
        self.work, self.devices = work, devices
        self.running = start_lab(lab_spec(name, devices, "bench-c1"), work)
        self.inv = write_netraven_inventory(self.running, work / "inventory")
        self.device_file = work / "raw-devices.json"
        cred = CREDENTIALS[0]
        self.device_file.write_text(json.dumps({
            "credential": {"username": cred["username"], "password": cred["password"]},
            "devices": [{"name": d["name"], "host": d["host"], "port": d["port"], "platform": d["platform"]}
                        for d in self.running.devices]}), encoding="utf-8")
        self.seen = auth_attempts(self.running)
        self.count = 0

    def close(self) -> None:
        """Stop the lab."""
        self.running.stop()

    def _logins(self, what: str) -> None:
        """Raise unless every device logged in exactly once since the last check."""
        now = auth_attempts(self.running)
        wrong = {d: now[d] - self.seen.get(d, 0) for d in now if now[d] - self.seen.get(d, 0) != 1}
        if wrong:
            raise BenchError(f"{what}: expected 1 login per device, got {dict(list(wrong.items())[:10])} "
                             f"({len(wrong)} devices off; logs in {self.work})")
        self.seen = now

    def raw(self, workers: int) -> dict[str, Any]:
        """One bench/raw_pool.py run with ``workers`` threads; its timings and the pool's own."""
        self.count += 1
        log = self.work / f"raw-{workers}-{self.count}.log"
        run = _timed([sys.executable, str(RAW_POOL), str(self.device_file), str(workers)], dict(os.environ), log, self.work,
                     self.running.pid)
        line = log.read_text(encoding="utf-8").strip().splitlines()[-1]
        run.update(json.loads(line))
        if run["failed"] or run["devices"] != self.devices:
            raise BenchError(f"raw pool: {run['failed']} gave no configuration (log {log})")
        self._logins(f"raw pool run {self.count}")
        return run

    def backup_args(self, tag: str, forks: int, workers: int | None) -> tuple[list[str], dict[str, str]]:
        """ansible-playbook arguments and environment of one netraven.core.backup run (fleet mode when ``workers``)."""
        args = _backup_args(self.inv, self.work, tag, forks)
        if workers:
            args += ["-e", json.dumps({"config_backup_fleet": True, "config_backup_workers": workers,
                                       "config_backup_progress_interval": 5})]
        env = ansible_env(NETRAVEN_METRICS_STORE=f"sqlite:///{self.work / f'metrics-{tag}.db'}",
                          BENCH_TASK_TIMES=str(self.work / f"{tag}.times.json"),
                          ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS), ANSIBLE_CALLBACKS_ENABLED="bench_task_times")
        return args, env

    def backup(self, forks: int, workers: int | None = None) -> dict[str, Any]:
        """One netraven.core.backup run (per host, or fleet mode with ``workers``); timings, task times, fleet figures."""
        self.count += 1
        tag = f"backup-{workers or 'host'}-{self.count}"
        args, env = self.backup_args(tag, forks, workers)
        run = _timed([str(BIN / "ansible-playbook"), *args], env, self.work / f"{tag}.log", self.work, self.running.pid)
        written = len(list((self.work / f"backups-{tag}").glob("*.cfg")))
        if written != self.devices:
            raise BenchError(f"netraven.core.backup {tag} wrote {written} backups, expected {self.devices} (log {self.work / tag}.log)")
        self._logins(f"netraven.core.backup {tag}")
        with sqlite3.connect(self.work / f"metrics-{tag}.db") as db:
            recorded = db.execute("SELECT COUNT(*) FROM netraven_attempts").fetchone()[0]
        if recorded != self.devices:
            raise BenchError(f"netraven.core.backup {tag}: {recorded} attempts in the metrics store, expected {self.devices}")
        times = json.loads((self.work / f"{tag}.times.json").read_text(encoding="utf-8"))
        run["tasks"] = sorted(times["tasks"], key=lambda t: -t["seconds"])[:6]
        if workers:
            fleet = [f for f in times["fleet"] if f["devices"] == self.devices]
            if len(fleet) != 1 or fleet[0]["failed_hosts"]:
                raise BenchError(f"netraven.core.backup {tag}: no clean fleet result ({times['fleet']})")
            run["fleet_s"] = fleet[0]["elapsed_s"]
        return run

    def floor(self, forks: int) -> dict[str, Any]:
        """One bench/backup/floor_fleet.yml run (one run_once debug task over the same hosts)."""
        self.count += 1
        return _timed([str(BIN / "ansible-playbook"), str(FLEET_FLOOR), "-i", str(self.inv), "-f", str(forks)], ansible_env(),
                      self.work / f"floor-{self.count}.log", self.work, self.running.pid)

    def ping(self, forks: int) -> dict[str, Any]:
        """One bench/backup/floor.yml run (ansible.builtin.ping on every device, connection local)."""
        self.count += 1
        tag = f"ping-{self.count}"
        env = ansible_env(BENCH_TASK_TIMES=str(self.work / f"{tag}.times.json"),
                          ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS), ANSIBLE_CALLBACKS_ENABLED="bench_task_times")
        run = _timed([str(BIN / "ansible-playbook"), str(FLOOR), "-i", str(self.inv), "-f", str(forks)], env,
                     self.work / f"{tag}.log", self.work, self.running.pid)
        run["tasks"] = json.loads((self.work / f"{tag}.times.json").read_text(encoding="utf-8"))["tasks"]
        return run


def _alternate(runs: int, sides: list) -> list[list[dict[str, Any]]]:
    """``runs`` rounds of every side (callables), the order reversed every other round; ``[[side 0 runs], [side 1 runs], ...]``."""
    out: list[list[dict[str, Any]]] = [[] for _side in sides]
    for run in range(runs):
        order = list(range(len(sides)))
        if run % 2:
            order.reverse()
        for i in order:
            out[i].append(sides[i]())
    return out


def _ratios(top: list[dict[str, Any]], bottom: list[dict[str, Any]], key_top: str = "wall_s", key_bottom: str = "wall_s") -> dict[str, Any]:
    """Summary of the per-round ratios ``top[key_top] / bottom[key_bottom]``."""
    return summary([t[key_top] / b[key_bottom] for t, b in zip(top, bottom)])


def _loads(*groups: list[dict[str, Any]]) -> list[float]:
    """Every run's load average, in the order the groups are given."""
    return [r["load_avg_1m"] for group in groups for r in group]


def _med(runs: list[dict[str, Any]], key: str) -> float:
    """Median of ``key`` over ``runs``."""
    return statistics.median(r[key] for r in runs)


def _cpu_note(runs: list[dict[str, Any]]) -> str:
    """'CPU x s + lab y s in z s wall = n of 2 cores' for the median run."""
    cpu, lab, wall = _med(runs, "cpu_s"), _med(runs, "lab_cpu_s"), _med(runs, "wall_s")
    return f"CPU {cpu:.1f} s + lab server {lab:.1f} s in {wall:.1f} s = {(cpu + lab) / wall:.2f} of {os.cpu_count()} cores"


def _split(runs: list[dict[str, Any]], devices: int) -> str:
    """Where the median fleet-mode playbook run's wall time went: the fleet task, the per-host result step, the rest."""
    run = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
    step = sum(t["seconds"] for t in run["tasks"] if t["action"].endswith("fetch_config") and t["hosts"] == devices and devices > 1)
    where = (f"per-host result step {step:.1f} s ({step / devices * 1000:.0f} ms per host)" if step
             else "no per-host step (only failed devices take a task; none failed)")
    return (f"of the playbook's {run['wall_s']:.1f} s: fleet task {run['fleet_s']:.1f} s, {where}, "
            f"the rest {run['wall_s'] - run['fleet_s'] - step:.1f} s (ansible-playbook start-up and netmiko's import, "
            "inventory, the argument check, the report)")


# --------------------------------------------------------------------------------------------
# The rows
# --------------------------------------------------------------------------------------------
def p6a_per_host(work: Path, devices: int, runs: int, forks: int, profile: bool = False) -> dict[str, Any]:
    """P6a: per-host mode at ``forks`` vs the raw pool of ``forks`` threads, ``runs`` alternating rounds.

    ``profile``: one more per-host run under ``py-spy --gil`` (where the controller's CPU goes).
    """
    sides = Sides("bench-p6a", devices, work)
    where = None
    try:
        ours, raw = _alternate(runs, [lambda: sides.backup(forks), lambda: sides.raw(forks)])
        if profile:
            args, env = sides.backup_args("profiled", forks, None)
            where = profile_playbook(args, env, work, "p6a", gil=True)
            where["title"] = f"P6A, where the controller's CPU goes in one more per-host run ({devices} devices, forks {forks})"
    finally:
        sides.close()
    ratio = _ratios(ours, raw)
    pool_ratio = _ratios(ours, raw, key_bottom="pool_s")
    return {
        "id": "P6A", "title": f"per-host mode, {devices} devices, forks {forks}, vs raw netmiko ThreadPoolExecutor({forks})",
        "netraven_s": summary(r["wall_s"] for r in ours), "baseline_s": summary(r["wall_s"] for r in raw), "ratio": ratio,
        "figure": ratio["median"], "unit": "x (whole netraven.core.backup playbook / whole raw pool script, wall time)",
        "detail": f"against the pool alone (no interpreter start, no netmiko import: {_med(raw, 'pool_s'):.2f} s): "
                  f"{pool_ratio['median']:g}x; playbook {_cpu_note(ours)}; raw script {_cpu_note(raw)}",
        "goal": "<= 1.6", "met": ratio["median"] <= 1.6, "load_avg_1m": _loads(ours, raw), "profile": where,
        "runs_netraven": ours, "runs_baseline": raw, "params": {"devices": devices, "runs": runs, "forks": forks},
    }


def _fleet_sizes(sides: Sides, workers_list: list[int], runs: int, forks: int,
                 floors: list[dict[str, Any]] | None = None) -> dict[int, dict[str, Any]]:
    """For each pool size, ``runs`` alternating rounds of fleet mode and the raw pool; rounds outside, sizes inside.
    ``floors``: a list that receives one bench/backup/floor_fleet.yml run per round (its first run)."""
    got: dict[int, dict[str, list]] = {w: {"ours": [], "raw": []} for w in workers_list}
    for run in range(runs):
        if floors is not None:
            floors.append(sides.floor(forks))
        for workers in workers_list:
            pair = [("ours", lambda w=workers: sides.backup(forks, w)), ("raw", lambda w=workers: sides.raw(w))]
            if run % 2:
                pair.reverse()
            for key, side in pair:
                got[workers][key].append(side())
    out = {}
    for workers, sides_runs in got.items():
        ours, raw = sides_runs["ours"], sides_runs["raw"]
        out[workers] = {"ours": ours, "raw": raw, "whole": _ratios(ours, raw), "task": _ratios(ours, raw, "fleet_s", "pool_s")}
    return out


def _floor_note(size: dict[str, Any], floor_s: float, goal: float) -> str:
    """What the fixed cost of ansible-playbook leaves for the backup's own steps at one pool size.

    Floor = the one-task playbook (``floor_s``) + the raw script's netmiko import + its pool alone: a
    fleet-mode playbook whose fleet task were exactly as fast as the raw pool and that did nothing else.
    """
    raw_wall, pool, imported = _med(size["raw"], "wall_s"), _med(size["raw"], "pool_s"), _med(size["raw"], "import_s")
    floor = floor_s + imported + pool
    left = goal * raw_wall - floor
    ours = sorted(size["ours"], key=lambda r: r["wall_s"])[len(size["ours"]) // 2]
    own = ours["wall_s"] - ours["fleet_s"] - floor_s - imported
    return (f"floor {floor / raw_wall:.2f}x (the one-task playbook {floor_s:.2f} s + netmiko's import {imported:.2f} s + the pool "
            f"alone {pool:.2f} s), so the goal leaves {left:.2f} s for everything the backup adds (argument check, report, "
            f"git step, role ends; here {own:.2f} s)")


def p6b_fleet(work: Path, devices: int, workers_list: list[int], runs: int, forks: int) -> dict[str, Any]:
    """P6b: fleet mode at each pool size vs the raw pool of that size; whole playbook and the fleet task alone."""
    sides = Sides("bench-p6b", devices, work)
    floors: list[dict[str, Any]] = []
    try:
        sizes = _fleet_sizes(sides, workers_list, runs, forks, floors)
    finally:
        sides.close()
    worst = max(s["whole"]["median"] for s in sizes.values())
    floor_s = _med(floors, "wall_s")
    detail = "; ".join(
        f"{w} workers: whole playbook {s['whole']['median']:g}x ({s['whole']['min']:g}-{s['whole']['max']:g}; "
        f"{_med(s['ours'], 'wall_s'):.2f} s vs raw script {_med(s['raw'], 'wall_s'):.2f} s), "
        f"fleet task alone {s['task']['median']:g}x the pool alone ({_med(s['ours'], 'fleet_s'):.2f} s vs {_med(s['raw'], 'pool_s'):.2f} s); "
        f"{_split(s['ours'], devices)}; {_floor_note(s, floor_s, 1.4)}"
        for w, s in sizes.items())
    return {
        "id": "P6B", "title": f"fleet mode, {devices} devices, " + " / ".join(str(w) for w in workers_list)
                              + " workers, vs raw netmiko ThreadPoolExecutor of the same size",
        "figure": worst, "unit": "x (worst size; whole netraven.core.backup playbook / whole raw pool script)",
        "detail": detail, "goal": "<= 1.4", "met": worst <= 1.4,
        "load_avg_1m": [x for s in sizes.values() for x in _loads(s["ours"], s["raw"])],
        "sizes": {str(w): s for w, s in sizes.items()}, "floor_runs": floors,
        "params": {"devices": devices, "workers": workers_list, "runs": runs, "forks": forks},
    }


def p7_fleet_rate(work: Path, devices: int, workers_list: list[int], runs: int, forks: int, profile: bool = False) -> dict[str, Any]:
    """P7: fleet mode's devices per minute at each pool size / the raw pool's (same size, same run).

    ``profile``: one more fleet run at the largest pool size under py-spy.
    """
    sides = Sides("bench-p7", devices, work)
    where = None
    try:
        sizes = _fleet_sizes(sides, workers_list, runs, forks)
        if profile:
            args, env = sides.backup_args("profiled", forks, max(workers_list))
            where = profile_playbook(args, env, work, "p7", gil=True)
    finally:
        sides.close()
    rate_ratio = {w: summary(r["wall_s"] / o["wall_s"] for o, r in zip(s["ours"], s["raw"])) for w, s in sizes.items()}
    task_ratio = {w: summary(r["pool_s"] / o["fleet_s"] for o, r in zip(s["ours"], s["raw"])) for w, s in sizes.items()}
    worst = min(r["median"] for r in rate_ratio.values())

    def per_min(runs_: list[dict[str, Any]], key: str) -> float:
        return devices / _med(runs_, key) * 60

    detail = "; ".join(
        f"{w} workers: playbook {per_min(s['ours'], 'wall_s'):,.0f}/min vs raw script {per_min(s['raw'], 'wall_s'):,.0f}/min = "
        f"{rate_ratio[w]['median']:g}x ({rate_ratio[w]['min']:g}-{rate_ratio[w]['max']:g}); fleet task alone "
        f"{per_min(s['ours'], 'fleet_s'):,.0f}/min vs pool alone {per_min(s['raw'], 'pool_s'):,.0f}/min = {task_ratio[w]['median']:g}x; "
        f"{_split(s['ours'], devices)}; playbook {_cpu_note(s['ours'])}; raw {_cpu_note(s['raw'])}"
        for w, s in sizes.items())
    if profile and where:
        where["title"] = f"P7, where the controller's CPU goes in one more fleet-mode run ({devices} devices, {max(workers_list)} workers)"
    return {
        "id": "P7", "title": f"fleet mode, {devices:,} devices, devices per minute at " + " / ".join(str(w) for w in workers_list)
                             + " workers vs raw netmiko ThreadPoolExecutor of the same size",
        "figure": worst, "unit": "x (worst size; whole playbook's devices/min / whole raw pool script's)",
        "detail": detail, "goal": ">= 0.7", "met": worst >= 0.7,
        "load_avg_1m": [x for s in sizes.values() for x in _loads(s["ours"], s["raw"])], "profile": where,
        "rate_ratio": {str(w): r for w, r in rate_ratio.items()}, "task_rate_ratio": {str(w): r for w, r in task_ratio.items()},
        "sizes": {str(w): s for w, s in sizes.items()}, "params": {"devices": devices, "workers": workers_list, "runs": runs, "forks": forks},
    }


def p8_vs_ping(work: Path, devices: int, runs: int, forks: int) -> dict[str, Any]:
    """P8: the backup playbook (per-host mode) vs one ansible.builtin.ping task on the same hosts and forks."""
    sides = Sides("bench-p8", devices, work)
    try:
        ours, ping = _alternate(runs, [lambda: sides.backup(forks), lambda: sides.ping(forks)])
    finally:
        sides.close()
    ratio = _ratios(ours, ping)

    def per_host_ms(runs_: list[dict[str, Any]], action: str) -> float:
        return statistics.median(t["seconds"] for r in runs_ for t in r["tasks"] if t["action"].endswith(action)) / devices * 1000

    return {
        "id": "P8", "title": f"backup playbook vs a one-task ansible.builtin.ping playbook, {devices} devices, forks {forks}",
        "netraven_s": summary(r["wall_s"] for r in ours), "baseline_s": summary(r["wall_s"] for r in ping), "ratio": ratio,
        "figure": ratio["median"], "unit": "x (whole netraven.core.backup playbook / whole ping playbook)",
        "detail": f"task wall time per host at forks {forks}: ping {per_host_ms(ping, 'ping'):.0f} ms (a module: a fresh "
                  f"interpreter per host), fetch_config {per_host_ms(ours, 'fetch_config'):.0f} ms (in-process, with the SSH login and read)",
        "goal": "<= 0.6", "met": ratio["median"] <= 0.6, "load_avg_1m": _loads(ours, ping),
        "runs_netraven": ours, "runs_baseline": ping, "params": {"devices": devices, "runs": runs, "forks": forks},
    }
