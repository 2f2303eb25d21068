# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL backends of the metrics store: SQLite (stdlib sqlite3) and PostgreSQL (psycopg 3).

Both run the same statements (the upserts use ``INSERT ... ON CONFLICT ... DO UPDATE``, which
SQLite >= 3.24 and PostgreSQL >= 9.5 share); a dialect only supplies the placeholder, the id
column type, how to check for a table, how to take the write lock and how to serialise the
schema migration. The schema, version by version, is ``MIGRATIONS`` (documented in docs/docsite/rst/metrics.rst).
The per-credential columns, the view over them, the counter upsert and the select are generated
from the figure table ``_metrics_store.FIGURES``: a counter is ``BIGINT NOT NULL DEFAULT 0`` and
summed by the view, a stamp ``TEXT`` and its maximum taken; a figure added after version 1 is
added by the migration to its ``since`` version (``ALTER TABLE ... ADD COLUMN``, view re-created).

Concurrency: SQLite runs in WAL mode with a 30 s busy timeout; every write is one short
``BEGIN IMMEDIATE`` transaction (one attempt row, one counter upsert, one binding upsert).
PostgreSQL runs each write as one statement (the three joined as data-modifying CTEs), atomic
on its own. A row lock
is held until the commit has been flushed, so a single counter row per credential would let only
one writer per credential commit per WAL flush; the counters are therefore spread over
``COUNTER_SHARDS`` rows per credential (chosen by the writer's pid) and summed by the view
``netraven_credentials``. Rows are always locked in the same order (counter, then binding), so
writers cannot deadlock. Migrations run under the database write lock (SQLite) or
a transaction-scoped advisory lock (PostgreSQL), and re-check the version once they hold it.
"""
from __future__ import annotations

import contextlib
import datetime
import random
import sqlite3
import time

from typing import Any

from ansible_collections.netraven.core.plugins.module_utils import _aaa_guard
from ansible_collections.netraven.core.plugins.module_utils import _connect_memo
from ansible_collections.netraven.core.plugins.module_utils._metrics_store import (
    AAA_ACCOUNT_FIELDS,
    COUNT,
    COUNTERS,
    FIGURE_NAMES,
    FIGURES,
    SCHEMA_VERSION,
    STAMPS,
    MetricsStore,
    MetricsStoreError,
    Figure,
    format_ts,
    parse_store_url,
    redact_url,
    stats_row,
    utc_now,
)

BUSY_TIMEOUT_S = 30.0
PG_CONNECT_TIMEOUT_S = 10
COUNTER_SHARDS = 16  # counter rows per credential; see netraven_credential_counters
PG_MIGRATION_LOCK = 0x6E657472  # "netr": advisory lock key held while a schema migration runs


def postgresql_driver() -> Any:
    """The ``psycopg`` module (version 3), imported on first use; None when it is not installed.

    Imported here, not at the top of this file: only ``postgresql://`` stores need it, and its
    import (about 45 ms, with psycopg-binary) would otherwise be paid by every process that loads
    the store, SQLite users included: ansible-core's main process before it forks (bench P8: about
    0.09 s of a 20-device backup). ``preload_postgresql_driver`` imports it ahead for the runs whose
    store is PostgreSQL. Raises nothing (an ImportError means "not installed").
    """
    try:
        import psycopg  # pylint: disable=import-outside-toplevel
    except ImportError:  # only postgresql:// stores need it; open_sql_store says so clearly
        return None
    return psycopg


def preload_postgresql_driver(url: str | None) -> bool:
    """Import ``psycopg`` now when ``url`` (a ``metrics_store`` setting, or None) names a PostgreSQL
    store; True when it is loaded afterwards. For the action plugins, which call it when ansible-core
    imports them in its main process, with the setting from the environment or ansible.cfg, so that
    every forked worker inherits the driver instead of importing it again. Never raises.
    """
    try:
        parsed = parse_store_url(url) if url is not None else None
    except MetricsStoreError:
        return False  # the task that opens this store says what is wrong with it
    return parsed is not None and parsed[0] == "postgresql" and postgresql_driver() is not None


def _figures(version: int, figures: tuple = FIGURES) -> list[Figure]:
    """The figures of schema ``version``, counters first (the column order of every statement)."""
    present = [f for f in figures if f.since <= version]
    return [f for f in present if f.kind == COUNT] + [f for f in present if f.kind != COUNT]


def _column(figure: Figure) -> str:
    return figure.name + (" BIGINT NOT NULL DEFAULT 0" if figure.kind == COUNT else " TEXT")


def _counters_table(figures: list[Figure]) -> str:
    """CREATE TABLE of the counter shards with columns for ``figures``."""
    columns = ["credential TEXT NOT NULL", "shard INTEGER NOT NULL"] + [_column(f) for f in figures]
    return "CREATE TABLE netraven_credential_counters ( %s, PRIMARY KEY (credential, shard))" % ", ".join(columns)


def _credentials_view(figures: list[Figure]) -> str:
    """CREATE VIEW netraven_credentials, one row per credential: counters summed, stamps' maximum."""
    sums = ["%s(%s) AS %s" % ("SUM" if f.kind == COUNT else "MAX", f.name, f.name) for f in figures]
    return ("CREATE VIEW netraven_credentials AS SELECT credential, %s"
            " FROM netraven_credential_counters GROUP BY credential" % ", ".join(sums))


def migrations(figures: tuple = FIGURES, schema_version: int = SCHEMA_VERSION) -> dict:
    """Schema version -> the statements that bring the previous version to it.

    Version 1 creates the tables and the view with the figures whose ``since`` is 1, version 2
    the attempt-log indexes; a figure with a later ``since`` is added by that version
    (``ALTER TABLE ... ADD COLUMN``, then the view re-created). Statements use ``?``
    placeholders and ``{id_pk}``; each dialect rewrites them. ``figures``/``schema_version``
    default to the store's own (tests pass a hypothetical table).
    """
    steps = {
        1: (
            "CREATE TABLE netraven_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            # Counters are split over COUNTER_SHARDS rows per credential (the writer's pid picks one), so
            # that concurrent PostgreSQL writers do not queue on one row lock per credential. Readers use
            # the view netraven_credentials, one row per credential.
            _counters_table(_figures(1, figures)),
            _credentials_view(_figures(1, figures)),
            "CREATE TABLE netraven_bindings (device TEXT PRIMARY KEY, credential TEXT NOT NULL, last_success TEXT NOT NULL)",
            "CREATE TABLE netraven_attempts ("
            " id {id_pk}, time TEXT NOT NULL, job_id TEXT, device TEXT NOT NULL, credential TEXT NOT NULL,"
            " outcome TEXT NOT NULL, elapsed_ms BIGINT NOT NULL, message TEXT)",
        ),
        # Version 2: indexes for the attempt-log filters (time, device, credential) and prune().
        2: (
            "CREATE INDEX netraven_attempts_time ON netraven_attempts (time)",
            "CREATE INDEX netraven_attempts_device ON netraven_attempts (device, time)",
            "CREATE INDEX netraven_attempts_credential ON netraven_attempts (credential, time)",
        ),
        # Version 3: the AAA guard (module_utils/_aaa_guard.py): per shared account its streak, and the
        # reservations of attempts in flight (docs/docsite/rst/credentials.rst, "Shared AAA accounts").
        3: (
            "CREATE TABLE netraven_aaa_accounts (account TEXT PRIMARY KEY, streak BIGINT NOT NULL DEFAULT 0,"
            " last_outcome TEXT, last_success TEXT, last_failure TEXT, max_streak BIGINT NOT NULL DEFAULT 0)",
            "CREATE TABLE netraven_aaa_reservations (id {id_pk}, account TEXT NOT NULL, host TEXT NOT NULL,"
            " pid BIGINT NOT NULL, device TEXT NOT NULL, credential TEXT NOT NULL, reserved_at TEXT NOT NULL,"
            " expires_at TEXT NOT NULL)",
            "CREATE INDEX netraven_aaa_reservations_account ON netraven_aaa_reservations (account)",
        ),
    }
    for version in range(2, schema_version + 1):
        added = [f for f in _figures(version, figures) if f.since == version]
        steps[version] = steps.get(version, ()) + tuple(
            "ALTER TABLE netraven_credential_counters ADD COLUMN " + _column(f) for f in added
        ) + (("DROP VIEW netraven_credentials", _credentials_view(_figures(version, figures))) if added else ())
    return steps


MIGRATIONS = migrations()

SET_VERSION = (
    "INSERT INTO netraven_meta (key, value) VALUES ('schema_version', ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
GET_VERSION = "SELECT value FROM netraven_meta WHERE key = 'schema_version'"

INSERT_ATTEMPT = (
    "INSERT INTO netraven_attempts (time, job_id, device, credential, outcome, elapsed_ms, message)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _later(column: str) -> str:
    """SQL keeping the later of the stored and the new timestamp (NULL = never)."""
    return (
        "{c} = CASE WHEN c.{c} IS NULL OR excluded.{c} > c.{c} THEN COALESCE(excluded.{c}, c.{c}) ELSE c.{c} END"
    ).format(c=column)


UPSERT_CREDENTIAL = (
    "INSERT INTO netraven_credential_counters AS c (credential, shard, %s) VALUES (?, ?, %s)"
    " ON CONFLICT (credential, shard) DO UPDATE SET %s" % (
        ", ".join(FIGURE_NAMES),
        ", ".join("?" for _name in FIGURE_NAMES),
        ", ".join(["{c} = c.{c} + excluded.{c}".format(c=c) for c in COUNTERS] + [_later(c) for c in STAMPS]),
    )
)
UPSERT_BINDING = (
    "INSERT INTO netraven_bindings AS b (device, credential, last_success) VALUES (?, ?, ?)"
    " ON CONFLICT (device) DO UPDATE SET credential = excluded.credential, last_success = excluded.last_success"
    " WHERE excluded.last_success >= b.last_success"
)
SELECT_STATS = "SELECT credential, %s FROM netraven_credentials" % ", ".join(FIGURE_NAMES)  # the view: one row per credential
SELECT_BINDINGS = "SELECT device, credential, last_success FROM netraven_bindings"
SELECT_ATTEMPTS = "SELECT id, time, job_id, device, credential, outcome, elapsed_ms, message FROM netraven_attempts"
ATTEMPT_FIELDS = ("id", "time", "job_id", "device", "credential", "outcome", "elapsed_ms", "message")
DELETE_OLD = "DELETE FROM netraven_attempts WHERE time < ?"
ENSURE_AAA_ACCOUNT = "INSERT INTO netraven_aaa_accounts (account) VALUES (?) ON CONFLICT (account) DO NOTHING"
SELECT_AAA_ACCOUNT = "SELECT %s FROM netraven_aaa_accounts WHERE account = ?" % ", ".join(AAA_ACCOUNT_FIELDS[1:])
UPDATE_AAA_ACCOUNT = "UPDATE netraven_aaa_accounts SET %s WHERE account = ?" % ", ".join(
    "%s = ?" % name for name in AAA_ACCOUNT_FIELDS[1:])
SELECT_AAA_RESERVATIONS = "SELECT id, host, pid, expires_at FROM netraven_aaa_reservations WHERE account = ?"
INSERT_AAA_RESERVATION = (
    "INSERT INTO netraven_aaa_reservations (account, host, pid, device, credential, reserved_at, expires_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
SELECT_AAA_ACCOUNTS = (
    "SELECT %s, (SELECT COUNT(*) FROM netraven_aaa_reservations r WHERE r.account = a.account AND r.expires_at >= ?)"
    " FROM netraven_aaa_accounts a" % ", ".join("a." + name for name in AAA_ACCOUNT_FIELDS)
)
# attempt_counts(): the SQL expression of each column it can group by (time is fixed-width UTC text).
COUNT_EXPRESSIONS = {"day": "substr(time, 1, 10)", "device": "device", "credential": "credential",
                     "outcome": "outcome", "job_id": "job_id"}


class SqlStore(MetricsStore):
    """Shared logic of the SQL backends; subclasses supply the connection and the dialect."""

    placeholder = "?"
    id_pk = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, url: str, warn=None):
        super().__init__(url, warn)
        self._conn: Any = None  # sqlite3.Connection or psycopg.Connection

    # -- dialect hooks -----------------------------------------------------------------------

    def _write_tx(self):
        """Context manager yielding a cursor inside one write transaction (commit or rollback)."""
        raise NotImplementedError

    def _read_cursor(self):
        """Context manager yielding a cursor for one read statement."""
        raise NotImplementedError

    def _has_meta_table(self, cur) -> bool:
        raise NotImplementedError

    def _lock_for_migration(self, cur) -> None:
        """Serialise migrations between processes (inside the write transaction)."""

    # -- shared logic ----------------------------------------------------------------------

    def _sql(self, statement: str) -> str:
        statement = statement.replace("{id_pk}", self.id_pk)
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)

    def _read_version(self, cur) -> int:
        if not self._has_meta_table(cur):
            return 0
        cur.execute(self._sql(GET_VERSION))
        row = cur.fetchone()
        try:
            return int(row[0]) if row else 0
        except (TypeError, ValueError):
            raise self.error("schema_version %r in netraven_meta is not a number" % (row[0],)) from None

    def _migrate(self) -> None:
        """Bring the schema to SCHEMA_VERSION; refuse a newer one. Runs at open."""
        with self._read_cursor() as cur:
            found = self._read_version(cur)
        if found == SCHEMA_VERSION:
            return
        if found > SCHEMA_VERSION:
            raise self.newer_schema_error(found)
        with self._write_tx() as cur:
            self._lock_for_migration(cur)
            found = self._read_version(cur)  # another process may have migrated meanwhile
            if found > SCHEMA_VERSION:
                raise self.newer_schema_error(found)
            for version in range(found + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version]:
                    cur.execute(self._sql(statement))
            if found < SCHEMA_VERSION:
                cur.execute(self._sql(SET_VERSION), (str(SCHEMA_VERSION),))

    def _schema_version(self) -> int:
        with self._read_cursor() as cur:
            return self._read_version(cur)

    def _record_statements(self, row: dict, effect: dict | None) -> list:
        """The statements of one attempt, in lock order: ``[(sql, params)]`` (log row, counter, binding)."""
        statements = [(INSERT_ATTEMPT, tuple(row[k] for k in ATTEMPT_FIELDS[1:]))]
        if effect is not None:
            counters = (row["credential"], self._pid % COUNTER_SHARDS) + tuple(effect[name] for name in FIGURE_NAMES)
            statements.append((UPSERT_CREDENTIAL, counters))
            if effect["bind"]:
                statements.append((UPSERT_BINDING, (row["device"], row["credential"], row["time"])))
        return statements

    def _record(self, row: dict, effect: dict | None) -> None:
        with self._write_tx() as cur:
            for statement, params in self._record_statements(row, effect):
                cur.execute(self._sql(statement), params)

    def _stats(self, names) -> list:
        statement, params = SELECT_STATS, ()  # type: str, tuple
        if names is not None:
            if not names:
                return []
            statement += " WHERE credential IN (%s)" % ", ".join("?" * len(names))
            params = tuple(names)
        with self._read_cursor() as cur:
            cur.execute(self._sql(statement), params)
            return [stats_row(r[0], **dict(zip(FIGURE_NAMES, r[1:]))) for r in cur.fetchall()]

    def _bindings(self, device) -> list:
        statement, params = SELECT_BINDINGS, ()  # type: str, tuple
        if device is not None:
            statement, params = statement + " WHERE device = ?", (device,)
        with self._read_cursor() as cur:
            cur.execute(self._sql(statement), params)
            return [{"device": d, "credential": c, "last_success": t} for d, c, t in cur.fetchall()]

    def _attempts(self, filters: dict, limit) -> list:
        where, params = [], []
        for column in ("device", "credential", "outcome"):
            if filters[column] is not None:
                where.append("%s = ?" % column)
                params.append(filters[column])
        if filters["since"] is not None:
            where.append("time >= ?")
            params.append(filters["since"])
        statement = SELECT_ATTEMPTS + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY time DESC, id DESC"
        if limit is not None:
            statement += " LIMIT ?"
            params.append(limit)
        with self._read_cursor() as cur:
            cur.execute(self._sql(statement), tuple(params))
            return [dict(zip(ATTEMPT_FIELDS, r)) for r in cur.fetchall()]

    def _attempt_counts(self, columns: tuple, since) -> list:
        positions = ", ".join(str(i + 1) for i in range(len(columns)))
        statement = "SELECT %s, COUNT(*), MAX(time) FROM netraven_attempts" % ", ".join(COUNT_EXPRESSIONS[c] for c in columns)
        params: tuple = ()
        if since is not None:
            statement, params = statement + " WHERE time >= ?", (since,)
        statement += " GROUP BY %s" % positions
        with self._read_cursor() as cur:
            cur.execute(self._sql(statement), params)
            return [dict(zip(columns + ("count", "last"), r[:-2] + (int(r[-2]), r[-1]))) for r in cur.fetchall()]

    row_lock = ""
    """What locks the selected account row until the transaction ends (PostgreSQL: FOR UPDATE)."""

    def _aaa_row(self, cur, account: str) -> dict:
        """The account's state, its row created and locked for this write transaction."""
        cur.execute(self._sql(ENSURE_AAA_ACCOUNT), (account,))
        cur.execute(self._sql(SELECT_AAA_ACCOUNT + self.row_lock), (account,))
        return dict(zip(AAA_ACCOUNT_FIELDS[1:], cur.fetchone()))

    def _aaa_admit(self, account: str, policy, holder: dict, device: str, credential: str) -> dict:
        now = utc_now()
        ts = format_ts(now)
        with self._write_tx() as cur:
            row = self._aaa_row(cur, account)
            cur.execute(self._sql(SELECT_AAA_RESERVATIONS), (account,))
            reservations = [dict(zip(("id", "host", "pid", "expires_at"), r)) for r in cur.fetchall()]
            dead = [r["id"] for r in reservations if _aaa_guard.reservation_dead(r, holder["host"], ts)]
            if dead:
                cur.execute(self._sql("DELETE FROM netraven_aaa_reservations WHERE id IN (%s)" % ", ".join("?" * len(dead))),
                            tuple(dead))
            decision = _aaa_guard.decide(row, len(reservations) - len(dead), policy, now)
            decision["id"] = None
            if decision["admitted"]:
                expires = format_ts(now + datetime.timedelta(seconds=_aaa_guard.LEASE_S))
                cur.execute(self._sql(INSERT_AAA_RESERVATION),
                            (account, holder["host"], holder["pid"], device, credential, ts, expires))
                decision["id"] = cur.fetchone()[0]
        return decision

    def _aaa_settle(self, reservation, account: str, kind: str | None, window: float) -> dict:
        now = utc_now()
        with self._write_tx() as cur:
            row = self._aaa_row(cur, account)  # the account row first: the lock order of _aaa_admit
            if reservation is not None:
                cur.execute(self._sql("DELETE FROM netraven_aaa_reservations WHERE id = ?"), (reservation,))
            state = _aaa_guard.after(row, kind, window, format_ts(now), now)
            if kind is not None:
                cur.execute(self._sql(UPDATE_AAA_ACCOUNT), tuple(state[k] for k in AAA_ACCOUNT_FIELDS[1:]) + (account,))
        return state

    def _aaa_accounts(self) -> list:
        with self._read_cursor() as cur:
            cur.execute(self._sql(SELECT_AAA_ACCOUNTS), (format_ts(utc_now()),))
            return [dict(zip(AAA_ACCOUNT_FIELDS + ("in_flight",), r)) for r in cur.fetchall()]

    def _prune(self, cutoff: str) -> int:
        with self._write_tx() as cur:
            cur.execute(self._sql(DELETE_OLD), (cutoff,))
            return max(cur.rowcount, 0)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


class SqliteStore(SqlStore):
    """SQLite file store: WAL journal, 30 s busy timeout, ``BEGIN IMMEDIATE`` write transactions.

    ``synchronous=NORMAL`` (the SQLite documentation's recommendation for WAL): a killed
    process never loses or half-applies a committed write; a power cut may drop the last
    commits, never corrupt the file.
    """

    kind = "sqlite"

    def __init__(self, url: str, path: str, warn=None):
        super().__init__(url, warn)
        self.path = path
        try:
            # check_same_thread=False: the AAA guard of fleet mode serialises its calls from many threads
            self._conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA busy_timeout = %d" % int(BUSY_TIMEOUT_S * 1000))
            mode = self._prepare()
        except MetricsStoreError:
            self.close()
            raise
        except sqlite3.Error as exc:
            self.close()
            raise self.error("cannot open SQLite database %s: %s%s" % (path, exc, self._explain(exc))) from None
        if str(mode).lower() != "wal":
            self._warn("metrics store %s: SQLite refused WAL mode (journal_mode=%s); concurrent writers will wait longer"
                       % (self.url, mode))

    def _prepare(self) -> str:
        """Switch to WAL, set ``synchronous``, migrate the schema; returns the journal mode in force.

        While other processes create the same brand-new file, SQLite can answer "database is
        locked" at once, without waiting in its busy handler (changing the journal mode needs the
        database to itself; a WAL file being recovered or deleted by a closing connection is
        busy too). Those answers are retried for up to BUSY_TIMEOUT_S with short random pauses.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() != "wal":
                    mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                self._conn.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
                return mode
            except sqlite3.OperationalError as exc:
                if not ("locked" in str(exc) or "busy" in str(exc)) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005 + random.random() * 0.045)

    def _explain(self, exc: Exception) -> str:
        name = getattr(exc, "sqlite_errorname", "") or ""
        if name.startswith(("SQLITE_IOERR", "SQLITE_FULL")) or "disk" in str(exc):
            return (" (disk full, file size limit or I/O error on %s or its -wal file; this write was rolled back,"
                    " earlier data is intact)" % self.path)
        if name.startswith("SQLITE_BUSY") or "locked" in str(exc):
            return " (other writers held the database longer than the %d s busy timeout)" % BUSY_TIMEOUT_S
        return ""

    @contextlib.contextmanager
    def _write_tx(self):
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            if self._conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def _read_cursor(self):
        cur = self._conn.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def _has_meta_table(self, cur) -> bool:
        cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'netraven_meta'")
        return cur.fetchone() is not None


class PostgresStore(SqlStore):
    """PostgreSQL store (psycopg 3, autocommit connection, explicit transactions).

    The tables live in the first schema of the connection's ``search_path``, so a DSN such as
    ``postgresql://u@h/db?options=-csearch_path%3Dnetraven`` keeps them in schema ``netraven``.
    """

    kind = "postgresql"
    placeholder = "%s"
    row_lock = " FOR UPDATE"
    id_pk = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

    def __init__(self, url: str, warn=None):
        super().__init__(url, warn)
        kwargs: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in url:
            kwargs["connect_timeout"] = PG_CONNECT_TIMEOUT_S
        earlier = _connect_memo.recent_failure(url)
        if earlier:
            raise self.error(earlier)
        psycopg = postgresql_driver()
        try:
            self._conn = psycopg.connect(url, **kwargs)
        except psycopg.Error as exc:
            reason = "cannot connect to PostgreSQL: %s" % (" ".join(str(exc).split()) or exc.__class__.__name__)
            _connect_memo.remember_failure(url, reason.replace(self._secret, "********") if self._secret else reason)
            raise self.error(reason) from None
        try:
            self._guard("bring the schema up to date", self._migrate)
        except MetricsStoreError:
            self.close()
            raise

    @contextlib.contextmanager
    def _write_tx(self):
        with self._conn.transaction():
            with self._conn.cursor() as cur:
                yield cur

    def _record(self, row: dict, effect: dict | None) -> None:
        """One statement per attempt: the shared statements joined as data-modifying CTEs.

        A single statement is atomic on its own (autocommit), needs one round trip and one
        executor start instead of five (BEGIN, three statements, COMMIT).
        """
        statements = self._record_statements(row, effect)
        *first, (last, last_params) = statements
        sql_text = ""
        if first:
            sql_text = "WITH " + ", ".join("s%d AS (%s)" % (i, text) for i, (text, _p) in enumerate(first)) + " "
        params = tuple(p for _text, chunk in first for p in chunk) + tuple(last_params)
        with self._conn.cursor() as cur:
            cur.execute(self._sql(sql_text + last), params)

    @contextlib.contextmanager
    def _read_cursor(self):
        with self._conn.cursor() as cur:
            yield cur

    def _has_meta_table(self, cur) -> bool:
        # pg_class, not to_regclass(): a catalog query sees tables committed while we waited for the lock.
        cur.execute(
            "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relname = 'netraven_meta' AND n.nspname = current_schema()"
        )
        return bool(cur.fetchone()[0])

    def _lock_for_migration(self, cur) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (PG_MIGRATION_LOCK,))


def open_sql_store(kind: str, url: str, target: str, warn=None) -> SqlStore:
    """Open a ``sqlite`` store at file ``target`` or a ``postgresql`` store at DSN ``target``.

    Raises MetricsStoreError when psycopg is missing, the database cannot be reached or opened,
    or its schema is newer than SCHEMA_VERSION.
    """
    if kind == "sqlite":
        return SqliteStore(url, target, warn=warn)
    if postgresql_driver() is None:
        raise MetricsStoreError(
            "metrics store %s: the Python package psycopg (version 3) is required for PostgreSQL stores "
            "on the host that runs this code; install it with: pip install 'psycopg[binary]'" % redact_url(url)
        )
    return PostgresStore(target, warn=warn)
