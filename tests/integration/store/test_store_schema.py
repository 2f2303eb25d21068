"""Schema versions: older stores migrate forward on open, newer ones are refused untouched; corrupt JSON is moved aside.

The SQL schema is generated from the figure table (``_metrics_store.FIGURES``); ``FROZEN`` holds
versions 1 and 2 as released, word for word, so that stores written by earlier releases open as
they are.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_json as js
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_sql as sql
from ansible_collections.netraven.core.plugins.module_utils import _outcomes

# The released statements (netraven.core before the figure table), "?" placeholders and {id_pk}.
FROZEN = {
    1: (
        "CREATE TABLE netraven_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE netraven_credential_counters ( credential TEXT NOT NULL, shard INTEGER NOT NULL,"
        " attempts BIGINT NOT NULL DEFAULT 0, successes BIGINT NOT NULL DEFAULT 0, failures BIGINT NOT NULL DEFAULT 0,"
        " enable_failures BIGINT NOT NULL DEFAULT 0, last_used TEXT, last_success TEXT, last_failure TEXT,"
        " PRIMARY KEY (credential, shard))",
        "CREATE VIEW netraven_credentials AS SELECT credential, SUM(attempts) AS attempts, SUM(successes) AS successes,"
        " SUM(failures) AS failures, SUM(enable_failures) AS enable_failures, MAX(last_used) AS last_used,"
        " MAX(last_success) AS last_success, MAX(last_failure) AS last_failure"
        " FROM netraven_credential_counters GROUP BY credential",
        "CREATE TABLE netraven_bindings (device TEXT PRIMARY KEY, credential TEXT NOT NULL, last_success TEXT NOT NULL)",
        "CREATE TABLE netraven_attempts ( id {id_pk}, time TEXT NOT NULL, job_id TEXT, device TEXT NOT NULL,"
        " credential TEXT NOT NULL, outcome TEXT NOT NULL, elapsed_ms BIGINT NOT NULL, message TEXT)",
    ),
    2: (
        "CREATE INDEX netraven_attempts_time ON netraven_attempts (time)",
        "CREATE INDEX netraven_attempts_device ON netraven_attempts (device, time)",
        "CREATE INDEX netraven_attempts_credential ON netraven_attempts (credential, time)",
    ),
}
FROZEN_UPSERT_CREDENTIAL = (  # (credential, shard, successes, failures, enable_failures, last_used, last_success, last_failure)
    "INSERT INTO netraven_credential_counters (credential, shard, attempts, successes, failures, enable_failures,"
    " last_used, last_success, last_failure) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)"
)


def test_generated_schema_is_the_released_one_word_for_word() -> None:
    """Versions 1 and 2 generated from FIGURES are exactly the released statements (SQLite keeps
    their text in sqlite_master): stores from earlier releases need no migration."""
    assert {v: sql.MIGRATIONS[v] for v in FROZEN} == FROZEN


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


def build_version(store_url: str, version: int = 1) -> None:
    """A store exactly as the released schema ``version`` (1 or 2) left it, holding one success."""
    kind, target = ms.parse_store_url(store_url)
    row = ("2026-01-01T00:00:00.000000Z", None, "r1", "a", "success", 5, None)
    if kind == "json":
        doc = {"schema_version": version, "next_attempt_id": 2,
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
        for statement in FROZEN[1] + (FROZEN[2] if version >= 2 else ()):
            conn.execute(q(statement))
        conn.execute(q(sql.SET_VERSION), (str(version),))
        conn.execute(q(sql.INSERT_ATTEMPT), row)
        conn.execute(q(FROZEN_UPSERT_CREDENTIAL), ("a", 3, 1, 0, 0, row[0], row[0], None))
        conn.execute(q(sql.UPSERT_BINDING), ("r1", "a", row[0]))
    conn.close()


def test_old_schema_migrates_forward_keeping_data(store_url: str) -> None:
    build_version(store_url, 1)
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


def test_released_version_2_store_reads_and_writes_as_it_is(store_url: str) -> None:
    build_version(store_url, 2)
    kind, target = ms.parse_store_url(store_url)
    before = _sqlite_schema(target) if kind == "sqlite" else None
    with ms.open_store(store_url) as store:
        assert store.credential_stats() == [ms.stats_row("a", attempts=1, successes=1, last_used="2026-01-01T00:00:00.000000Z",
                                                         last_success="2026-01-01T00:00:00.000000Z")]
        store.record_attempt("r1", "a", "enable_failed", 1, at=ms.utc_now())
        assert [(s["attempts"], s["enable_failures"]) for s in store.credential_stats()] == [(2, 1)]
    if kind == "sqlite" and ms.SCHEMA_VERSION == 2:
        assert _sqlite_schema(target) == before  # nothing migrated, the released text kept


def _sqlite_schema(path: str) -> list:
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master"))


LATER = ms.Figure("test_logins", ms.COUNT, frozenset({_outcomes.SUCCESS, _outcomes.ENABLE_FAILED}), since=ms.SCHEMA_VERSION + 1)


@pytest.mark.parametrize("kind", ["sqlite", "json", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_figure_added_later_migrates_existing_stores(kind: str, tmp_path: Path, request) -> None:
    """The path a new figure takes (never run by today's table): its version's migration adds the
    column with zeros for existing credentials and re-creates the view around it."""
    store_url = request.getfixturevalue("pg_dsn") if kind == "postgresql" else f"{kind}://{tmp_path}/m.{kind}"
    build_version(store_url, 2)  # as released; then every later version up to the new figure's
    figures, versions = ms.FIGURES + (LATER,), range(3, LATER.since + 1)
    kind, target = ms.parse_store_url(store_url)
    if kind == "json":
        doc = json.loads(Path(target).read_text())
        for version in versions:
            js.add_figures(version, figures)(doc)
        assert doc["credentials"]["a"]["test_logins"] == 0 and doc["credentials"]["a"]["attempts"] == 1
        return
    steps = sql.migrations(figures, LATER.since)
    assert {v: steps[v] for v in FROZEN} == FROZEN  # earlier versions untouched by the new figure
    dialect = sql.SqliteStore if kind == "sqlite" else sql.PostgresStore
    if kind == "sqlite":
        conn = sqlite3.connect(target)
    else:
        import psycopg

        conn = psycopg.connect(target)
    with conn:
        for statement in (s for version in versions for s in steps[version]):
            conn.execute(statement.replace("?", dialect.placeholder).replace("{id_pk}", dialect.id_pk))
        rows = conn.execute("SELECT credential, attempts, test_logins, last_success FROM netraven_credentials").fetchall()
    conn.close()
    assert [tuple(r) for r in rows] == [("a", 1, 0, "2026-01-01T00:00:00.000000Z")]


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
