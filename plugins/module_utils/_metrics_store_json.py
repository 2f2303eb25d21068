# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON file backend of the metrics store: one document, rewritten whole under a file lock.

Every operation (reads too) holds an exclusive ``flock`` on the sidecar ``<file>.lock`` for the
whole read-modify-write. A write goes to ``<file>.tmp``, is flushed and fsynced, renamed over
the file (atomic on POSIX), and the folder is fsynced, so the file is always either the old or
the new document, whatever kills the writer. Only the lock holder touches ``<file>.tmp``.

A file that is not valid JSON is moved aside as ``<file>.corrupt`` (or
``<file>.<UTC time>.corrupt``) with a warning, and an empty store starts in its place: the data is
never silently emptied. Valid JSON that is not a metrics document is refused, never touched.

Meant for small setups (a laptop, a lab): every write rewrites the whole attempt log, so the
cost of a write grows with the log; ``prune()`` keeps it short. Use SQLite or PostgreSQL for
many forks or long histories (bench/README.md has the figures).

Document shape (``schema_version`` 3); a credential holds one key per figure of
``_metrics_store.FIGURES`` (a counter's zero is 0, a stamp's null)::

    {"schema_version": 2, "next_attempt_id": 1,
     "credentials": {"<name>": {"attempts": 0, "successes": 0, "failures": 0, "enable_failures": 0,
                                "last_used": null, "last_success": null, "last_failure": null}},
     "bindings": {"<device>": {"credential": "<name>", "last_success": "<time>"}},
     "attempts": [{"id": 1, "time": ..., "job_id": ..., "device": ..., "credential": ...,
                   "outcome": ..., "elapsed_ms": ..., "message": ...}],
     "aaa_accounts": {"<user>@<aaa>": {"streak": 0, "last_outcome": ..., "last_success": ..., "last_failure": ...,
                                       "max_streak": 0}},
     "aaa_reservations": [{"id": 1, "account": ..., "host": ..., "pid": ..., "device": ..., "credential": ...,
                           "reserved_at": ..., "expires_at": ...}], "next_reservation_id": 2}

(schema 3 added the three ``aaa_`` keys, for the AAA guard of ``_aaa_guard``.)
"""
from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os

from typing import Callable

from ansible_collections.netraven.core.plugins.module_utils import _aaa_guard
from ansible_collections.netraven.core.plugins.module_utils._metrics_store import (
    AAA_ACCOUNT_FIELDS,
    COUNT,
    COUNTERS,
    FIGURE_NAMES,
    FIGURES,
    SCHEMA_VERSION,
    STAMPS,
    MetricsStore,
    format_ts,
    later,
    stats_row,
    utc_now,
)


def add_figures(version: int, figures: tuple = FIGURES) -> Callable[[dict], None]:
    """The forward migration of the document to ``version``: every credential gets the figures
    whose ``since`` is ``version`` (a counter 0, a stamp null). ``figures``: the figure table."""
    added = {f.name: (0 if f.kind == COUNT else None) for f in figures if f.since == version}

    def migrate(doc: dict) -> None:
        for stats in doc["credentials"].values():
            for name, zero in added.items():
                stats.setdefault(name, zero)
    return migrate


# Forward migrations of the document: version -> function(doc) -> None. Version 2 only added SQL
# indexes; later versions add the figures whose ``since`` they are.
MIGRATIONS = {version: add_figures(version) for version in range(1, SCHEMA_VERSION + 1)}


def empty_document() -> dict:
    """A new, empty metrics document at the current schema version."""
    return {"schema_version": SCHEMA_VERSION, "next_attempt_id": 1, "credentials": {}, "bindings": {}, "attempts": [],
            "aaa_accounts": {}, "aaa_reservations": [], "next_reservation_id": 1}


def _attempt_wanted(attempt: dict, filters: dict) -> bool:
    """True when one attempt-log entry passes ``filters`` (the ``attempts`` query's filter dict):
    ``device``, ``credential`` and ``outcome`` must equal the entry's value when not None, and the
    entry's ISO-8601 ``time`` must be at or after ``since`` when that is not None."""
    if any(filters[key] is not None and attempt.get(key) != filters[key] for key in ("device", "credential", "outcome")):
        return False
    return filters["since"] is None or attempt["time"] >= filters["since"]


class JsonStore(MetricsStore):
    """Metrics in one JSON file (see the module docstring for locking and durability)."""

    kind = "json"

    def __init__(self, url: str, path: str, warn=None):
        super().__init__(url, warn)
        self.path = path
        self.lock_path = path + ".lock"
        self.tmp_path = path + ".tmp"
        self._guard("open the JSON file", self._open)

    def _open(self) -> None:
        with self._locked():
            doc, changed = self._load()
            if changed or not os.path.exists(self.path):
                self._save(doc)

    # -- locking and file I/O ------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self):
        """Hold the exclusive lock on the sidecar lock file (blocks until granted)."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _load(self) -> tuple:
        """Read the document under the lock: ``(doc, changed)``; changed = migrated or moved aside."""
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            return empty_document(), True
        if not raw.strip():
            return empty_document(), True  # an empty file holds no data; start the document
        try:
            doc = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            aside = self._move_aside()
            self._warn(
                "metrics store %s: %s is not valid JSON (%s); moved it aside to %s and started an empty store"
                % (self.url, self.path, exc, aside)
            )
            return empty_document(), True
        if not isinstance(doc, dict) or not isinstance(doc.get("schema_version"), int):
            raise self.error("%s is JSON but not a netraven metrics document (no schema_version); refusing to touch it" % self.path)
        found = doc["schema_version"]
        if found > SCHEMA_VERSION:
            raise self.newer_schema_error(found)
        for key, default in empty_document().items():
            doc.setdefault(key, default)
        for version in range(found + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](doc)
        doc["schema_version"] = SCHEMA_VERSION
        return doc, found != SCHEMA_VERSION

    def _move_aside(self) -> str:
        aside = self.path + ".corrupt"
        if os.path.exists(aside):
            aside = "%s.%s.corrupt" % (self.path, format_ts(utc_now()).replace(":", ""))
        os.replace(self.path, aside)
        return aside

    def _save(self, doc: dict) -> None:
        """Write ``doc`` durably: temp file, fsync, rename, fsync the folder. The old file survives any error."""
        data = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8")
        try:
            fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(self.tmp_path, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(self.tmp_path)
            raise self.error("cannot write %s (the previous contents are kept): %s" % (self.path, exc.strerror or exc)) from None
        dir_fd = os.open(os.path.dirname(self.path) or ".", os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @contextlib.contextmanager
    def _document(self, write: bool):
        with self._locked():
            doc, changed = self._load()
            yield doc
            if write or changed:
                self._save(doc)

    # -- backend operations --------------------------------------------------------------------

    def _record(self, row: dict, effect: dict | None) -> None:
        with self._document(write=True) as doc:
            entry = {"id": doc["next_attempt_id"]}
            entry.update(row)
            doc["next_attempt_id"] += 1
            doc["attempts"].append(entry)
            if effect is None:
                return
            stats = doc["credentials"].setdefault(row["credential"], dict.fromkeys(COUNTERS, 0))
            for counter in COUNTERS:
                stats[counter] = stats.get(counter, 0) + effect[counter]
            for stamp in STAMPS:
                stats[stamp] = later(stats.get(stamp), effect[stamp])
            if effect["bind"]:
                bound = doc["bindings"].get(row["device"])
                if bound is None or row["time"] >= bound["last_success"]:
                    doc["bindings"][row["device"]] = {"credential": row["credential"], "last_success": row["time"]}

    def _stats(self, names) -> list:
        with self._document(write=False) as doc:
            items = doc["credentials"].items()
            return [
                stats_row(name, **{k: s.get(k) for k in FIGURE_NAMES})
                for name, s in items if names is None or name in names
            ]

    def _bindings(self, device) -> list:
        with self._document(write=False) as doc:
            return [
                {"device": d, "credential": b["credential"], "last_success": b["last_success"]}
                for d, b in doc["bindings"].items() if device is None or d == device
            ]

    def _attempts(self, filters: dict, limit) -> list:
        with self._document(write=False) as doc:
            rows = [dict(a) for a in doc["attempts"] if _attempt_wanted(a, filters)]
        rows.sort(key=lambda a: (a["time"], a["id"]), reverse=True)
        return rows if limit is None else rows[:limit]

    def _attempt_counts(self, columns: tuple, since) -> list:
        groups: dict = {}
        with self._document(write=False) as doc:
            for item in doc["attempts"]:
                if since is not None and item["time"] < since:
                    continue
                key = tuple(item["time"][:10] if c == "day" else item.get(c) for c in columns)
                count, last = groups.get(key, (0, None))
                groups[key] = (count + 1, item["time"] if last is None or item["time"] > last else last)
        return [dict(zip(columns + ("count", "last"), key + value)) for key, value in groups.items()]

    def _prune(self, cutoff: str) -> int:
        with self._document(write=True) as doc:
            kept = [a for a in doc["attempts"] if a["time"] >= cutoff]
            removed = len(doc["attempts"]) - len(kept)
            doc["attempts"] = kept
            return removed

    def _aaa_admit(self, account: str, policy, holder: dict, device: str, credential: str) -> dict:
        now = utc_now()
        ts = format_ts(now)
        with self._document(write=True) as doc:
            row = doc["aaa_accounts"].get(account, {})
            mine = [r for r in doc["aaa_reservations"] if r["account"] == account]
            dead = {r["id"] for r in mine if _aaa_guard.reservation_dead(r, holder["host"], ts)}
            doc["aaa_reservations"] = [r for r in doc["aaa_reservations"] if r["id"] not in dead]
            decision = _aaa_guard.decide(row, len(mine) - len(dead), policy, now)
            decision["id"] = None
            if decision["admitted"]:
                decision["id"] = doc["next_reservation_id"]
                doc["next_reservation_id"] += 1
                doc["aaa_reservations"].append({
                    "id": decision["id"], "account": account, "host": holder["host"], "pid": holder["pid"],
                    "device": device, "credential": credential, "reserved_at": ts,
                    "expires_at": format_ts(now + datetime.timedelta(seconds=_aaa_guard.LEASE_S)),
                })
        return decision

    def _aaa_settle(self, reservation, account: str, kind, window: float) -> dict:
        now = utc_now()
        with self._document(write=True) as doc:
            doc["aaa_reservations"] = [r for r in doc["aaa_reservations"] if r["id"] != reservation]
            state = _aaa_guard.after(doc["aaa_accounts"].get(account, {}), kind, window, format_ts(now), now)
            if kind is not None:
                doc["aaa_accounts"][account] = state
        return state

    def _aaa_accounts(self) -> list:
        ts = format_ts(utc_now())
        with self._document(write=False) as doc:
            return [
                dict({k: row.get(k) for k in AAA_ACCOUNT_FIELDS[1:]}, account=name,
                     in_flight=sum(1 for r in doc["aaa_reservations"] if r["account"] == name and r["expires_at"] >= ts))
                for name, row in doc["aaa_accounts"].items()
            ]

    def _schema_version(self) -> int:
        with self._document(write=False) as doc:
            return doc["schema_version"]
