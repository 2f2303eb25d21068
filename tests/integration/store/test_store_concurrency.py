"""Exact counters after 64 writer processes x 200 record_attempt calls on each backend.

JSON rewrites its whole document under one lock for every write, so a write costs more as the
attempt log grows: 64 x 200 would take minutes there. The JSON case runs 64 writers x 20 calls
(1,280 records): the same lock contention, a tenth of the records (see bench/README.md).
"""
from __future__ import annotations

import multiprocessing

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms

WRITERS = 64
# Per 8 calls of one writer: 4 success, 2 auth_rejected, 1 enable_failed, 1 unreachable.
MIX = ("success", "auth_rejected", "success", "enable_failed", "success", "auth_rejected", "success", "unreachable")
CREDENTIALS = ("tacacs", "local", "legacy")


def calls_per_writer(store_url: str) -> int:
    return 20 if store_url.startswith("json:") else 200


def call(writer: int, i: int) -> tuple[str, str, str]:
    """(device, credential, outcome) of call ``i`` of ``writer``: deterministic, so totals are known."""
    return "dev-%02d-%d" % (writer, i % 3), CREDENTIALS[(writer + i) % 3], MIX[i % len(MIX)]


def writer_main(store_url: str, writer: int, calls: int, barrier) -> None:
    store = ms.open_store(store_url)
    barrier.wait()
    for i in range(calls):
        store.record_attempt(*call(writer, i), 10 + i % 7, job_id="concurrency")
    store.close()


def expected(calls: int) -> dict:
    totals: dict = {name: dict.fromkeys(("attempts", "successes", "failures", "enable_failures"), 0) for name in CREDENTIALS}
    for writer in range(WRITERS):
        for i in range(calls):
            _device, credential, outcome = call(writer, i)
            if outcome == "unreachable":
                continue
            totals[credential]["attempts"] += 1
            key = {"success": "successes", "auth_rejected": "failures", "enable_failed": "enable_failures"}[outcome]
            totals[credential][key] += 1
    return totals


@pytest.mark.slow
def test_many_writers_lose_nothing(store_url: str) -> None:
    calls = calls_per_writer(store_url)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WRITERS, timeout=120)
    procs = [ctx.Process(target=writer_main, args=(store_url, w, calls, barrier)) for w in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * WRITERS

    with ms.open_store(store_url) as store:
        stats = {s["name"]: s for s in store.credential_stats()}
        for name, want in expected(calls).items():
            got = {k: stats[name][k] for k in want}
            assert got == want, name
            assert stats[name]["success_rate"] == pytest.approx(want["successes"] / want["attempts"])
        log = store.attempts(limit=None)
        assert len(log) == WRITERS * calls
        assert len({a["id"] for a in log}) == WRITERS * calls
        assert sum(1 for a in log if a["outcome"] == "unreachable") == WRITERS * (calls // len(MIX))
        assert {a["job_id"] for a in log} == {"concurrency"}
        # every device whose writer had a success is bound to one of its successful credentials
        bindings = store.bindings()
        assert len(bindings) == WRITERS * 3
        assert store.schema_version() == ms.SCHEMA_VERSION


def opener_main(store_url: str, barrier) -> None:
    barrier.wait()
    store = ms.open_store(store_url)
    store.record_attempt("r1", "a", "success", 1)
    store.close()


@pytest.mark.parametrize("kind", ["sqlite", "json"])
def test_many_processes_create_a_new_store_at_once(kind: str, tmp_path) -> None:
    """Creating the file, switching SQLite to WAL and writing the schema race safely."""
    ctx = multiprocessing.get_context("fork")
    for round_no in range(3):
        store_url = f"{kind}://{tmp_path}/fresh-{round_no}.{kind}"
        barrier = ctx.Barrier(32, timeout=60)
        procs = [ctx.Process(target=opener_main, args=(store_url, barrier)) for _writer in range(32)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=120)
        assert [p.exitcode for p in procs] == [0] * 32
        with ms.open_store(store_url) as store:
            assert store.credential_stats()[0]["attempts"] == 32
