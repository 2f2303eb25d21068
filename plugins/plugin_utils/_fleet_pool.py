# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet mode's pool: one job per device in a bounded thread pool, in one process or in several.

Read top to bottom:

- ``process_count``: how many processes a fleet task uses (the option ``processes``; 0 = one per
  ``THREADS_PER_PROCESS`` workers, at most one per CPU, at least ``DEVICES_PER_PROCESS`` devices each);
- ``deal``, ``split_workers``: the devices dealt to the processes, and the workers (threads) shared
  among them so that they add up to ``workers``;
- ``run_threads``: the jobs of one process in a pool of threads; the calling thread writes the
  attempts the jobs queue (the metrics store is used from one thread) and takes their results;
- ``run_processes``: one forked child per share, each running its share (``run_threads``) and
  sending each device's result to the parent as it ends, so progress stays live.

Why processes: a thread pool runs Python in one process under one GIL, and fleet mode's Python
work per device (netmiko and paramiko's own Python, the checks, redaction, the write, the store
record) is about 13 ms of CPU; at 100 workers one process is busy on one core while the others
idle (bench/README.md, P7). Children are forked from the worker of the fleet task after every
host's options are resolved and before any thread, socket or store connection exists in it
(nothing is open across ``fork``); each child opens its own metrics store. A child that dies
before it reports leaves its remaining devices to the caller (``run_processes`` returns what
each child did not report).
"""
from __future__ import annotations

import concurrent.futures
import functools
import os
import queue
import signal
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any, cast

THREADS_PER_PROCESS = 25
"""With ``processes: 0``, one process per this many workers (threads)."""
DEVICES_PER_PROCESS = 50
"""With ``processes: 0``, no more processes than one per this many devices (a fork costs more than it saves below it)."""

Job = Callable[[str, Any, Callable[[dict], None]], Any]
"""``job(name, item, record)``: one device's work; ``record(attempt)`` queues an attempt record."""


def process_count(requested: int, workers: int, devices: int, cpus: int | None) -> int:
    """How many processes run a fleet task of ``devices`` devices with ``workers`` threads in all.

    ``requested`` (the option ``processes``) > 0: that many, at most ``workers`` and ``devices``.
    0: one per ``THREADS_PER_PROCESS`` workers, at most ``cpus`` (``os.cpu_count()``) and one per
    ``DEVICES_PER_PROCESS`` devices. Always at least 1.
    """
    if requested > 0:
        wanted = min(requested, workers, devices)  # more would leave a process without a thread or a device
    else:
        wanted = min(workers // THREADS_PER_PROCESS, cpus or 1, devices // DEVICES_PER_PROCESS)
    return max(1, wanted)


def deal(items: Sequence[Any], parts: int) -> list[list[Any]]:
    """``items`` dealt round robin into ``parts`` lists (each in the items' order), so that devices
    that sort together (a site, a slow model) are spread over the processes."""
    return [list(items[start::parts]) for start in range(parts)]


def split_workers(workers: int, parts: int) -> list[int]:
    """``workers`` threads shared by ``parts`` processes: as even as can be, adding up to ``workers``
    (never more sessions at once than the option allows: it protects AAA servers and login lines)."""
    return [workers // parts + (1 if index < workers % parts else 0) for index in range(parts)]


def run_threads(items: Sequence[tuple[str, Any]], job: Job, *, workers: int, record: Callable[[str, dict], None],
                on_result: Callable[[str, Any], None], failed: Callable[[str, Exception], Any],
                tick: Callable[[int], None], tick_s: float) -> None:
    """Run ``job(name, item, record)`` for each ``(name, item)`` in a pool of ``workers`` threads.

    In the calling thread, until every job ended: each attempt a job queued goes to
    ``record(name, attempt)``; each ended job's value to ``on_result(name, value)`` (an exception
    raised by the job becomes ``failed(name, exc)``, so one device's bug never loses the others);
    ``tick(in_flight)`` is called at least every ``tick_s`` seconds (``in_flight``: jobs running).
    Returns when every job ended and every queued attempt was recorded.
    """
    attempts: queue.SimpleQueue = queue.SimpleQueue()
    finished: queue.SimpleQueue = queue.SimpleQueue()

    def drain() -> None:
        while True:
            try:
                name, attempt = attempts.get_nowait()
            except queue.Empty:
                return
            record(name, attempt)

    def queue_attempt(name: str, attempt: dict) -> None:
        attempts.put((name, attempt))

    def ended(name: str, future: concurrent.futures.Future) -> None:
        finished.put((name, future))

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="netraven") as pool:
        for name, item in items:
            future = pool.submit(job, name, item, functools.partial(queue_attempt, name))
            future.add_done_callback(functools.partial(ended, name))
        left = len(items)
        while left:
            drain()
            try:
                name, future = finished.get(timeout=tick_s)
                while True:
                    try:
                        value = future.result()
                    except Exception as exc:  # noqa: BLE001 - a bug for one device must not lose the others
                        value = failed(name, exc)
                    on_result(name, value)
                    left -= 1
                    name, future = finished.get_nowait()
            except queue.Empty:
                pass
            if left:
                tick(min(left, workers))
    drain()


def run_processes(shares: Sequence[Sequence[tuple[str, Any]]],
                  run_share: Callable[[Sequence[tuple[str, Any]], int, Callable[[Any], None]], None],
                  *, threads: Sequence[int], on_message: Callable[[Any], None], tick: Callable[[int], None], tick_s: float) -> dict[str, str]:
    """Fork one child per share; child ``i`` runs ``run_share(shares[i], threads[i], send)`` and exits.

    In the child, ``send(message)`` passes a picklable message to the parent, which hands it to
    ``on_message(message)`` as it comes (results as devices end: progress stays live). Messages
    ``("result", name, value)`` count a device of the share as reported. SIGTERM and SIGINT kill a
    child at once (ansible-core stops a worker by signalling its process group, children
    included). In the parent, ``tick(in_flight)`` every ``tick_s`` seconds at least while children run
    (``in_flight``: each running child's unreported devices, at most its ``threads``). Returns ``{name:
    reason}`` for the devices their child did not report (it crashed or was killed), after every
    child exited. Raises OSError when a child cannot be forked; the children forked before it run
    their shares to the end, unread (the task fails).
    """
    children: list[tuple[int, Connection, list[str], int]] = []
    for share, share_threads in zip(shares, threads):
        reader, writer = Pipe(duplex=False)
        pid = os.fork()
        if pid == 0:  # the child: run the share, report, exit without returning into ansible-core
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                reader.close()
                for _pid, other, _names, _threads in children:
                    other.close()
                run_share(share, share_threads, writer.send)
                writer.send(("end",))
                code = 0
            except BaseException as exc:  # noqa: BLE001 - report the class only: a message could quote anything
                try:
                    writer.send(("crash", type(exc).__name__))
                except BaseException:  # noqa: BLE001 - the parent sees the pipe close
                    pass
            finally:
                os._exit(code)  # pylint: disable=protected-access
        writer.close()
        children.append((pid, reader, [name for name, _item in share], share_threads))

    unreported = {reader: set(names) for _pid, reader, names, _threads in children}
    most = {reader: count for _pid, reader, _names, count in children}
    crashed: dict[Connection, str] = {}
    open_readers = [reader for _pid, reader, _names, _threads in children]
    while open_readers:
        for ready in wait(open_readers, timeout=tick_s):
            reader = cast(Connection, ready)  # wait() returns the objects it was given
            try:
                message = reader.recv()
            except (EOFError, OSError):
                open_readers.remove(reader)
                continue
            if message[0] == "result":
                unreported[reader].discard(message[1])
            elif message[0] == "crash":
                crashed[reader] = message[1]
            on_message(message)
        in_flight = sum(min(len(unreported[reader]), most[reader]) for reader in open_readers)
        if in_flight:  # none left: the caller shows its final line
            tick(in_flight)
    for pid, reader, _names, _threads in children:
        reader.close()
        os.waitpid(pid, 0)
    missing: dict[str, str] = {}
    for _pid, reader, names, _threads in children:
        reason = f"its fleet process ended ({crashed[reader]}) before it reported" if reader in crashed else \
            "its fleet process ended before it reported"
        missing.update({name: reason for name in names if name in unreported[reader]})
    return missing
