"""bench/cli_command runs end to end (one repetition); its figures are read, not judged here."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.lab
def test_bench_attempts_quick(repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli_command.json"
    subprocess.run([sys.executable, str(repo_root / "bench" / "cli_command" / "bench_attempts.py"), "--repeat", "1", "--out", str(out)],
                   cwd=repo_root, check=True, capture_output=True, text=True, timeout=120)
    report = json.loads(out.read_text())
    assert set(report["median_seconds"]) == {"netmiko", "loop_first", "loop_third"}
    assert report["ratio_to_netmiko"]["netmiko"] == 1.0 and all(v > 0 for v in report["median_seconds"].values())
