"""bench/store/bench_store.py still runs (tiny sizes), writes its JSON and its README table, and loses nothing."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_store_bench_quick(repo_root: Path, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\n## Store throughput\n\n<!-- store-bench:start -->\nold\n<!-- store-bench:end -->\n\n## Other\n")
    out = tmp_path / "store.json"
    result = subprocess.run(
        [sys.executable, str(repo_root / "bench" / "store" / "bench_store.py"), "--quick", "--backends", "sqlite,json",
         "--out", str(out), "--readme", str(readme)],
        capture_output=True, text=True, timeout=120, check=False, cwd=repo_root,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(out.read_text())
    rows = {(r["backend"], r["writers"]): r for r in doc["results"]}
    assert set(rows) == {("sqlite", 1), ("sqlite", 4), ("json", 1), ("json", 4)}
    assert all(r["lost"] == 0 and r["counter_drift"] == 0 and r["median_records_per_s"] > 0 for r in rows.values())
    text = readme.read_text()
    assert "old" not in text and "| sqlite | 4 | 40 |" in text and text.endswith("## Other\n")
