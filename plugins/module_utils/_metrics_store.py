# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credential metrics store: one interface, opened from one URL (DESIGN.md §3, issue 5).

``open_store(url)`` picks the backend from the URL's scheme:

- ``sqlite:///abs/path.db`` (the default, ``sqlite:///~/.local/share/netraven/metrics.db``,
  ``$XDG_DATA_HOME`` honoured) and ``postgresql://user@host:port/db``:
  ``_metrics_store_sql.py`` (one SQL dialect layer for both);
- ``json:///abs/path.json``: ``_metrics_store_json.py``;
- ``none``: metrics disabled, ``open_store`` returns ``None``;
- unset (``None``): the per-user default; an empty or blank string is an error (``EMPTY_URL_MESSAGE``).

Every store keeps, per credential, the figures of ``FIGURES`` (counters of the *counted*
outcomes, ``_outcomes.COUNTED``, and the times of the latest ones), per device the credential
that last worked, and an attempt log of every outcome. What each figure means is in
``docs/docsite/rst/metrics.rst``. The rules live in one table, ``FIGURES``; ``outcome_effect``, ``stats_row``,
both backends (JSON document, SQL columns, view, upsert and select) and the credential report
are derived from it. Today's table says:

- ``success``: ``attempts`` and ``successes`` +1, ``last_used`` and ``last_success`` set, device bound;
- ``auth_rejected``: ``attempts`` and ``failures`` +1, ``last_failure`` set;
- ``enable_failed``: ``attempts`` and ``enable_failures`` +1, ``last_used`` set (the login worked, the
  credential was used; its enable secret was not accepted), no binding, not a login ``failure``;
  hence ``attempts == successes + failures + enable_failures`` always;
- every other outcome: the attempt log only (a device problem never counts against a credential).

Timestamps are UTC ISO-8601 strings of fixed width (``2026-11-29T08:52:28.123456Z``), so that
text order is time order in every backend. Messages are stored as given (callers pass them
already redacted) and capped at ``MAX_MESSAGE_CHARS``. This file runs inside Ansible modules:
standard library only (psycopg is imported, guarded, by the SQL backend).
"""
from __future__ import annotations

import datetime
import logging
import math
import multiprocessing
import os
import re

from typing import Any, Callable, NamedTuple

from ansible_collections.netraven.core.plugins.module_utils import _outcomes
from ansible_collections.netraven.core.plugins.module_utils._urls import file_url_path, redact_url, url_password

ENV_VAR = "NETRAVEN_METRICS_STORE"
MAX_MESSAGE_CHARS = 500
MAX_NAME_CHARS = 255
DISABLED_WORDS = ("none",)
# An empty value is refused rather than read as "unset": Ansible takes an empty environment variable
# as the option's value, so NETRAVEN_METRICS_STORE="" would otherwise hide ansible.cfg's setting and
# silently switch to the default store (issue 18 item 16).
EMPTY_URL_MESSAGE = (
    "metrics store URL is empty (NETRAVEN_METRICS_STORE, netraven_metrics_store or metrics_store set to ''): "
    "unset it for ansible.cfg's [netraven] metrics_store or the per-user default store, "
    "give a URL such as sqlite:///abs/path.db, or the word none to record nothing"
)
SCHEMES = ("sqlite", "json", "postgresql", "postgres")
LOGGER = logging.getLogger("netraven.metrics_store")

# Columns the attempt log can be counted by (``attempt_counts``); ``day`` is the UTC date of the attempt.
COUNT_COLUMNS = ("day", "device", "credential", "outcome", "job_id")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


# ---------------------------------------------------------------------------------------------
# The figures kept per credential: one table, everything else is derived from it
# ---------------------------------------------------------------------------------------------

COUNT = "count"  # a counter: +1 for each attempt whose outcome is in ``outcomes`` (SQL BIGINT, summed over shards)
STAMP = "stamp"  # a time stamp: the latest time of an attempt whose outcome is in ``outcomes`` (SQL TEXT, max over shards)


class Figure(NamedTuple):
    """One per-credential figure of the store (a row of ``FIGURES``).

    ``name``: the key in ``credential_stats()`` rows and the JSON document, and the SQL column;
    ``kind``: ``COUNT`` or ``STAMP``; ``outcomes``: the ``_outcomes`` words that move it (all of
    them counted, ``_outcomes.COUNTED``); ``since``: the schema version that added it. A figure
    added later takes the next schema version (today's ``SCHEMA_VERSION`` + 1): that raises
    ``SCHEMA_VERSION``, and opening an older store adds its column (SQL) or key (JSON).
    """

    name: str
    kind: str
    outcomes: frozenset[str]
    since: int = 1


FIGURES: tuple[Figure, ...] = (
    # Figure(name, kind, outcomes that move it[, since: the schema version that added it])
    Figure("attempts", COUNT, _outcomes.COUNTED),
    Figure("successes", COUNT, frozenset({_outcomes.SUCCESS})),
    Figure("failures", COUNT, frozenset({_outcomes.AUTH_REJECTED})),
    Figure("enable_failures", COUNT, frozenset({_outcomes.ENABLE_FAILED})),
    Figure("last_used", STAMP, frozenset({_outcomes.SUCCESS, _outcomes.ENABLE_FAILED})),
    Figure("last_success", STAMP, frozenset({_outcomes.SUCCESS})),
    Figure("last_failure", STAMP, frozenset({_outcomes.AUTH_REJECTED})),
)
# Outcomes that bind the device to the credential (per device: the credential that last worked).
BINDS = frozenset({_outcomes.SUCCESS})

COUNTERS = tuple(f.name for f in FIGURES if f.kind == COUNT)
STAMPS = tuple(f.name for f in FIGURES if f.kind == STAMP)
FIGURE_NAMES = COUNTERS + STAMPS  # the order of SQL columns and of ``stats_row`` keys
# Version 2 added the attempt-log indexes, version 3 the AAA guard's accounts and reservations; a
# figure added later raises the version to its ``since``.
SCHEMA_VERSION = max(3, *(f.since for f in FIGURES))
AAA_ACCOUNT_FIELDS = ("account", "streak", "last_outcome", "last_success", "last_failure", "max_streak")
"""The columns of one shared AAA account's state (``aaa_accounts``; see ``_aaa_guard``)."""


class MetricsStoreError(Exception):
    """Any failure to open, read or write a metrics store, or a bad argument.

    The message always names the store by its URL *without* its password (``redact_url``).
    """


# ---------------------------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------------------------

def default_store_url(environ: dict | None = None) -> str:
    """Return the per-user default store URL: ``sqlite:///<data home>/netraven/metrics.db``.

    ``<data home>`` is ``$XDG_DATA_HOME`` when set and absolute (XDG Base Directory
    Specification), else ``~/.local/share``.
    """
    env = os.environ if environ is None else environ
    data_home = env.get("XDG_DATA_HOME") or ""
    if not os.path.isabs(data_home):
        data_home = os.path.join(os.path.expanduser("~"), ".local", "share")
    return "sqlite:///" + os.path.join(data_home, "netraven", "metrics.db").lstrip("/")


def is_disabled(url: str | None) -> bool:
    """True when ``url`` is the word that turns metrics off (``none``, any case and spacing)."""
    return isinstance(url, str) and url.strip().lower() in DISABLED_WORDS


def store_file_missing(url: str | None) -> str | None:
    """The path of a file store (SQLite, JSON) named by ``url`` that does not exist yet (nothing
    recorded so far: the first run), else None (it exists, is PostgreSQL, or metrics are off).
    Raises MetricsStoreError for a malformed URL, as ``parse_store_url``."""
    parsed = parse_store_url(url)
    if parsed is None or parsed[0] == "postgresql" or os.path.exists(parsed[1]):
        return None
    return parsed[1]


def parse_store_url(url: str | None) -> tuple[str, str] | None:
    """Parse a store URL into ``(kind, target)``; ``None`` when metrics are disabled.

    ``kind`` is ``sqlite``, ``json`` or ``postgresql``; ``target`` is an absolute file path
    (``~`` expanded; the forms of ``_urls.file_url_path`` without a base folder) for the file
    backends and the full URL for PostgreSQL. ``None`` means the default SQLite file; the word
    ``none`` means disabled.

    Raises MetricsStoreError for an empty or blank string (``EMPTY_URL_MESSAGE``), an unknown
    scheme, a relative path or a host in a file URL.
    """
    if url is None:
        url = default_store_url()
    elif not str(url).strip():
        raise MetricsStoreError(EMPTY_URL_MESSAGE)
    if is_disabled(url):
        return None
    url = str(url).strip()
    shown = redact_url(url)
    scheme, sep, _rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in SCHEMES:
        raise MetricsStoreError(
            "metrics store %r: expected sqlite:///abs/path.db, json:///abs/path.json, "
            "postgresql://user@host:port/db or the word none" % shown
        )
    if scheme in ("postgresql", "postgres"):
        return "postgresql", url
    try:
        path = file_url_path(url)
    except ValueError as exc:
        raise MetricsStoreError("metrics store %r: %s" % (shown, exc)) from None
    if url.endswith("/") or os.path.basename(path) in ("", ".", "..") or os.path.isdir(path):
        raise MetricsStoreError("metrics store %r: the path names a directory, not a file" % shown)
    return scheme, path


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------

def utc_now() -> datetime.datetime:
    """The current time, timezone-aware UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def format_ts(when: datetime.datetime) -> str:
    """Format an aware (or naive = UTC) datetime as fixed-width UTC ISO-8601, e.g. ``2026-11-29T08:52:28.000000Z``."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value) -> datetime.datetime | None:
    """A point in time as an aware datetime; None for None, ``""`` and text that is no ISO-8601 time.

    Accepts a ``datetime`` (naive = UTC), a ``date`` (its midnight, UTC) or ISO-8601 text as
    Python's ``datetime.fromisoformat`` reads it (``2026-11-01``, ``2026-11-01T10:00:00+02:00``,
    a trailing ``Z``/``z`` for UTC; no zone = UTC), surrounding blanks ignored. The offset given
    is kept (compare, or ``format_ts`` for the store's UTC text). The one reader of times of the
    collection: the store's ``since``/``older_than`` (``parse_when``) and the credential report.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        when = value
    elif isinstance(value, datetime.date):
        when = datetime.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            when = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
    return when if when.tzinfo is not None else when.replace(tzinfo=datetime.timezone.utc)


def parse_when(value, field: str = "since", now: datetime.datetime | None = None) -> str | None:
    """Normalise a point in time to the store's timestamp text; ``None`` stays ``None``.

    Accepts what ``parse_time`` reads from a ``datetime``, a ``date`` or an ISO-8601 string
    (``2026-11-01``, ``2026-11-01T10:00:00+02:00``, ``...Z``; no zone = UTC), a ``timedelta``
    (that long before now) or an age string ``<number><s|m|h|d|w>`` (``30m``, ``12h``, ``7d``:
    that long before now). Raises MetricsStoreError naming ``field`` for anything else.
    """
    if value is None or value == "":
        return None
    now = now or utc_now()
    if isinstance(value, datetime.timedelta):
        return format_ts(now - value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            seconds = float(match.group(1)) * _DURATION_SECONDS[match.group(2)]
            return format_ts(now - datetime.timedelta(seconds=seconds))
    when = parse_time(value) if isinstance(value, (str, datetime.date)) else None
    if when is not None:
        return format_ts(when)
    raise MetricsStoreError(
        "%s=%r: expected an ISO-8601 time (2026-11-01T10:00:00Z), an age like 30m, 12h, 7d, "
        "a datetime or a timedelta" % (field, value)
    )


def run_pid() -> int:
    """The process id that names this ``ansible-playbook`` run: the parent of an Ansible worker
    (``WorkerProcess`` is a ``multiprocessing`` process, forked by the controller's main process),
    else this process itself. Every fork and fleet-mode thread of one run gets the same number;
    two runs never share one."""
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None and parent.pid else os.getpid()


def job_id_from_env(environ: dict | None = None) -> str | None:
    """The AWX/AAP job id of this run: ``$JOB_ID``, else ``$AWX_JOB_ID``, else None."""
    env = os.environ if environ is None else environ
    for key in ("JOB_ID", "AWX_JOB_ID"):
        value = (env.get(key) or "").strip()
        if value:
            return value[:MAX_NAME_CHARS]
    return None


def _name(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MetricsStoreError("%s must be a non-empty string, got %r" % (field, value))
    if len(value) > MAX_NAME_CHARS:
        raise MetricsStoreError("%s is longer than %d characters" % (field, MAX_NAME_CHARS))
    return value


def cap_message(message) -> str | None:
    """Return ``message`` as text of at most ``MAX_MESSAGE_CHARS`` characters (NULs removed), or None."""
    if message is None:
        return None
    text = str(message).replace("\x00", "")
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 3] + "..."
    return text


def outcome_effect(outcome: str, ts: str) -> dict | None:
    """What one attempt does to its credential's figures (``FIGURES``): a dict, or None.

    Returns ``None`` for outcomes outside ``_outcomes.COUNTED`` (attempt log only). Otherwise one
    key per figure (a counter: the delta 0 or 1; a stamp: ``ts`` or None) plus ``"bind"``
    (bool: the device is bound to the credential), e.g. for ``success``
    ``{"attempts": 1, "successes": 1, "failures": 0, "enable_failures": 0, "last_used": ts,
    "last_success": ts, "last_failure": None, "bind": True}``.
    """
    if outcome not in _outcomes.COUNTED:
        return None
    effect: dict[str, Any] = {}
    for figure in FIGURES:
        moved = outcome in figure.outcomes
        effect[figure.name] = int(moved) if figure.kind == COUNT else (ts if moved else None)
    effect["bind"] = outcome in BINDS
    return effect


def later(current: str | None, candidate: str | None) -> str | None:
    """The later of two store timestamps (None = never)."""
    if candidate is None:
        return current
    if current is None or candidate > current:
        return candidate
    return current


def stats_row(name: str, **figures: Any) -> dict[str, Any]:
    """The public shape of one credential's figures: ``{"name", <FIGURE_NAMES>..., "success_rate"}``.

    ``figures``: values by figure name, as a backend read them; a missing or null counter is 0, a
    missing stamp None. ``success_rate`` = successes / attempts (float), None before the first
    counted attempt. Raises TypeError for a name that is not a figure.
    """
    unknown = sorted(set(figures) - set(FIGURE_NAMES))
    if unknown:
        raise TypeError("stats_row(): %s not in FIGURES" % ", ".join(unknown))
    row: dict[str, Any] = {"name": name}
    for key in COUNTERS:
        row[key] = int(figures.get(key) or 0)
    for key in STAMPS:
        row[key] = figures.get(key)
    row["success_rate"] = (float(row["successes"]) / row["attempts"]) if row["attempts"] else None
    return row


# ---------------------------------------------------------------------------------------------
# The interface
# ---------------------------------------------------------------------------------------------

class MetricsStore:
    """Base class of the backends: argument checks and result shapes live here, storage below.

    Use as a context manager or call ``close()``. A store object belongs to the process that
    opened it: open it after forking, and close it before forking (an SQLite connection must
    not cross ``fork()``). Every method raises MetricsStoreError on failure.
    """

    kind = "abstract"

    def __init__(self, url: str, warn=None):
        self.url = redact_url(url)
        self._secret = url_password(url)
        self._warn = warn or LOGGER.warning
        self._pid = os.getpid()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return "<%s %s>" % (self.__class__.__name__, self.url)

    # -- public API ------------------------------------------------------------------------

    def record_attempt(self, device: str, credential: str, outcome: str, elapsed_ms,
                       job_id: str | None = None, message: str | None = None,
                       at: datetime.datetime | None = None, bind: bool = True) -> None:
        """Record one attempt of ``credential`` on ``device`` in one transaction.

        ``outcome`` is an ``_outcomes`` word; ``elapsed_ms`` a number of milliseconds >= 0
        (stored rounded to an integer); ``job_id`` defaults to ``job_id_from_env()``;
        ``message`` must already be redacted (capped at MAX_MESSAGE_CHARS); ``at`` (UTC, default
        now) exists for imports and tests. Counters follow ``outcome_effect``; ``bind`` False
        leaves the device's binding as it is (a credential audit).
        """
        row: dict[str, Any] = {
            "time": format_ts(at) if at is not None else format_ts(utc_now()),
            "job_id": cap_name(job_id) if job_id not in (None, "") else job_id_from_env(),
            "device": _name(device, "device"),
            "credential": _name(credential, "credential"),
            "outcome": outcome,
            "elapsed_ms": _elapsed(elapsed_ms),
            "message": cap_message(message),
        }
        if outcome not in _outcomes.ALL:
            raise MetricsStoreError("outcome %r is not one of %s" % (outcome, ", ".join(_outcomes.ALL)))
        effect = outcome_effect(outcome, row["time"])
        if effect is not None and not bind:
            effect["bind"] = False
        self._guard("record an attempt", self._record, row, effect)

    def credential_stats(self, names=None) -> list:
        """Per-credential figures, sorted by name: list of ``stats_row`` dicts.

        ``names`` (iterable of str) restricts the answer to those credentials; a named
        credential never attempted is returned with zero counters and ``success_rate`` None.
        """
        wanted = None if names is None else sorted({_name(n, "credential name") for n in names})
        rows = self._guard("read credential figures", self._stats, wanted)
        if wanted is not None:
            known = {r["name"] for r in rows}
            rows = rows + [stats_row(n) for n in wanted if n not in known]
        return sorted(rows, key=lambda r: r["name"])

    def bindings(self, device: str | None = None) -> list:
        """Per-device bound credential: ``[{"device", "credential", "last_success"}]`` sorted by device."""
        if device is not None:
            _name(device, "device")
        return sorted(self._guard("read bindings", self._bindings, device), key=lambda r: r["device"])

    def last_working(self, device: str) -> str | None:
        """The name of the credential that last succeeded on ``device``, or None."""
        found = self.bindings(device)
        return found[0]["credential"] if found else None

    def attempts(self, device: str | None = None, credential: str | None = None, outcome: str | None = None,
                 since=None, limit: int | None = 100) -> list:
        """The attempt log, newest first: ``[{"id", "time", "job_id", "device", "credential", "outcome", "elapsed_ms", "message"}]``.

        Filters are ANDed; ``since`` takes what ``parse_when`` takes; ``limit`` None = no limit.
        """
        if outcome is not None and outcome not in _outcomes.ALL:
            raise MetricsStoreError("outcome %r is not one of %s" % (outcome, ", ".join(_outcomes.ALL)))
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise MetricsStoreError("limit must be an integer >= 0 or None, got %r" % (limit,))
        filters = {
            "device": None if device is None else _name(device, "device"),
            "credential": None if credential is None else _name(credential, "credential"),
            "outcome": outcome,
            "since": parse_when(since, "since"),
        }
        return self._guard("read attempts", self._attempts, filters, limit)

    def attempt_counts(self, group_by=("day", "credential", "outcome"), since=None) -> list:
        """The attempt log counted per group, for reports over many attempts.

        ``group_by``: a non-empty sequence of ``COUNT_COLUMNS`` names (``day`` is the UTC date
        ``YYYY-MM-DD`` of the attempt); ``since`` takes what ``parse_when`` takes (None = the whole
        log). Returns ``[{<each group_by column>: value, "count": int, "last": ts}]``, where
        ``last`` is the time of the group's newest attempt, sorted by the group columns (None
        first). Pruned attempts are not counted. Raises MetricsStoreError on an unknown column.
        """
        columns = tuple(group_by or ())
        unknown = [c for c in columns if c not in COUNT_COLUMNS]
        if not columns or unknown or len(set(columns)) != len(columns):
            raise MetricsStoreError("group_by must be distinct names from %s, got %r" % (", ".join(COUNT_COLUMNS), list(columns)))
        rows = self._guard("count attempts", self._attempt_counts, columns, parse_when(since, "since"))
        return sorted(rows, key=lambda r: [(r[c] is not None, r[c] or "") for c in columns])

    def prune(self, older_than) -> int:
        """Delete attempt-log rows older than ``older_than`` (see ``parse_when``); return how many.

        Counters and bindings are totals and are kept.
        """
        cutoff = parse_when(older_than, "older_than")
        if cutoff is None:
            raise MetricsStoreError("older_than is required")
        return self._guard("prune attempts", self._prune, cutoff)

    # -- the AAA guard (module_utils/_aaa_guard.py) ------------------------------------------

    def aaa_admit(self, account: str, policy: Any, holder: dict, device: str, credential: str) -> dict:
        """Decide and reserve one attempt of shared AAA ``account`` in one transaction.

        Drops the account's dead reservations first (lease run out, or holder process gone on
        this host), then applies ``_aaa_guard.decide`` to the account's state and its live
        reservations; when admitted, inserts a reservation held by ``holder`` (``{"host", "pid"}``)
        for ``device``/``credential`` that expires after ``_aaa_guard.LEASE_S`` seconds.
        Returns ``decide``'s dict plus ``"id"`` (the reservation's id, None when not admitted).
        Atomic against every other process sharing the store (SQLite: ``BEGIN IMMEDIATE``;
        PostgreSQL: the account's row locked ``FOR UPDATE``; JSON: the file lock).
        """
        return self._guard("reserve an AAA attempt", self._aaa_admit, _name(account, "account"), policy, holder,
                           _name(device, "device"), _name(credential, "credential"))

    def aaa_settle(self, reservation: Any, account: str, kind: str | None, window: float) -> dict:
        """Remove reservation ``reservation`` (None: none) and apply one attempt of ``kind`` (``success``,
        ``failure`` or None, ``_aaa_guard.kind_of``) to ``account``'s state; returns the new state
        (the fields of ``AAA_ACCOUNT_FIELDS`` without ``account``). One transaction."""
        return self._guard("settle an AAA attempt", self._aaa_settle, reservation, _name(account, "account"), kind, window)

    def aaa_accounts(self) -> list:
        """Every shared AAA account the guard has seen, sorted by name: ``[{AAA_ACCOUNT_FIELDS..., "in_flight"}]``."""
        return sorted(self._guard("read AAA accounts", self._aaa_accounts), key=lambda r: r["account"])

    def schema_version(self) -> int:
        """The schema version stored in this store (equal to SCHEMA_VERSION once opened)."""
        return self._guard("read the schema version", self._schema_version)

    def close(self) -> None:
        """Release the connection or file handles. Idempotent."""

    # -- helpers for backends --------------------------------------------------------------

    def _guard(self, doing: str, func, *args):
        """Run a backend call; turn any non-MetricsStoreError into one naming the URL, secret scrubbed."""
        if os.getpid() != self._pid:
            raise self.error("this store was opened in process %d before a fork; open it again in process %d"
                             % (self._pid, os.getpid()))
        try:
            return func(*args)
        except MetricsStoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - every backend failure becomes MetricsStoreError
            raise self.error("could not %s: %s: %s%s" % (doing, exc.__class__.__name__, exc, self._explain(exc))) from None

    def _explain(self, exc: Exception) -> str:
        """A backend's hint appended to an error message (empty by default)."""
        return ""

    def error(self, text: str) -> MetricsStoreError:
        """A MetricsStoreError ``<url>: <text>`` with the URL's password scrubbed from ``text``."""
        if self._secret:
            text = text.replace(self._secret, "********")
        return MetricsStoreError("metrics store %s: %s" % (self.url, text))

    def newer_schema_error(self, found) -> MetricsStoreError:
        """The refusal raised when a store was written by a newer netraven.core."""
        return self.error(
            "schema version %s is newer than this netraven.core understands (%d); "
            "upgrade the collection on this controller/execution environment, or point it at another store"
            % (found, SCHEMA_VERSION)
        )

    def _record(self, row: dict, effect: dict | None) -> None:
        raise NotImplementedError

    def _stats(self, names) -> list:
        raise NotImplementedError

    def _bindings(self, device) -> list:
        raise NotImplementedError

    def _attempts(self, filters: dict, limit) -> list:
        raise NotImplementedError

    def _attempt_counts(self, columns: tuple, since: str | None) -> list:
        raise NotImplementedError

    def _prune(self, cutoff: str) -> int:
        raise NotImplementedError

    def _schema_version(self) -> int:
        raise NotImplementedError

    def _aaa_admit(self, account: str, policy: Any, holder: dict, device: str, credential: str) -> dict:
        raise NotImplementedError

    def _aaa_settle(self, reservation: Any, account: str, kind: str | None, window: float) -> dict:
        raise NotImplementedError

    def _aaa_accounts(self) -> list:
        raise NotImplementedError


def cap_name(value) -> str:
    """A job id or similar label as text of at most MAX_NAME_CHARS characters."""
    return str(value)[:MAX_NAME_CHARS]


def _elapsed(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise MetricsStoreError("elapsed_ms must be a number of milliseconds >= 0, got %r" % (value,))
    return int(round(value))


# ---------------------------------------------------------------------------------------------
# Opening and the never-fail helper
# ---------------------------------------------------------------------------------------------

def open_store(url: str | None = None, warn=None):
    """Open the metrics store named by ``url`` and bring its schema up to date.

    ``url``: see ``parse_store_url`` (None = the per-user default SQLite file, whose folder is
    created 0700; ``none`` = disabled; an empty string is an error). ``warn``: a callable taking one message
    string (e.g. ``AnsibleModule.warn`` or ``Display().warning``) for things the user should
    see that do not stop the store, such as a corrupt JSON file moved aside; default: logging.

    Returns a MetricsStore, or None when disabled. Raises MetricsStoreError (URL shown without
    its password) when the store cannot be opened, is not a metrics store, or has a newer schema.
    """
    parsed = parse_store_url(url)
    if parsed is None:
        return None
    kind, target = parsed
    shown_url = url if url and str(url).strip() else default_store_url()
    if kind != "postgresql":
        folder = os.path.dirname(target)
        if not (url and str(url).strip()):
            try:
                os.makedirs(folder, mode=0o700, exist_ok=True)
            except OSError as exc:
                raise MetricsStoreError("metrics store %s: cannot create %s: %s" % (shown_url, folder, exc.strerror)) from None
        if not os.path.isdir(folder):
            raise MetricsStoreError("metrics store %s: folder %s does not exist" % (redact_url(shown_url), folder))
    if kind == "json":
        from ansible_collections.netraven.core.plugins.module_utils._metrics_store_json import JsonStore
        return JsonStore(shown_url, target, warn=warn)
    from ansible_collections.netraven.core.plugins.module_utils._metrics_store_sql import open_sql_store
    return open_sql_store(kind, shown_url, target, warn=warn)


Warn = Callable[[str], Any]
"""A callable taking one warning line, e.g. ``AnsibleModule.warn``, ``Display().warning``, ``list.append``."""

NOT_RECORDED = "credential metrics not recorded (the job goes on): "
NOT_AVAILABLE = "metrics store not available, attempts are not recorded (the job goes on): "


def _tell(warn: Warn | None, text: str) -> None:
    """Pass ``text`` to ``warn`` (default: logging); a failing ``warn`` falls back to logging, never raises."""
    try:
        (warn or LOGGER.warning)(text)
    except Exception:  # noqa: BLE001 - a broken warning channel must not fail the device's job either
        LOGGER.warning(text)


def _failure_text(exc: Exception, url: str) -> str:
    """A store failure in one line: a MetricsStoreError's own text (URL already without password),
    any other exception by its class only (its text could quote anything)."""
    if isinstance(exc, MetricsStoreError):
        return str(exc)
    return "metrics store %s: %s" % (url, exc.__class__.__name__)


def open_store_safely(url: str | None = None, warn: Warn | None = None) -> MetricsStore | None:
    """Open a store like ``open_store``, but never raise: the job goes on without metrics.

    ``url``: as ``open_store`` (None = the per-user default store, ``none`` = disabled, empty = an error, warned).
    ``warn``: receives one line starting with ``NOT_AVAILABLE`` and the reason when the store
    cannot be opened (the URL shown without its password), and ``open_store``'s own notices.
    Returns the open MetricsStore (the caller closes it), or None when metrics are disabled or
    the store is unavailable. Pass the result to ``record_attempt_safely``.
    """
    try:
        return open_store(url, warn=warn)
    except Exception as exc:  # noqa: BLE001 - a store problem never fails the device's job
        _tell(warn, NOT_AVAILABLE + _failure_text(exc, redact_url(url) or default_store_url()))
        return None


def record_attempt_safely(store: MetricsStore | str | None, device: str, credential: str, outcome: str,
                          elapsed_ms: float, job_id: str | None = None, message: str | None = None,
                          warn: Warn | None = None, at: datetime.datetime | None = None, bind: bool = True) -> bool:
    """Record one attempt and never raise: a metrics failure must not fail the device's job.

    This is THE "never fail on a store error" wrapper: modules and action plugins record every
    attempt through it.

    ``store``: an open MetricsStore (usually from ``open_store_safely``; the caller closes it);
    None = no store (metrics disabled or unavailable: nothing recorded, no warning); or a store
    URL string, opened, written and closed here (as ``open_store``: empty is an error, warned; ``none`` = disabled),
    for a one-off write. ``device``, ``credential``, ``outcome``, ``elapsed_ms`` (milliseconds),
    ``job_id`` (None = ``job_id_from_env()``), ``message``, ``at`` and ``bind`` are those of
    ``MetricsStore.record_attempt``.

    Nothing is redacted here: ``message`` must come already redacted (it is stored as given).
    ``warn`` (default: logging) receives one line when the attempt is not recorded:
    ``NOT_RECORDED`` + ``device <d>, credential <c>: `` + the store's error, which names the
    store by its URL without password and never quotes the attempt's fields; any other exception
    is shown by its class only. A caller holding secrets may still wrap ``warn`` with its own
    redaction. Returns True when the attempt was recorded, False when not (no store, disabled,
    bad argument, store error). Only BaseException outside Exception (KeyboardInterrupt,
    SystemExit) passes through.
    """
    if store is None:
        return False
    opened = None
    try:
        if isinstance(store, MetricsStore):
            target = store
        else:
            opened = target = open_store(store, warn=warn)
            if target is None:
                return False
        target.record_attempt(device, credential, outcome, elapsed_ms, job_id=job_id, message=message, at=at, bind=bind)
        return True
    except Exception as exc:  # noqa: BLE001 - last line of defence for the device's job
        shown = store.url if isinstance(store, MetricsStore) else (redact_url(store) or default_store_url())
        _tell(warn, NOT_RECORDED + "device %s, credential %s: %s" % (device, credential, _failure_text(exc, shown)))
    finally:
        if opened is not None:
            try:
                opened.close()
            except Exception:  # noqa: BLE001 - closing must not fail the job either
                pass
    return False
