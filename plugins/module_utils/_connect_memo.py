# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A failed connection to a metrics store server, remembered for the rest of one playbook run.

An unreachable PostgreSQL server costs its connect timeout (10 s) on every open; a backup opens
the store for each host twice (the credentials lookup, the attempt records), so 100 hosts would
wait about half an hour for nothing. The first failure is written to a small file in the
temporary folder, named for the user, the run and the URL; later opens in the same run (every
worker fork and fleet-mode thread) read it and fail at once with the same reason, until
``MEMO_S`` seconds have passed.

The run is the ansible-playbook process (``_metrics_store.run_pid``), so two runs never share a
memo. The file holds a time and the reason (already without the URL's password), never a secret.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import run_pid

MEMO_S = 120.0
"""Seconds a failed connection is not retried within one run."""


def _path(url: str) -> str:
    """The memo file of ``url`` for this user and run."""
    digest = hashlib.sha256(url.encode("utf-8", "replace")).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), "netraven-store-down-%d-%d-%s" % (os.getuid(), run_pid(), digest))


def recent_failure(url: str, now: float | None = None) -> str | None:
    """The reason ``url`` failed to connect earlier in this run (within ``MEMO_S`` seconds), or None."""
    try:
        with open(_path(url), encoding="utf-8") as memo:
            stamp, _sep, reason = memo.read().partition("\n")
        age = (time.time() if now is None else now) - float(stamp)
    except (OSError, ValueError):
        return None
    if not 0 <= age < MEMO_S:
        return None
    return "%s (failed %.0f s ago in this run; not retried for %.0f s)" % (reason, age, MEMO_S)


def remember_failure(url: str, reason: str) -> None:
    """Note that ``url`` could not be connected to, with ``reason`` (no secret in it). Never raises."""
    path = _path(url)
    try:
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".netraven-memo-")
        with os.fdopen(fd, "w", encoding="utf-8") as memo:
            memo.write("%f\n%s" % (time.time(), reason))
        os.replace(temp, path)
    except OSError:
        pass
