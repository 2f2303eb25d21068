#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Metrics store throughput: record_attempt calls per second at 1, 8 and 64 concurrent writers.

For every backend and writer count, ``--repeat`` runs (default 3) each start the writer
processes, let every one open its own store, release them together through a barrier and time
until the last one exits; records/s = records / that wall time. Each run uses a fresh store
(new file, or a new PostgreSQL schema) and is then counted: ``lost`` = records written minus
rows found in the attempt log, and the credential counters are checked against the same mix.
The median of the runs is reported.

Writes ``--out`` (JSON, default bench/results/store.json) and, unless ``--readme ''``, the table
between the ``store-bench`` markers in bench/README.md. Run from the repository root:

    .venv/bin/python bench/store/bench_store.py                      # the full run (a few minutes)
    .venv/bin/python bench/store/bench_store.py --quick --out /tmp/x.json --readme ''

PostgreSQL: ``--pg-dsn`` or ``$NETRAVEN_TEST_PG_DSN`` (default postgresql://postgres@127.0.0.1:5432/test);
the backend is skipped with a note when the server or psycopg is missing. The extra backend
``postgresql-async`` is the same store with ``options=-csynchronous_commit%3Doff`` in its URL
(commits do not wait for the server's WAL flush; see docs/docsite/rst/metrics.rst).
"""
from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "build" / "collections"))

from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms  # noqa: E402

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
# Outcome mix of the writers, per 10 records: 7 success, 2 auth_rejected, 1 unreachable.
MIX = ("success",) * 7 + ("auth_rejected",) * 2 + ("unreachable",)
MARK_START, MARK_END = "<!-- store-bench:start -->", "<!-- store-bench:end -->"


def writer(url: str, index: int, count: int, barrier, errors) -> None:
    """One writer process: open the store, wait for the start signal, record ``count`` attempts."""
    try:
        store = ms.open_store(url)
        barrier.wait()
        for i in range(count):
            store.record_attempt("dev-%03d-%d" % (index, i % 5), "cred-%d" % (i % 4), MIX[i % len(MIX)], 12.5, job_id="bench")
        store.close()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which counts it
        errors.put("%s: %s" % (exc.__class__.__name__, exc))
        with _suppress():
            barrier.abort()


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return True


def expected_counts(writers: int, per_writer: int) -> tuple[int, int]:
    """(attempt-log rows, counted attempts) the run must leave."""
    counted = sum(1 for i in range(per_writer) if MIX[i % len(MIX)] != "unreachable")
    return writers * per_writer, writers * counted


def one_run(url: str, writers: int, per_writer: int) -> dict:
    """Time one run on a fresh store at ``url``; returns records/s, lost records and errors."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(writers + 1, timeout=120)
    errors = ctx.Queue()
    procs = [ctx.Process(target=writer, args=(url, i, per_writer, barrier, errors)) for i in range(writers)]
    for proc in procs:
        proc.start()
    try:
        barrier.wait()
    except Exception:  # a writer failed to open: report why
        for proc in procs:
            proc.join()
        raise RuntimeError("writers failed to start: %s" % errors.get(timeout=5)) from None
    started = time.perf_counter()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    want_rows, want_counted = expected_counts(writers, per_writer)
    store = ms.open_store(url)
    try:
        rows = len(store.attempts(limit=None))
        counted = sum(s["attempts"] for s in store.credential_stats())
    finally:
        store.close()
    return {
        "records_per_s": round(want_rows / elapsed, 1),
        "seconds": round(elapsed, 3),
        "lost": want_rows - rows,
        "counter_drift": want_counted - counted,
        "errors": failures[:3],
    }


class Backend:
    """Hands out fresh store URLs for one backend and cleans them up."""

    def __init__(self, kind: str, workdir: Path, pg_dsn: str):
        self.kind, self.workdir, self.pg_dsn = kind, workdir, pg_dsn
        self._schemas = []

    def available(self) -> str | None:
        """None when usable, else the reason it is skipped."""
        if not self.kind.startswith("postgresql"):
            return None
        try:
            import psycopg

            with psycopg.connect(self.pg_dsn, connect_timeout=5):
                return None
        except Exception as exc:  # noqa: BLE001 - any failure means "skip with the reason"
            return "%s: %s" % (exc.__class__.__name__, exc)

    def fresh_url(self) -> str:
        name = uuid.uuid4().hex[:10]
        if self.kind == "sqlite":
            return "sqlite://%s/%s.db" % (self.workdir, name)
        if self.kind == "json":
            return "json://%s/%s.json" % (self.workdir, name)
        import psycopg

        schema = "bench_" + name
        with psycopg.connect(self.pg_dsn, autocommit=True) as conn:
            conn.execute('CREATE SCHEMA "%s"' % schema)
        self._schemas.append(schema)
        sep = "&" if "?" in self.pg_dsn else "?"
        extra = "%20-csynchronous_commit%3Doff" if self.kind == "postgresql-async" else ""
        return "%s%soptions=-csearch_path%%3D%s%s" % (self.pg_dsn, sep, schema, extra)

    def cleanup(self) -> None:
        if not self._schemas:
            return
        import psycopg

        with psycopg.connect(self.pg_dsn, autocommit=True) as conn:
            for schema in self._schemas:
                conn.execute('DROP SCHEMA IF EXISTS "%s" CASCADE' % schema)
        self._schemas = []


def machine() -> dict:
    """What the figures were measured on."""
    info = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            info["loadavg_at_start"] = handle.read().split()[0]
    except OSError:
        pass
    return info


def run(backends: list[str], writer_counts: list[int], records: int, json_records: int, repeat: int, pg_dsn: str) -> dict:
    """All runs; returns the results document written to --out."""
    results, skipped = [], {}
    with tempfile.TemporaryDirectory(prefix="netraven-store-bench-") as tmp:
        for kind in backends:
            backend = Backend(kind, Path(tmp), pg_dsn)
            reason = backend.available()
            if reason:
                skipped[kind] = reason
                continue
            total = json_records if kind == "json" else records
            try:
                for writers in writer_counts:
                    per_writer = max(1, total // writers)
                    runs = [one_run(backend.fresh_url(), writers, per_writer) for _run in range(repeat)]
                    results.append({
                        "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "load_avg_1min": machine().get("loadavg_at_start"),
                        "backend": kind,
                        "writers": writers,
                        "records_per_run": per_writer * writers,
                        "median_records_per_s": statistics.median(r["records_per_s"] for r in runs),
                        "lost": max(r["lost"] for r in runs),
                        "counter_drift": max(abs(r["counter_drift"]) for r in runs),
                        "runs": runs,
                    })
                    print("%-10s %3d writers %8.0f records/s (lost %d)" % (
                        kind, writers, results[-1]["median_records_per_s"], results[-1]["lost"]), flush=True)
            finally:
                backend.cleanup()
    return {
        "benchmark": "metrics store record_attempt throughput",
        "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "repeat": repeat,
        "results": results,
        "skipped": skipped,
    }


def merge(old: dict, new: dict) -> dict:
    """``new`` plus the rows of ``old`` for backends ``new`` did not run."""
    ran = {r["backend"] for r in new["results"]} | set(new["skipped"])
    kept = [r for r in old.get("results", []) if r["backend"] not in ran]
    merged = dict(new)
    merged["results"] = kept + new["results"]
    merged["skipped"] = {k: v for k, v in old.get("skipped", {}).items() if k not in ran}
    merged["skipped"].update(new["skipped"])
    return merged


def markdown_table(doc: dict) -> str:
    """The README table of a results document."""
    lines = [
        "Last run %s on %s CPUs, Python %s, SQLite %s; median of %d runs; `lost` = records written minus rows "
        "found afterwards; the load average shows how busy the (shared) machine was." % (
            doc["when"], doc["machine"]["cpus"], doc["machine"]["python"], doc["machine"]["sqlite"], doc["repeat"]),
        "",
        "| backend | writers | records per run | records/s (median) | lost | load avg (1 min) at the start |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in doc["results"]:
        lines.append("| %s | %d | %d | %.0f | %d | %s |" % (
            row["backend"], row["writers"], row["records_per_run"], row["median_records_per_s"], row["lost"],
            row.get("load_avg_1min", "?")))
    for kind, reason in doc["skipped"].items():
        lines.append("")
        lines.append("%s skipped: %s" % (kind, reason))
    return "\n".join(lines)


def update_readme(readme: Path, table: str) -> None:
    """Replace the text between the store-bench markers (add the section if missing)."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    block = "%s\n%s\n%s" % (MARK_START, table, MARK_END)
    if MARK_START in text and MARK_END in text:
        head, _sep, rest = text.partition(MARK_START)
        _old, _sep, tail = rest.partition(MARK_END)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n## Store throughput\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backends", default="sqlite,postgresql,postgresql-async,json")
    parser.add_argument("--writers", default="1,8,64", help="comma-separated writer counts")
    parser.add_argument("--records", type=int, default=12800, help="records per run (SQL backends)")
    parser.add_argument("--json-records", type=int, default=1280,
                        help="records per run for JSON (each write rewrites the whole file, see bench/README.md)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg-dsn", default=os.environ.get("NETRAVEN_TEST_PG_DSN", PG_DEFAULT))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "store.json"))
    parser.add_argument("--readme", default=str(ROOT / "bench" / "README.md"), help="'' to leave it alone")
    parser.add_argument("--merge", action="store_true",
                        help="keep the rows of other backends already in --out (each row keeps its own 'when')")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (1 and 4 writers, 40 records, 1 run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.writers, args.records, args.json_records, args.repeat = "1,4", 40, 40, 1
    doc = run([b.strip() for b in args.backends.split(",") if b.strip()],
              [int(w) for w in args.writers.split(",")], args.records, args.json_records, args.repeat, args.pg_dsn)
    out = Path(args.out)
    if args.merge and out.exists():
        doc = merge(json.loads(out.read_text(encoding="utf-8")), doc)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if args.readme:
        update_readme(Path(args.readme), markdown_table(doc))
    print(markdown_table(doc))
    return 1 if any(r["lost"] or r["counter_drift"] for r in doc["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
