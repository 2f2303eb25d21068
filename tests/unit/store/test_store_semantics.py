"""What record_attempt does to counters, bindings and the log, on every backend (real files, real PostgreSQL)."""
from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms

CANARY = "Canary-StoreMsg-9f3"
T0 = datetime.datetime(2026, 11, 1, 10, 0, tzinfo=datetime.timezone.utc)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


@pytest.fixture
def store(store_url: str):
    opened = ms.open_store(store_url)
    yield opened
    opened.close()


def test_counters_follow_the_outcome_table(store) -> None:
    store.record_attempt("r1", "tacacs", "auth_rejected", 120.4, at=at(0))
    store.record_attempt("r1", "local", "success", 300, at=at(1))
    store.record_attempt("r2", "local", "enable_failed", 250, at=at(2))
    for outcome in ("unreachable", "auth_timeout", "hostkey_mismatch", "locked_out", "command_failed",
                    "auth_method_unsupported", "password_expired", "ssh_negotiation_failed", "command_timeout",
                    "post_auth_interaction_failed"):
        store.record_attempt("r3", "tacacs", outcome, 5, at=at(3))
    stats = {s["name"]: s for s in store.credential_stats()}
    assert stats["tacacs"] == {
        "name": "tacacs", "attempts": 1, "successes": 0, "failures": 1, "enable_failures": 0,
        "last_used": None, "last_success": None, "last_failure": "2026-11-01T10:00:00.000000Z", "success_rate": 0.0,
    }
    assert stats["local"] == {
        "name": "local", "attempts": 2, "successes": 1, "failures": 0, "enable_failures": 1,
        "last_used": "2026-11-01T10:02:00.000000Z", "last_success": "2026-11-01T10:01:00.000000Z",
        "last_failure": None, "success_rate": 0.5,
    }
    assert store.bindings() == [{"device": "r1", "credential": "local", "last_success": "2026-11-01T10:01:00.000000Z"}]
    assert store.last_working("r1") == "local"
    assert store.last_working("r2") is None  # enable failed: the credential is not "working" there
    assert len(store.attempts(limit=None)) == 13


def test_named_stats_include_unused_credentials(store) -> None:
    store.record_attempt("r1", "a", "success", 1)
    rows = store.credential_stats(["b", "a"])
    assert [r["name"] for r in rows] == ["a", "b"]
    assert rows[1]["attempts"] == 0 and rows[1]["success_rate"] is None
    assert store.credential_stats([]) == []


def test_binding_moves_to_the_latest_success_only(store) -> None:
    store.record_attempt("r1", "old", "success", 1, at=at(10))
    store.record_attempt("r1", "new", "success", 1, at=at(20))
    store.record_attempt("r1", "late-report", "success", 1, at=at(15))  # an older result arriving late
    store.record_attempt("r1", "new", "auth_rejected", 1, at=at(30))
    assert store.bindings("r1") == [{"device": "r1", "credential": "new", "last_success": "2026-11-01T10:20:00.000000Z"}]
    assert store.bindings("nope") == []
    stamps = {s["name"]: s["last_success"] for s in store.credential_stats()}
    assert stamps["late-report"] == "2026-11-01T10:15:00.000000Z"


def test_last_stamps_never_go_back_in_time(store) -> None:
    store.record_attempt("r1", "c", "auth_rejected", 1, at=at(50))
    store.record_attempt("r1", "c", "auth_rejected", 1, at=at(40))
    assert store.credential_stats(["c"])[0]["last_failure"] == "2026-11-01T10:50:00.000000Z"


def test_attempt_log_filters_and_order(store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOB_ID", "4711")
    store.record_attempt("r1", "a", "auth_rejected", 10, at=at(0), message="Authentication failed.")
    store.record_attempt("r1", "b", "success", 20, at=at(1), job_id="manual")
    store.record_attempt("r2", "b", "unreachable", 30, at=at(2))
    log = store.attempts()
    assert [(a["device"], a["credential"], a["outcome"]) for a in log] == [
        ("r2", "b", "unreachable"), ("r1", "b", "success"), ("r1", "a", "auth_rejected")]
    assert [a["job_id"] for a in log] == ["4711", "manual", "4711"]
    assert log[2]["message"] == "Authentication failed." and log[2]["elapsed_ms"] == 10
    assert log[2]["time"] == "2026-11-01T10:00:00.000000Z"
    assert len({a["id"] for a in log}) == 3
    assert [a["outcome"] for a in store.attempts(device="r1")] == ["success", "auth_rejected"]
    assert [a["device"] for a in store.attempts(credential="b", outcome="unreachable")] == ["r2"]
    assert [a["outcome"] for a in store.attempts(since="2026-11-01T10:01:00Z")] == ["unreachable", "success"]
    assert len(store.attempts(limit=1)) == 1 and store.attempts(limit=0) == []


def test_prune_keeps_totals(store) -> None:
    store.record_attempt("r1", "a", "success", 1, at=at(0))
    store.record_attempt("r1", "a", "success", 1)
    assert store.prune("1d") == 1
    assert store.prune(datetime.timedelta(days=1)) == 0
    assert [a["time"] > "2026-11-02" for a in store.attempts()] == [True]
    assert store.credential_stats()[0]["attempts"] == 2
    with pytest.raises(ms.MetricsStoreError, match="older_than"):
        store.prune(None)


@pytest.mark.parametrize("kwargs, words", [
    ({"device": "", "credential": "a", "outcome": "success", "elapsed_ms": 1}, "device"),
    ({"device": "r1", "credential": None, "outcome": "success", "elapsed_ms": 1}, "credential"),
    ({"device": "r1", "credential": "a", "outcome": "wrong password", "elapsed_ms": 1}, "outcome"),
    ({"device": "r1", "credential": "a", "outcome": "success", "elapsed_ms": -1}, "elapsed_ms"),
    ({"device": "r1", "credential": "a", "outcome": "success", "elapsed_ms": "fast"}, "elapsed_ms"),
])
def test_bad_arguments_are_refused_and_nothing_is_written(store, kwargs: dict, words: str) -> None:
    with pytest.raises(ms.MetricsStoreError, match=words):
        store.record_attempt(**kwargs)
    assert store.attempts() == []
    with pytest.raises(ms.MetricsStoreError, match="limit"):
        store.attempts(limit=-1)


def test_messages_are_capped_and_stored_as_given(store, store_url: str) -> None:
    store.record_attempt("r1", "a", "command_failed", 1, message="% Invalid input " + "x" * 5000)
    message = store.attempts()[0]["message"]
    assert len(message) == ms.MAX_MESSAGE_CHARS and message.startswith("% Invalid input")


def test_record_attempt_safely_never_raises(store_url: str, tmp_path) -> None:
    warnings: list[str] = []
    assert ms.record_attempt_safely(store_url, "r1", "a", "success", 5, warn=warnings.append) is True
    assert ms.record_attempt_safely("none", "r1", "a", "success", 5, warn=warnings.append) is False
    assert warnings == []
    with ms.open_store(store_url) as store:
        assert ms.record_attempt_safely(store, "r1", "a", "bogus", 5, warn=warnings.append) is False
        assert store.credential_stats()[0]["attempts"] == 1
    assert "not recorded" in warnings[0] and "bogus" in warnings[0]
    bad = f"postgresql://u:{CANARY}@127.0.0.1:1/db?connect_timeout=2"
    assert ms.record_attempt_safely(bad, "r1", "a", "success", 5, warn=warnings.append) is False
    assert "127.0.0.1:1" in warnings[-1] and CANARY not in warnings[-1]
    (tmp_path / "other.json").write_text('{"not": "metrics"}')
    assert ms.record_attempt_safely(f"json://{tmp_path}/other.json", "r1", "a", "success", 5, warn=warnings.append) is False
    assert "not a netraven metrics document" in warnings[-1]
    assert (tmp_path / "other.json").read_text() == '{"not": "metrics"}'


def test_json_document_is_plain_and_readable(tmp_path) -> None:
    with ms.open_store(f"json://{tmp_path}/m.json") as store:
        store.record_attempt("r1", "a", "success", 1, at=at(0))
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["schema_version"] == ms.SCHEMA_VERSION
    assert doc["bindings"] == {"r1": {"credential": "a", "last_success": "2026-11-01T10:00:00.000000Z"}}
    assert not (tmp_path / "m.json.tmp").exists()


def test_a_store_does_not_cross_fork(store_url: str) -> None:
    import os

    store = ms.open_store(store_url)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: the parent's store must refuse, with a message saying what to do
        try:
            store.record_attempt("r1", "a", "success", 1)
            os.write(write_fd, b"accepted")
        except ms.MetricsStoreError as exc:
            os.write(write_fd, str(exc).encode())
        os._exit(0)
    os.close(write_fd)
    os.waitpid(pid, 0)
    with os.fdopen(read_fd, "rb") as pipe:
        said = pipe.read().decode()
    assert "before a fork; open it again in process" in said
    assert store.attempts() == []
    store.close()
