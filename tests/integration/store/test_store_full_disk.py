"""A full disk (RLIMIT_FSIZE in a child process) gives a clear error and keeps the old data.

PostgreSQL is not part of this test: its files are the server's, a client cannot fill them;
a server-side write error reaches the caller as MetricsStoreError like any other (unit tests).
"""
from __future__ import annotations

import json
import multiprocessing
import os
import resource
import signal
from pathlib import Path

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms

SEEDED = 50


def filler_main(store_url: str, folder: str, limit_bytes: int, report_fd: int) -> None:
    """Open the store, cap file sizes just above what exists, write until the store refuses."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead of killing us
    store = ms.open_store(store_url)
    biggest = max(p.stat().st_size for p in Path(folder).iterdir() if p.is_file())
    resource.setrlimit(resource.RLIMIT_FSIZE, (biggest + limit_bytes, resource.RLIM_INFINITY))
    written, error = 0, None
    try:
        for i in range(200000):
            store.record_attempt("dev-%d" % (i % 7), "local", "success", 1, message="filler %d " % i + "x" * 200)
            written += 1
    except ms.MetricsStoreError as exc:
        error = str(exc)
    os.write(report_fd, json.dumps({"written": written, "error": error}).encode())
    os._exit(0)


@pytest.mark.parametrize("kind, limit_bytes", [("sqlite", 256 * 1024), ("json", 64 * 1024)])
def test_full_disk_is_a_clear_error_and_old_data_survives(kind: str, limit_bytes: int, tmp_path: Path) -> None:
    store_url = f"{kind}://{tmp_path}/metrics.{'db' if kind == 'sqlite' else 'json'}"
    with ms.open_store(store_url) as store:
        for i in range(SEEDED):
            store.record_attempt("seed-%d" % (i % 5), "tacacs", ("success", "auth_rejected")[i % 2], 2)
        before = {s["name"]: s for s in store.credential_stats()}

    read_fd, write_fd = os.pipe()
    proc = multiprocessing.get_context("fork").Process(target=filler_main, args=(store_url, str(tmp_path), limit_bytes, write_fd))
    proc.start()
    os.close(write_fd)
    proc.join(timeout=120)
    with os.fdopen(read_fd, "rb") as pipe:
        report = json.loads(pipe.read())
    assert proc.exitcode == 0

    assert report["error"], "the size limit was never reached"
    assert report["error"].startswith(f"metrics store {store_url}: ")
    assert ("File too large" if kind == "json" else "disk full, file size limit or I/O error") in report["error"]
    assert "intact" in report["error"] or "previous contents are kept" in report["error"]
    with ms.open_store(store_url) as store:
        stats = {s["name"]: s for s in store.credential_stats()}
        assert stats["tacacs"] == before["tacacs"]
        assert stats["local"]["attempts"] == report["written"]
        assert len(store.attempts(limit=None)) == SEEDED + report["written"]
        store.record_attempt("after", "local", "success", 1)  # and it works again once there is room
    assert not (tmp_path / "metrics.json.tmp").exists()
