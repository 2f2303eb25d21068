"""Pure helpers of the metrics store: URLs, redaction, times, job ids, outcome rules."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms
from ansible_collections.netraven.core.plugins.module_utils import _outcomes

CANARY = "Canary-StoreUrl-9f3"
NOW = datetime.datetime(2026, 11, 29, 12, 0, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("url, expected", [
    ("sqlite:///var/lib/m.db", ("sqlite", "/var/lib/m.db")),
    ("SQLITE:///var/lib/m.db", ("sqlite", "/var/lib/m.db")),
    ("json:///tmp/a/../m.json", ("json", "/tmp/m.json")),
    ("postgresql://u@h:5432/db", ("postgresql", "postgresql://u@h:5432/db")),
    ("postgres://u@h/db", ("postgresql", "postgres://u@h/db")),
    ("none", None),
    (" None ", None),
])
def test_parse_store_url(url: str, expected) -> None:
    assert ms.parse_store_url(url) == expected


def test_home_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert ms.parse_store_url("sqlite:///~/m.db") == ("sqlite", f"{tmp_path}/m.db")


@pytest.mark.parametrize("url, words", [
    ("sqlite://relative.db", "absolute path"),
    ("mysql://u@h/db", "expected sqlite:///"),
    ("/abs/path.db", "expected sqlite:///"),
    ("json:///tmp/", "directory"),
])
def test_bad_urls_are_named(url: str, words: str) -> None:
    with pytest.raises(ms.MetricsStoreError, match=words) as err:
        ms.parse_store_url(url)
    assert url.strip() in str(err.value)


def test_default_url_honours_xdg(tmp_path) -> None:
    assert ms.default_store_url({"XDG_DATA_HOME": str(tmp_path)}) == f"sqlite://{tmp_path}/netraven/metrics.db"
    home = ms.default_store_url({"XDG_DATA_HOME": "relative/ignored"})
    assert home.endswith("/.local/share/netraven/metrics.db") and not home.startswith("sqlite:////")


def test_open_default_store_creates_private_folder(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = ms.open_store(None)
    try:
        assert store.kind == "sqlite"
        assert store.url == f"sqlite://{tmp_path}/data/netraven/metrics.db"
        assert (tmp_path / "data" / "netraven").stat().st_mode & 0o777 == 0o700
    finally:
        store.close()
    assert ms.open_store("none") is None


def test_explicit_store_in_missing_folder_is_refused(tmp_path) -> None:
    with pytest.raises(ms.MetricsStoreError, match="does not exist"):
        ms.open_store(f"sqlite://{tmp_path}/nope/m.db")


@pytest.mark.parametrize("url", [
    f"postgresql://netraven:{CANARY}@db.example:5432/metrics?sslmode=require",
    f"postgresql://netraven@db.example/metrics?password={CANARY}&sslmode=require",
])
def test_redact_url_drops_the_password(url: str) -> None:
    shown = ms.redact_url(url)
    assert CANARY not in shown
    assert shown.startswith("postgresql://netraven@db.example") and "sslmode=require" in shown


def test_redact_url_keeps_urls_without_password() -> None:
    url = "postgresql://u@h/db?options=-csearch_path%3Dx"
    assert ms.redact_url(url) == url


def test_error_from_unreachable_server_has_no_password() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(ms.MetricsStoreError) as err:
        ms.open_store(f"postgresql://netraven:{CANARY}@127.0.0.1:1/metrics?connect_timeout=2")
    assert CANARY not in str(err.value)
    assert "postgresql://netraven@127.0.0.1:1/metrics" in str(err.value)


@pytest.mark.parametrize("value, expected", [
    ("2026-11-01", "2026-11-01T00:00:00.000000Z"),
    ("2026-11-01T10:00:00Z", "2026-11-01T10:00:00.000000Z"),
    ("2026-11-01T10:00:00+02:00", "2026-11-01T08:00:00.000000Z"),
    (datetime.datetime(2026, 11, 1, 10, 0), "2026-11-01T10:00:00.000000Z"),
    (datetime.timedelta(hours=2), "2026-11-29T10:00:00.000000Z"),
    ("30m", "2026-11-29T11:30:00.000000Z"),
    ("7d", "2026-11-22T12:00:00.000000Z"),
    (None, None),
])
def test_parse_when(value, expected) -> None:
    assert ms.parse_when(value, now=NOW) == expected


@pytest.mark.parametrize("value", ["yesterday", "7 days", 12, [1]])
def test_parse_when_names_the_field(value) -> None:
    with pytest.raises(ms.MetricsStoreError, match="older_than="):
        ms.parse_when(value, "older_than", now=NOW)


def test_timestamps_are_fixed_width_utc() -> None:
    local = datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=5)))
    assert ms.format_ts(local) == "2026-01-01T22:04:05.000006Z"
    assert len(ms.format_ts(ms.utc_now())) == 27


def test_job_id_from_env() -> None:
    assert ms.job_id_from_env({"JOB_ID": "17", "AWX_JOB_ID": "18"}) == "17"
    assert ms.job_id_from_env({"AWX_JOB_ID": " 18 "}) == "18"
    assert ms.job_id_from_env({"JOB_ID": ""}) is None


def test_cap_message() -> None:
    assert ms.cap_message(None) is None
    long = ms.cap_message("x" * 5000)
    assert len(long) == ms.MAX_MESSAGE_CHARS and long.endswith("...")
    assert ms.cap_message("a\x00b") == "ab"


@pytest.mark.parametrize("outcome", _outcomes.ALL)
def test_outcome_effect_follows_the_design_table(outcome: str) -> None:
    effect = ms.outcome_effect(outcome, "T")
    if outcome not in _outcomes.COUNTED:
        assert effect is None
        return
    # attempts == successes + failures + enable_failures for every counted outcome
    assert effect["attempts"] == 1
    assert effect["successes"] + effect["failures"] + effect["enable_failures"] == 1
    assert effect["bind"] is (outcome == "success")
    assert (effect["last_failure"] == "T") is (outcome == "auth_rejected")
    assert (effect["last_success"] == "T") is (outcome == "success")
    assert (effect["last_used"] == "T") is (outcome in ("success", "enable_failed"))


def test_stats_row_rate_is_null_before_first_attempt() -> None:
    assert ms.stats_row("x")["success_rate"] is None
    assert ms.stats_row("x", attempts=4, successes=1)["success_rate"] == 0.25


def test_every_schema_version_has_its_migration() -> None:
    from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_json as js
    from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_sql as sql

    assert sorted(sql.MIGRATIONS) == list(range(1, ms.SCHEMA_VERSION + 1))
    assert sorted(js.MIGRATIONS) == list(range(1, ms.SCHEMA_VERSION + 1))


@pytest.mark.parametrize("url", ["", "  "])
def test_empty_url_is_an_error_not_the_default_store(url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty NETRAVEN_METRICS_STORE (or option) would hide an ansible.cfg setting and silently pick the
    default store (issue 18 item 16): it is an error saying how to get the default or no store.
    Unset (None) is still the per-user default."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    for call in (ms.parse_store_url, ms.open_store):
        with pytest.raises(ms.MetricsStoreError, match="metrics store URL is empty") as err:
            call(url)
        assert "unset it" in str(err.value) and "none" in str(err.value)
    assert ms.parse_store_url(None) == ("sqlite", f"{tmp_path}/netraven/metrics.db")
    assert not (tmp_path / "netraven").exists()
    assert ms.record_attempt_safely(url, "r1", "c1", "success", 5, warn=lambda text: None) is False
