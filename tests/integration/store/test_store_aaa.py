"""The AAA guard's admission in the metrics store (issue 17), on SQLite, JSON and PostgreSQL:
the budget rule, proven accounts, the window, dead reservations, and atomic admission across
processes."""
from __future__ import annotations

import multiprocessing
import os
import socket

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _aaa_guard as guard
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms

ACCOUNT = "netops@tacacs-prod"
STIG = guard.Policy()  # threshold 3, headroom 1: at most 1 in flight while unproven, none after one failure
HOLDER = guard.owner()


def admit(store, policy=STIG, device="r1") -> dict:
    return store.aaa_admit(ACCOUNT, policy, HOLDER, device, "tacacs")


def test_an_unproven_account_gets_its_budget_and_no_more(store_url: str) -> None:
    with ms.open_store(store_url) as store:
        first = admit(store)
        assert first["admitted"] and first["id"] is not None and not first["proven"] and first["budget"] == 1
        second = admit(store)
        assert not second["admitted"] and second["id"] is None and second["in_flight"] == 1
        state = store.aaa_settle(first["id"], ACCOUNT, "failure", STIG.window)
        assert state["streak"] == 1 and state["last_outcome"] == "failure" and state["max_streak"] == 1
        assert not admit(store)["admitted"]  # streak 1 = threshold - 1 - headroom: nothing more until a login
        wider = guard.Policy(lockout_threshold=5)  # limit 3: with streak 1, two in flight
        assert [admit(store, wider)["admitted"] for _attempt in range(3)] == [True, True, False]
        (row,) = store.aaa_accounts()
        assert row["account"] == ACCOUNT and row["streak"] == 1 and row["in_flight"] == 2


def test_a_proven_account_runs_at_full_concurrency_until_its_first_failure(store_url: str) -> None:
    with ms.open_store(store_url) as store:
        probe = admit(store)
        store.aaa_settle(probe["id"], ACCOUNT, "success", STIG.window)
        flights = [admit(store, device=f"r{i}") for i in range(10)]
        assert all(f["admitted"] and f["proven"] for f in flights)
        store.aaa_settle(flights[0]["id"], ACCOUNT, "failure", STIG.window)
        assert not admit(store)["admitted"]  # unproven at once; 9 still in flight
        store.aaa_settle(flights[1]["id"], ACCOUNT, "success", STIG.window)
        assert admit(store)["proven"]  # the last recorded outcome is a login again


def test_a_streak_older_than_the_window_is_forgotten(store_url: str) -> None:
    with ms.open_store(store_url) as store:
        probe = admit(store)
        store.aaa_settle(probe["id"], ACCOUNT, "failure", STIG.window)
        assert not admit(store)["admitted"]
        forgetful = guard.Policy(window=0.0)
        again = admit(store, forgetful)
        assert again["admitted"] and again["streak"] == 0


def test_reservations_of_dead_processes_expire(store_url: str) -> None:
    proc = multiprocessing.get_context("fork").Process(target=os._exit, args=(0,))
    proc.start()
    proc.join()
    with ms.open_store(store_url) as store:
        dead = {"host": socket.gethostname()[:255], "pid": proc.pid}
        assert store.aaa_admit(ACCOUNT, STIG, dead, "r1", "tacacs")["admitted"]
        assert admit(store)["admitted"]  # the dead holder's reservation was dropped
        other_host = {"host": "elsewhere.example", "pid": 1}
        store.aaa_admit("x@tacacs-prod", STIG, other_host, "r1", "tacacs")
        assert not store.aaa_admit("x@tacacs-prod", STIG, HOLDER, "r2", "tacacs")["admitted"]  # alive until its lease ends


def contender(store_url: str, barrier, results) -> None:
    store = ms.open_store(store_url)
    barrier.wait()
    results.put(store.aaa_admit(ACCOUNT, STIG, guard.owner(), f"r{os.getpid()}", "tacacs")["admitted"])
    barrier.wait()  # alive until every contender decided: a dead holder's reservation would be dropped
    store.close()


@pytest.mark.slow
def test_admission_is_atomic_across_processes(store_url: str) -> None:
    ms.open_store(store_url).close()  # schema in place before the race
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(12, timeout=60), ctx.Queue()
    procs = [ctx.Process(target=contender, args=(store_url, barrier, results)) for _process in range(12)]
    for proc in procs:
        proc.start()
    admitted = [results.get(timeout=60) for _proc in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert admitted.count(True) == 1  # budget 1, twelve processes at once
