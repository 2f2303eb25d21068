"""Per-device authentication log: one JSON object per line in ``<state>/auth/<device>.jsonl``.

Each record: ``time`` (UTC ISO-8601, microseconds), ``device``, ``username``, ``method``
(``password``, ``keyboard-interactive``, ``publickey`` or ``enable`` for enable-secret checks),
``accepted`` (bool), ``credential`` (the name of the world credential whose secret was presented,
or None when it matches none; never the secret itself), ``peer`` (client ``host:port``) and, when
it applies, ``reason`` (``locked``, ``wrong_secret``, ``not_accepted``, ``method_not_allowed``) and ``disconnected``
(True when the device closes the connection after this failure: ``disconnect_after_failed_auth`` or
``max_auth_tries`` reached); always ``connection`` (the number of the SSH connection to the device, 1, 2, ...
in the order accepted: two records with the same number were on one connection).
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def utc_now() -> str:
    """Current UTC time as ISO-8601 with microseconds and ``+00:00``."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class AuthLog:
    """Append-only, thread-safe JSONL writer for one device (flushed after every record)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: Any = None          # opened at the first record: idle devices hold no file
        self._lock = threading.Lock()

    def record(self, **fields: Any) -> dict[str, Any]:
        """Write one record (``time`` is added first) and return it."""
        rec = {"time": utc_now(), **fields}
        line = json.dumps(rec, sort_keys=False) + "\n"
        with self._lock:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "a", encoding="utf-8")  # pylint: disable=consider-using-with
            self._fh.write(line)
            self._fh.flush()
        return rec

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


def read_auth_log(path: Path) -> list[dict[str, Any]]:
    """All records of one device's log, oldest first ([] when the file does not exist)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]
