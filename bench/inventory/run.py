# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: `ansible-inventory --list` through netraven.core.devices vs the same hosts as native YAML.

For each size (default 1,000 and 10,000 devices) it generates the plugin's YAML source and the
equivalent native YAML inventory (same hosts, hostvars and groups; checked equal before timing),
runs `ansible-inventory -i <x> --list --output <file>` ``--runs`` times each (alternating, so load
on this shared machine hits both alike), and reports the median wall time and the ratio
plugin / native (target <= 1.0). Results go to bench/results/inventory.json and to the
``## Inventory`` section of bench/README.md (other sections are left alone).

    .venv/bin/python bench/inventory/run.py                 # 1,000 and 10,000 devices, 5 runs each
    .venv/bin/python bench/inventory/run.py --sizes 1000 --runs 3
    .venv/bin/python bench/inventory/run.py --profile 10000 # cProfile of the plugin side only
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import generate_devices  # noqa: E402  pylint: disable=wrong-import-position

BIN = Path(sys.executable).parent


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "collections"), ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    return env


def run_list(source: Path, out: Path, env: dict[str, str]) -> float:
    """Seconds (wall) for one `ansible-inventory --list` of ``source``; raises on failure."""
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(source), "--list", "--output", str(out)],
                          env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"ansible-inventory failed on {source}:\n{proc.stderr}")
    return elapsed


def unwrap(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def same_inventory(plugin_out: Path, native_out: Path) -> None:
    """Fail unless both --list outputs hold the same hosts, hostvars and group members."""
    plugin, native = (unwrap(json.loads(p.read_text(encoding="utf-8"))) for p in (plugin_out, native_out))
    assert plugin["_meta"]["hostvars"] == native["_meta"]["hostvars"], "hostvars differ"
    groups = {g for g in native if g not in ("_meta", "all")}
    for group in groups | {g for g in plugin if g not in ("_meta", "all")}:
        assert sorted(plugin.get(group, {}).get("hosts", [])) == sorted(native.get(group, {}).get("hosts", [])), group


def bench_size(count: int, runs: int, work: Path, env: dict[str, str]) -> dict:
    folder = work / str(count)
    generate_devices.write(count, folder / "devices.yml", folder / "native.yml")
    config = folder / "bench.netraven.yml"
    config.write_text("plugin: netraven.core.devices\nsource: devices.yml\n", encoding="utf-8")
    plugin_out, native_out = folder / "plugin.json", folder / "native.json"
    run_list(config, plugin_out, env)  # warm-up (bytecode, page cache) and equivalence check
    run_list(folder / "native.yml", native_out, env)
    same_inventory(plugin_out, native_out)
    plugin_times, native_times = [], []
    for i in range(runs):
        pair = [(config, plugin_out, plugin_times), (folder / "native.yml", native_out, native_times)]
        for source, out, times in (pair if i % 2 == 0 else pair[::-1]):
            times.append(run_list(source, out, env))
    result = {
        "devices": count, "runs": runs,
        "plugin_median_s": round(statistics.median(plugin_times), 3),
        "native_yaml_median_s": round(statistics.median(native_times), 3),
        "plugin_s": [round(t, 3) for t in plugin_times], "native_yaml_s": [round(t, 3) for t in native_times],
    }
    result["ratio"] = round(result["plugin_median_s"] / result["native_yaml_median_s"], 3)
    print(f"{count:>6} devices: plugin {result['plugin_median_s']:.2f} s, native YAML {result['native_yaml_median_s']:.2f} s, "
          f"ratio {result['ratio']:.2f}x (median of {runs})", flush=True)
    return result


def profile(count: int, work: Path, env: dict[str, str]) -> None:
    """Print the top of a cProfile of `ansible-inventory --list` through the plugin."""
    folder = work / str(count)
    generate_devices.write(count, folder / "devices.yml")
    config = folder / "bench.netraven.yml"
    config.write_text("plugin: netraven.core.devices\nsource: devices.yml\n", encoding="utf-8")
    stats = folder / "plugin.prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), str(BIN / "ansible-inventory"), "-i", str(config),
                    "--list", "--output", str(folder / "out.json")], env=env, check=True, capture_output=True)
    import pstats  # pylint: disable=import-outside-toplevel

    pstats.Stats(str(stats)).sort_stats("cumulative").print_stats(35)


def write_readme(results: list[dict], stamp: str) -> None:
    """Replace (or append) the self-contained ``## Inventory`` section of bench/README.md."""
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n\nScripts, not timed tests. Each section is owned by its script.\n"
    rows = "\n".join(f"| {r['devices']:,} | {r['plugin_median_s']:.2f} | {r['native_yaml_median_s']:.2f} | {r['ratio']:.2f}x |"
                     for r in results)
    section = f"""## Inventory

`ansible-inventory -i <source> --list` through `netraven.core.devices` (a YAML device file) vs the
same hosts, hostvars and groups written as a native YAML inventory (checked equal before timing).
Median wall time of {results[0]['runs']} runs each, alternating. Target: ratio <= 1.0x.
Run: `.venv/bin/python bench/inventory/run.py` (results also in `bench/results/inventory.json`).

| devices | plugin (s) | native YAML (s) | ratio |
|---:|---:|---:|---:|
{rows}

Measured {stamp} on this machine (ansible-core {ansible_version()}, Python {platform.python_version()},
2 cores shared with other jobs, so absolute seconds are noisy; the ratio is the figure).

Where the plugin's time goes (`run.py --profile 10000`, cProfile, 2026-11-29): of its `parse`,
about 55% is reading the YAML source (libyaml parsing plus PyYAML's Python constructor, kept so
tags keep their text and rows their line numbers) and about 30% adding hosts, variables and groups
to Ansible's inventory; validation is the rest. Outside `parse`, Ansible's own `--list` work
(`get_vars` per host, JSON encoding) costs the same for both sides. No per-host deep copies:
each device's hostvars are built once and wrapped once.
"""
    pattern = re.compile(r"^## Inventory\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    readme.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def ansible_version() -> str:
    from ansible.release import __version__  # pylint: disable=import-outside-toplevel

    return __version__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", type=int, metavar="DEVICES", help="profile the plugin on this many devices and exit")
    parser.add_argument("--readme-only", action="store_true", help="rewrite the README section from bench/results/inventory.json")
    args = parser.parse_args()
    if args.readme_only:
        saved = json.loads((ROOT / "bench" / "results" / "inventory.json").read_text(encoding="utf-8"))
        write_readme(saved["results"], saved["measured"])
        return
    env = ansible_env()
    with tempfile.TemporaryDirectory(prefix="netraven-bench-inventory-") as tmp:
        if args.profile:
            profile(args.profile, Path(tmp), env)
            return
        results = [bench_size(count, args.runs, Path(tmp), env) for count in args.sizes]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ROOT / "bench" / "results" / "inventory.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"measured": stamp, "ansible_core": ansible_version(), "python": platform.python_version(),
                               "results": results}, indent=2) + "\n", encoding="utf-8")
    write_readme(results, stamp)
    print(f"written {out.relative_to(ROOT)} and bench/README.md")


if __name__ == "__main__":
    main()
