"""An unreachable PostgreSQL store is tried once per run, not once per open (new-user trial finding).

A listener on 127.0.0.1 accepts TCP connections and never answers, as a firewalled or hung
server does. The first open waits for the connect timeout and fails; every later open of the
same URL in this run (a worker fork's lookup, the attempt records, fleet threads) fails at once
with the same reason, without a second TCP connection; another URL is still tried.
"""
from __future__ import annotations

import contextlib
import os

from ansible_collections.netraven.core.plugins.module_utils import _connect_memo
from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store_safely

PASSWORD = "Canary-pgmemo-9f3"


def test_a_hung_server_is_tried_once_per_run(silent_server) -> None:
    server = silent_server
    url = f"postgresql://netraven:{PASSWORD}@127.0.0.1:{server.port}/netraven?connect_timeout=1"
    other = f"postgresql://netraven@127.0.0.1:{server.port}/other?connect_timeout=1"
    warnings: list[str] = []
    try:
        assert open_store_safely(url, warn=warnings.append) is None
        assert len(server.accepted) == 1 and "cannot connect to PostgreSQL" in warnings[-1]
        for _attempt in range(3):
            assert open_store_safely(url, warn=warnings.append) is None
        assert len(server.accepted) == 1, "a later open in the same run connected again"
        assert all("not retried for" in line for line in warnings[1:]) and len(warnings) == 4
        assert open_store_safely(other, warn=warnings.append) is None
        assert len(server.accepted) == 2  # another store is its own memo
        assert not [line for line in warnings if PASSWORD in line]
        with open(_connect_memo._path(url), encoding="utf-8") as memo:  # pylint: disable=protected-access
            assert PASSWORD not in memo.read()
    finally:
        for memo_url in (url, other):
            with contextlib.suppress(OSError):
                os.unlink(_connect_memo._path(memo_url))  # pylint: disable=protected-access


def test_the_memo_expires() -> None:
    url = "postgresql://nobody@127.0.0.1:1/expiry"
    _connect_memo.remember_failure(url, "cannot connect to PostgreSQL: refused")
    assert "refused" in _connect_memo.recent_failure(url)
    assert _connect_memo.recent_failure(url, now=9e12) is None
    os.unlink(_connect_memo._path(url))  # pylint: disable=protected-access
