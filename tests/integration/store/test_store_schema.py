"""Schema versions: older stores migrate forward on open, newer ones are refused untouched; corrupt JSON is moved aside."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_sql as sql


def set_version(store_url: str, version: int) -> None:
    """Write ``version`` into the store behind the code's back."""
    kind, target = ms.parse_store_url(store_url)
    if kind == "json":
        doc = json.loads(Path(target).read_text())
        doc["schema_version"] = version
        Path(target).write_text(json.dumps(doc))
    elif kind == "sqlite":
        with sqlite3.connect(target) as conn:
            conn.execute("UPDATE netraven_meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    else:
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("UPDATE netraven_meta SET value = %s WHERE key = 'schema_version'", (str(version),))


def test_newer_schema_is_refused(store_url: str) -> None:
    with ms.open_store(store_url) as store:
        store.record_attempt("r1", "a", "success", 1)
    set_version(store_url, ms.SCHEMA_VERSION + 7)
    with pytest.raises(ms.MetricsStoreError) as err:
        ms.open_store(store_url)
    text = str(err.value)
    assert f"schema version {ms.SCHEMA_VERSION + 7} is newer than this netraven.core understands ({ms.SCHEMA_VERSION})" in text
    assert "upgrade the collection" in text and ms.redact_url(store_url) in text
    warnings: list[str] = []
    assert not ms.record_attempt_safely(store_url, "r1", "a", "success", 1, warn=warnings.append)
    assert "newer" in warnings[0]
    set_version(store_url, ms.SCHEMA_VERSION)  # untouched by the refusals: the data is all there
    with ms.open_store(store_url) as store:
        assert store.credential_stats()[0]["attempts"] == 1


def build_version_1(store_url: str) -> None:
    """A store exactly as schema version 1 left it, holding one success."""
    kind, target = ms.parse_store_url(store_url)
    row = ("2026-01-01T00:00:00.000000Z", None, "r1", "a", "success", 5, None)
    if kind == "json":
        doc = {"schema_version": 1, "next_attempt_id": 2,
               "credentials": {"a": {"attempts": 1, "successes": 1, "failures": 0, "enable_failures": 0,
                                     "last_used": row[0], "last_success": row[0], "last_failure": None}},
               "bindings": {"r1": {"credential": "a", "last_success": row[0]}},
               "attempts": [dict(zip(sql.ATTEMPT_FIELDS, (1,) + row))]}
        Path(target).write_text(json.dumps(doc))
        return
    if kind == "sqlite":
        conn, dialect = sqlite3.connect(target), sql.SqliteStore
    else:
        import psycopg

        conn, dialect = psycopg.connect(target), sql.PostgresStore

    def q(statement: str) -> str:
        statement = statement.replace("{id_pk}", dialect.id_pk)
        return statement.replace("?", dialect.placeholder)

    with conn:
        for statement in sql.MIGRATIONS[1]:
            conn.execute(q(statement))
        conn.execute(q(sql.SET_VERSION), ("1",))
        conn.execute(q(sql.INSERT_ATTEMPT), row)
        conn.execute(q(sql.UPSERT_CREDENTIAL), ("a", 3, 1, 0, 0, row[0], row[0], None))
        conn.execute(q(sql.UPSERT_BINDING), ("r1", "a", row[0]))
    conn.close()


def test_old_schema_migrates_forward_keeping_data(store_url: str) -> None:
    build_version_1(store_url)
    with ms.open_store(store_url) as store:
        assert store.schema_version() == ms.SCHEMA_VERSION
        assert store.last_working("r1") == "a"
        store.record_attempt("r1", "a", "auth_rejected", 1)
        stats = store.credential_stats()[0]
        assert (stats["attempts"], stats["successes"], stats["failures"]) == (2, 1, 1)
        assert [a["id"] for a in store.attempts()] == [2, 1]
    kind, target = ms.parse_store_url(store_url)
    if kind == "sqlite":
        with sqlite3.connect(target) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"netraven_attempts_time", "netraven_attempts_device", "netraven_attempts_credential"} <= names


def test_corrupt_json_is_moved_aside_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text('{"schema_version": 2, "credentials": {"a": ')  # a write cut short by hand-editing
    warnings: list[str] = []
    with ms.open_store(f"json://{path}", warn=warnings.append) as store:
        assert store.credential_stats() == []
        store.record_attempt("r1", "a", "success", 1)
    assert (tmp_path / "metrics.json.corrupt").read_text() == '{"schema_version": 2, "credentials": {"a": '
    assert len(warnings) == 1 and "moved it aside to" in warnings[0] and str(path) in warnings[0]
    # a second corrupt file does not overwrite the first one set aside
    path.write_text("garbage")
    ms.open_store(f"json://{path}", warn=warnings.append).close()
    assert len(list(tmp_path.glob("metrics.json*.corrupt"))) == 2


def test_json_that_is_not_a_metrics_document_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_text('{"all": {"hosts": ["r1"]}}')
    with pytest.raises(ms.MetricsStoreError, match="not a netraven metrics document"):
        ms.open_store(f"json://{path}")
    assert path.read_text() == '{"all": {"hosts": ["r1"]}}'


def test_sqlite_url_on_a_non_database_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("plain text, not SQLite\n" * 100)
    with pytest.raises(ms.MetricsStoreError, match=r"sqlite://.*notes.db: .*not a database"):
        ms.open_store(f"sqlite://{path}")
    assert path.read_text().startswith("plain text")
