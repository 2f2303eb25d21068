"""The figure table (``_metrics_store.FIGURES``) and what is derived from it; the never-fail wrappers."""
from __future__ import annotations

import datetime
import re
from pathlib import Path

import yaml

from ansible_collections.netraven.core.plugins.lookup import credential_metrics
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms
from ansible_collections.netraven.core.plugins.module_utils import _outcomes
from ansible_collections.netraven.core.plugins.plugin_utils._report import build_report

ROOT = Path(__file__).resolve().parents[3]
CANARY = "Canary-SafeStore-4e1"
NOW = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.timezone.utc)


def test_the_figure_table_is_consistent() -> None:
    names = [f.name for f in ms.FIGURES]
    assert len(set(names)) == len(names)
    assert set(ms.FIGURE_NAMES) == set(names) and ms.FIGURE_NAMES[:4] == ("attempts", "successes", "failures", "enable_failures")
    for figure in ms.FIGURES:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", figure.name), figure  # a plain SQL column name
        assert figure.kind in (ms.COUNT, ms.STAMP), figure
        assert figure.outcomes and figure.outcomes <= _outcomes.COUNTED, figure  # only counted outcomes move figures
        assert 1 <= figure.since <= ms.SCHEMA_VERSION, figure
    assert next(f for f in ms.FIGURES if f.name == "attempts").outcomes == _outcomes.COUNTED
    assert ms.BINDS <= _outcomes.COUNTED


def test_every_figure_is_documented() -> None:
    returned = yaml.safe_load(credential_metrics.RETURN)["_raw"]["contains"]
    guide = (ROOT / "docs" / "docsite" / "rst" / "metrics.rst").read_text()
    figures_table = guide.split("The figures\n", 1)[1].split("\n\n", 2)[1]
    for name in ms.FIGURE_NAMES:
        assert name in returned, f"{name}: not in the RETURN of the credential_metrics lookup"
        assert re.search(rf"^\| ``{name}`` +\|", figures_table, re.M), f"{name}: not in the figures table of metrics.rst"


def test_stats_row_has_every_figure_and_refuses_others() -> None:
    assert list(ms.stats_row("x")) == ["name", *ms.FIGURE_NAMES, "success_rate"]
    assert ms.stats_row("x", attempts="3", failures=None)["attempts"] == 3
    try:
        ms.stats_row("x", attempt=1)
    except TypeError as exc:
        assert "attempt" in str(exc)
    else:
        raise AssertionError("a misspelt figure was accepted")


def test_report_rows_have_the_store_shape() -> None:
    stored = ms.stats_row("a", attempts=2, successes=1, failures=1, last_failure="2026-11-29T11:00:00.000000Z")
    report = build_report([stored], [], [], known_names=["spare"], now=NOW)
    rows = report["credentials"]  # the store's row, plus the report's last_attempt, window and flags
    assert [{key: row[key] for key in stored} for row in rows] == [stored, ms.stats_row("spare")]
    assert set(rows[0]) - set(stored) == {"last_attempt", "window", "flags"}
    assert [row["flags"] for row in rows] == [[], ["never_attempted"]]


def test_record_attempt_safely_without_a_store_records_nothing(_isolated_default_store: Path) -> None:
    """None is "no store" (what open_store_safely returns when disabled or unavailable), never the default store."""
    warnings: list[str] = []
    assert ms.record_attempt_safely(None, "r1", "a", "success", 5, warn=warnings.append) is False
    assert warnings == [] and not (_isolated_default_store / "netraven").exists()


def test_record_attempt_safely_names_the_attempt_and_survives_a_broken_warn(tmp_path: Path) -> None:
    warnings: list[str] = []
    with ms.open_store(f"sqlite://{tmp_path}/m.db") as store:
        assert ms.record_attempt_safely(store, "r1", "a", "bogus", 5, warn=warnings.append) is False

        def broken(text: str) -> None:
            raise RuntimeError("the warning channel is gone")

        assert ms.record_attempt_safely(store, "r1", "a", "bogus", 5, warn=broken) is False
        assert ms.record_attempt_safely(store, "r1", "a", "success", 5, warn=broken,
                                        at=datetime.datetime(2026, 1, 1)) is True
        assert store.attempts()[0]["time"] == "2026-01-01T00:00:00.000000Z"
    assert warnings == [ms.NOT_RECORDED + "device r1, credential a: outcome 'bogus' is not one of "
                        + ", ".join(_outcomes.ALL)]


def test_open_store_safely_warns_and_returns_none(tmp_path: Path) -> None:
    warnings: list[str] = []
    assert ms.open_store_safely("none", warn=warnings.append) is None and warnings == []
    bad = f"postgresql://u:{CANARY}@127.0.0.1:1/db?connect_timeout=2"
    assert ms.open_store_safely(bad, warn=warnings.append) is None
    assert ms.open_store_safely("mysql://u@h/db", warn=warnings.append) is None
    assert [w.startswith(ms.NOT_AVAILABLE) for w in warnings] == [True, True]
    assert "127.0.0.1:1" in warnings[0] and CANARY not in " ".join(warnings)
    store = ms.open_store_safely(f"json://{tmp_path}/m.json", warn=warnings.append)
    assert store is not None and len(warnings) == 2
    store.close()
