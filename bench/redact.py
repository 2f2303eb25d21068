# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redaction speed on real configurations (bench/README.md, "Redaction"), in process.

The 13 real configurations of tests/unit/redact/configs (2,321 lines, five vendors) are redacted
one after the other, as fleet mode's worker does with the devices of a batch:
- ``fresh``: with the remembered clean lines (``_redact._CLEAN_LINES``) emptied before every pass,
  so each pass finds only the lines repeated inside the 14 files;
- ``again``: a second pass with the lines of the first remembered, as for a fleet of devices whose
  configurations share most lines (the same templates: interfaces, NTP, logging, AAA).
Every pass must give the same text. Median of 15 passes each, alternating; writes
bench/results/redact.json and prints one line.

    .venv/bin/python bench/redact.py
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build" / "collections"))  # ansible_collections.netraven.core (make setup links it)

from ansible_collections.netraven.core.plugins.plugin_utils import _redact  # noqa: E402  # pylint: disable=wrong-import-position

CONFIGS = ROOT / "tests" / "unit" / "redact" / "configs"
RUNS = 15


def one_pass(texts: list[str]) -> tuple[float, list[str]]:
    """Seconds to redact every text once, and the redacted texts."""
    start = time.perf_counter()
    out = [_redact.redact_config(text) for text in texts]
    return time.perf_counter() - start, out


def main() -> int:
    """Measure, check, write bench/results/redact.json; 1 when a pass gave another text."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(CONFIGS.glob("*.cfg"))]
    lines = sum(len(text.splitlines()) for text in texts)
    fresh, again, reference = [], [], None
    for _run in range(RUNS):
        _redact._CLEAN_LINES.clear()  # pylint: disable=protected-access
        seconds, out = one_pass(texts)
        fresh.append(seconds)
        reference = reference or out
        seconds, out_again = one_pass(texts)
        again.append(seconds)
        if out != reference or out_again != reference:
            print("redact: a pass gave another text", file=sys.stderr)
            return 1
    result = {"files": len(texts), "lines": lines, "runs": RUNS,
              "fresh_ms": round(statistics.median(fresh) * 1000, 2), "again_ms": round(statistics.median(again) * 1000, 2),
              "fresh_us_per_line": round(statistics.median(fresh) / lines * 1e6, 2),
              "again_us_per_line": round(statistics.median(again) / lines * 1e6, 2),
              "when": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())}
    (ROOT / "bench" / "results" / "redact.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
