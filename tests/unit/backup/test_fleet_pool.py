"""Fleet mode's pool (plugins/plugin_utils/_fleet_pool.py): how many processes, how devices are dealt,
the thread pool of one process and the forked processes, with real threads, forks and pipes.

The end-to-end runs (fleet mode on the lab in one and in two processes, the same results and store
records) are in tests/integration/backup/test_backup_fleet.py.
"""
from __future__ import annotations

import os
import threading
import time

import pytest

from ansible_collections.netraven.core.plugins.plugin_utils import _fleet_pool


@pytest.mark.parametrize("requested, workers, devices, cpus, expected", [
    (0, 20, 1000, 8, 1),     # fewer than 25 workers: one process
    (0, 50, 100, 8, 2),      # one per 25 workers
    (0, 100, 1000, 2, 2),    # at most one per CPU
    (0, 100, 1000, None, 1),  # CPU count unknown: one
    (0, 100, 60, 8, 1),      # at most one per 50 devices
    (3, 100, 1000, 1, 3),    # asked for: that many, whatever the CPUs
    (8, 4, 1000, 8, 4),      # never more than the workers
    (8, 100, 5, 8, 5),       # nor the devices
    (0, 100, 0, 8, 1),       # no device: still one (nothing to fork)
])
def test_process_count(requested: int, workers: int, devices: int, cpus: int | None, expected: int) -> None:
    assert _fleet_pool.process_count(requested, workers, devices, cpus) == expected


def test_deal_spreads_neighbours_and_keeps_order() -> None:
    assert _fleet_pool.deal(list(range(7)), 3) == [[0, 3, 6], [1, 4], [2, 5]]
    assert _fleet_pool.deal([], 2) == [[], []]


@pytest.mark.parametrize("workers, parts, expected", [(4, 3, [2, 1, 1]), (75, 2, [38, 37]), (100, 4, [25] * 4), (5, 1, [5])])
def test_split_workers_adds_up_to_the_workers(workers: int, parts: int, expected: list[int]) -> None:
    assert _fleet_pool.split_workers(workers, parts) == expected
    assert sum(expected) == workers  # never more sessions at once than the option allows


def test_run_threads_records_in_the_calling_thread_and_turns_exceptions_into_results() -> None:
    caller = threading.get_ident()
    recorded: list[tuple[str, dict, bool]] = []
    results: dict[str, object] = {}
    ticks: list[int] = []

    def job(name: str, item: int, record) -> int:
        record({"n": item})
        time.sleep(0.01 * item)
        if name == "bad":
            raise ValueError("boom")
        return item * 10

    items = [("a", 1), ("b", 2), ("bad", 3), ("c", 4)]
    _fleet_pool.run_threads(items, job, workers=2,
                            record=lambda name, attempt: recorded.append((name, attempt, threading.get_ident() == caller)),
                            on_result=results.__setitem__, failed=lambda name, exc: f"failed {type(exc).__name__}",
                            tick=ticks.append, tick_s=0.005)
    assert results == {"a": 10, "b": 20, "bad": "failed ValueError", "c": 40}
    assert sorted((name, attempt["n"]) for name, attempt, _same in recorded) == [("a", 1), ("b", 2), ("bad", 3), ("c", 4)]
    assert all(same for _name, _attempt, same in recorded), "attempts are written by the calling thread only"
    assert ticks and max(ticks) <= 2 and 0 not in ticks, "no tick once every job ended (the caller shows its final line)"


def test_run_processes_forks_one_child_per_share_and_reports_as_they_end() -> None:
    parent = os.getpid()
    messages: list[tuple] = []
    ticks: list[int] = []

    def run_share(share, threads, send) -> None:
        for name, item in share:
            send(("result", name, (item, os.getpid())))
        send(("note", len(share), threads))

    missing = _fleet_pool.run_processes(_fleet_pool.deal([("a", 1), ("b", 2), ("c", 3)], 2), run_share, threads=[3, 2],
                                        on_message=messages.append, tick=ticks.append, tick_s=0.05)
    assert missing == {}
    results = {m[1]: m[2] for m in messages if m[0] == "result"}
    assert {name: value[0] for name, value in results.items()} == {"a": 1, "b": 2, "c": 3}
    pids = {value[1] for value in results.values()}
    assert len(pids) == 2 and parent not in pids, "each share ran in its own child"
    assert results["a"][1] == results["c"][1], "a and c were dealt to the same child"
    assert sorted(m[1:] for m in messages if m[0] == "note") == [(1, 2), (2, 3)], "each child got its share and its threads"
    assert 0 not in ticks
    assert ("end",) in messages


def test_a_child_that_crashes_leaves_its_unreported_devices_to_the_caller() -> None:
    messages: list[tuple] = []

    def run_share(share, _threads, send) -> None:
        name, _item = share[0]
        send(("result", name, "ok"))
        if name == "a":
            raise RuntimeError("secret-looking text that must not travel")

    missing = _fleet_pool.run_processes([[("a", 1), ("x", 2)], [("b", 3)]], run_share, threads=[1, 1], on_message=messages.append,
                                        tick=lambda _n: None, tick_s=0.05)
    assert missing == {"x": "its fleet process ended (RuntimeError) before it reported"}
    assert ("crash", "RuntimeError") in messages
    assert not any("secret-looking" in repr(m) for m in messages)


def test_a_child_killed_outright_is_reported_too() -> None:
    def run_share(share, threads, send) -> None:
        os._exit(3)  # as SIGKILL would: no message at all

    missing = _fleet_pool.run_processes([[("a", 1)]], run_share, threads=[5], on_message=lambda _m: None, tick=lambda _n: None,
                                        tick_s=0.05)
    assert missing == {"a": "its fleet process ended before it reported"}
