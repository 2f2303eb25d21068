# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the netraven.core benchmarks (bench/README.md, the rows of ``ROWS`` below) and write their figures.

    .venv/bin/python bench/run.py --quick              # tiny sizes, one run each (make bench-quick, make test)
    .venv/bin/python bench/run.py --full               # the real sizes (make bench)
    .venv/bin/python bench/run.py --full --only P2,P3  # some of them

--full writes bench/results/<id>.json per benchmark and the table between the ``bench-run``
markers of bench/README.md (rows of benchmarks not run this time are kept). --quick writes
build/bench-quick/ only and leaves the tracked files alone. No figure is checked against its goal
here: a missed goal is reported, not an error. The exit status is 1 when a benchmark could not
run as designed (a playbook failed, a device was not backed up, a record was lost), 0 otherwise.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import backup_scenarios as bs  # noqa: E402  pylint: disable=wrong-import-position
import fleet_scenarios as fs  # noqa: E402  pylint: disable=wrong-import-position
import reject_cost  # noqa: E402  pylint: disable=wrong-import-position
import wan  # noqa: E402  pylint: disable=wrong-import-position
import aaa  # noqa: E402  pylint: disable=wrong-import-position
from common import ROOT, BenchError, load_average, machine, versions  # noqa: E402  pylint: disable=wrong-import-position

MARK_START, MARK_END = "<!-- bench-run:start -->", "<!-- bench-run:end -->"


def _load_script(name: str, path: Path):
    """Import a bench script by path under ``name`` (bench/inventory/run.py would clash with this run.py)."""
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def p4_inventory(work: Path, sizes: list[int], runs: int, full: bool) -> dict[str, Any]:
    """P4 through bench/inventory/run.py's own ``bench_size`` (the inventory branch's script)."""
    inv = _load_script("inventory_bench", HERE / "inventory" / "run.py")
    loads = [load_average()]
    rows = [inv.bench_size(count, runs, work, inv.ansible_env()) for count in sizes]
    loads.append(load_average())
    if full:  # keep the inventory script's own files current too
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        (ROOT / "bench" / "results" / "inventory.json").write_text(json.dumps(
            {"measured": stamp, "ansible_core": versions()["ansible-core"], "python": versions()["python"],
             "results": rows}, indent=2) + "\n", encoding="utf-8")
        inv.write_readme(rows, stamp)
    worst = max(r["ratio"] for r in rows)
    return {"id": "P4", "title": "ansible-inventory --list, plugin vs native YAML, " + " / ".join(f"{r['devices']:,}" for r in rows) + " devices",
            "rows": rows, "figure": worst, "unit": "x (worst size; plugin median / native YAML median)",
            "detail": ", ".join(f"{r['devices']:,}: {r['ratio']:.2f}x ({min(r['plugin_s']):.1f}-{max(r['plugin_s']):.1f} s vs "
                                f"{min(r['native_yaml_s']):.1f}-{max(r['native_yaml_s']):.1f} s)" for r in rows),
            "goal": "<= 1.0", "met": worst <= 1.0, "load_avg_1m": loads, "params": {"sizes": sizes, "runs": runs}}


def p5_store(work: Path, full: bool) -> dict[str, Any]:
    """P5 through bench/store/bench_store.py (the store branch's script), as a subprocess."""
    out = (ROOT / "bench" / "results" / "store.json") if full else work / "store.json"
    cmd = [sys.executable, str(HERE / "store" / "bench_store.py"), "--out", str(out)]
    cmd += ["--backends", "sqlite,postgresql", "--merge"] if full else ["--quick", "--backends", "sqlite,postgresql", "--readme", ""]
    loads = [load_average()]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    loads.append(load_average())
    if proc.returncode != 0:
        raise BenchError(f"bench/store/bench_store.py exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    doc = json.loads(out.read_text(encoding="utf-8"))
    top = max(r["writers"] for r in doc["results"])
    rows = [r for r in doc["results"] if r["writers"] == top and r["backend"] in ("sqlite", "postgresql")]
    if not rows:
        raise BenchError(f"bench/store/bench_store.py wrote no sqlite/postgresql rows at {top} writers to {out}")
    worst = min(r["median_records_per_s"] for r in rows)
    lost = sum(r["lost"] for r in doc["results"])
    return {"id": "P5", "title": f"metrics store throughput at {top} writers (sqlite, postgresql)",
            "rows": [{k: r[k] for k in ("backend", "writers", "records_per_run", "median_records_per_s", "lost", "load_avg_1min")}
                     for r in doc["results"]],
            "figure": round(worst), "unit": f"records/s (slowest SQL backend at {top} writers), lost {lost}",
            "detail": ", ".join(f"{r['backend']} {r['median_records_per_s']:.0f}/s" for r in rows) + f"; lost {lost}; "
                      f"min-max and 1/8 writers in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}",
            "goal": ">= 2000 records/s, 0 lost", "met": worst >= 2000 and lost == 0, "load_avg_1m": loads,
            "skipped": doc.get("skipped", {}), "params": {"full": full}}


# The rows: id -> (function, its arguments for --quick, its arguments for --full). The function
# takes the scratch folder first and returns the row's result dict (id, title, figure, unit, goal,
# met, load_avg_1m, ...; see _cell and table). One line per row, in the order they run.
ROWS: dict[str, tuple[Callable[..., dict[str, Any]], dict[str, Any], dict[str, Any]]] = {
    "P1": (bs.p1_fallthrough, dict(devices=3, runs=1, forks=3), dict(devices=20, runs=3, forks=20, profile=True)),
    "P2": (reject_cost.p2_reject, dict(repetitions=10), dict(repetitions=100)),
    "P3": (bs.p3_learned, dict(devices=3, forks=3), dict(devices=20, forks=20)),
    "P4": (p4_inventory, dict(sizes=[50], runs=1, full=False), dict(sizes=[1000, 10000], runs=3, full=True)),
    "P5": (p5_store, dict(full=False), dict(full=True)),
    "P6A": (fs.p6a_per_host, dict(devices=3, runs=1, forks=3), dict(devices=100, runs=5, forks=20, profile=True)),
    "P6B": (fs.p6b_fleet, dict(devices=3, workers_list=[2], runs=1, forks=3), dict(devices=100, workers_list=[20, 50], runs=3, forks=20)),
    "P7": (fs.p7_fleet_rate, dict(devices=6, workers_list=[2, 3], runs=1, forks=3),
           dict(devices=1000, workers_list=[20, 100], runs=3, forks=20, profile=True)),
    "P8": (fs.p8_vs_ping, dict(devices=3, runs=1, forks=3), dict(devices=20, runs=5, forks=20)),
    **wan.ROWS,  # P9, P9B (bench/wan.py)
    "P10": (aaa.p10_aaa, aaa.SIZES["quick"], aaa.SIZES["full"]),
}


def _order(rid: str) -> tuple[int, str]:
    """Sort key of a row id: P2 before P10, P6A before P6B."""
    digits = "".join(ch for ch in rid[1:] if ch.isdigit())
    return int(digits or 0), rid


def _cell(result: dict[str, Any]) -> str:
    """The 'measured' cell: median (min-max) of the main figure and its parts."""
    parts = []
    for key, label in (("netraven_s", "netraven.core"), ("baseline_s", "baseline"), ("ideal_s", "ideal"),
                       ("netraven_ms", "netraven.core"), ("paramiko_ms", "paramiko")):
        if key in result:
            unit = "ms" if key.endswith("_ms") else "s"
            s = result[key]
            parts.append(f"{label} {s['median']:g} {unit} ({s['min']:g}-{s['max']:g})")
    if "ratio" in result:
        parts.insert(0, f"ratio {result['ratio']['min']:g}-{result['ratio']['max']:g}")
    if "attempts_per_device_run1" in result:
        parts.append(f"run 1: {result['attempts_per_device_run1']:.2f}, run 2: {result['attempts_per_device_run2']:.2f}")
    if "detail" in result:
        parts.append(result["detail"])
    return "; ".join(parts)


def table(results: dict[str, dict[str, Any]]) -> str:
    """The Markdown table of bench/README.md (one row per benchmark, in id order)."""
    lines = ["| id | benchmark | figure (median) | goal | met | runs: min-max and parts | load avg 1 min | measured |",
             "|---|---|---:|---|---|---|---|---|"]
    for rid in sorted(results, key=_order):
        r = results[rid]
        loads = r.get("load_avg_1m") or []
        load = f"{min(loads):g}-{max(loads):g}" if loads else "?"
        lines.append(f"| {rid} | {r['title']} | {r['figure']:g} {r['unit'].split(' ')[0]} | {r['goal']} | "
                     f"{'yes' if r['met'] else '**no**'} | {_cell(r)} | {load} | {r.get('when', '?')} |")
    first = next(iter(results.values()), {})
    v, m = first.get("versions", {}), first.get("machine", {})
    lines += ["", f"Machine: {m.get('cores')} cores ({m.get('platform')}); ansible-core {v.get('ansible-core')}, "
              f"ansible {v.get('ansible')}, netmiko {v.get('netmiko')}, paramiko {v.get('paramiko')}, Python {v.get('python')}. "
              "Units and the raw runs of each row: `bench/results/<id>.json`."]
    for rid in sorted(results, key=_order):
        where = results[rid].get("profile")
        if where:
            title = where.get("title") or f"{rid}, where the time of one more netraven.core.backup run goes"
            lines += ["", f"**{title}** "
                      f"({where.get('tool') or 'no profiler'}, {where.get('seconds', '?')} s under the profiler):", "",
                      where["table"]]
    return "\n".join(lines)


def update_readme(results: dict[str, dict[str, Any]]) -> None:
    """Replace the table between the bench-run markers of bench/README.md."""
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text(encoding="utf-8")
    if MARK_START not in text or MARK_END not in text:
        raise BenchError(f"{readme}: the {MARK_START} / {MARK_END} markers are missing")
    head, _sep, rest = text.partition(MARK_START)
    _old, _sep, tail = rest.partition(MARK_END)
    readme.write_text(f"{head}{MARK_START}\n{table(results)}\n{MARK_END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the chosen benchmarks, write results; see the file docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="tiny sizes, one run each; writes build/bench-quick/ only")
    mode.add_argument("--full", action="store_true", help="the real sizes; writes bench/results/ and bench/README.md")
    parser.add_argument("--only", default=",".join(ROWS), help="comma-separated ids, e.g. P2,P6B (default: all)")
    args = parser.parse_args(argv)
    chosen = [x.strip().upper() for x in args.only.split(",") if x.strip()]
    unknown = [x for x in chosen if x not in ROWS]
    if unknown:
        parser.error(f"unknown benchmark id(s) {', '.join(unknown)}; known: {', '.join(ROWS)}")
    out_dir = ROOT / "bench" / "results" if args.full else ROOT / "build" / "bench-quick"
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = []
    for rid in chosen:
        with tempfile.TemporaryDirectory(prefix=f"netraven-bench-{rid}-") as tmp:
            before = machine()
            print(f"== {rid} (load {before['load_avg_1m']})", flush=True)
            try:
                function, quick, full = ROWS[rid]
                result = function(Path(tmp), **(full if args.full else quick))
            except Exception as exc:  # noqa: BLE001 - reported, then the exit status says it
                traceback.print_exc()
                print(f"{rid}: FAILED: {exc}", file=sys.stderr, flush=True)
                failed.append(rid)
                continue
        result.update(when=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
                      mode="full" if args.full else "quick", machine=before, versions=versions())
        (out_dir / f"{rid.lower()}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"{rid}: {result['figure']:g} {result['unit']} (goal {result['goal']}: {'met' if result['met'] else 'MISSED'})", flush=True)
    saved = {rid: json.loads((out_dir / f"{rid.lower()}.json").read_text(encoding="utf-8"))
             for rid in ROWS if (out_dir / f"{rid.lower()}.json").exists()}
    if args.full:
        update_readme(saved)
    print(table(saved))
    if failed:
        print(f"bench: {', '.join(failed)} could not run (see above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
