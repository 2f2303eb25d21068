"""The lab server process (``python -m lab _serve STATE_DIR``): serve until SIGTERM.

It reads ``STATE_DIR/lab.yml``, binds every device port, then writes ``inventory.yml``,
``known_hosts`` and finally ``state.json`` (atomically: its presence means "ready").
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from .control import pid_alive
from .server import LabServer
from .spec import load_lab


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def inventory_entry(dev: Any, port: int) -> dict[str, Any]:
    """One device as a netraven.core.devices YAML source entry."""
    entry: dict[str, Any] = {"name": dev.name, "host": dev.address, "port": port, "platform": dev.platform,
                             "tags": list(dev.tags)}
    for key, value in dev.fields:
        entry.setdefault(key, value)
    return entry


def serve(state_dir: Path, watch_pid: int | None = None) -> int:
    """Run the lab in ``state_dir`` until SIGTERM/SIGINT (or ``watch_pid`` exits). Returns 0."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    t0 = time.monotonic()
    spec = load_lab(state_dir / "lab.yml")
    server = LabServer(spec, state_dir)
    try:
        server.start()
    except OSError as exc:
        print(f"lab {spec.name}: {exc.strerror}", file=sys.stderr)
        server.stop()
        return 1
    devices = []
    known = []
    for st in server.devices:
        key = st.public_key_line()
        if key:
            known.append(f"[{st.device.address}]:{st.port} {key}")
        shown = st.device.behaviours.names() + ([f"latency_ms={st.device.latency_ms:g}"] if st.device.latency_ms else [])
        devices.append({"inventory": inventory_entry(st.device, st.port), "behaviours": shown,
                        "accept": list(st.device.accept), "enable": bool(st.device.enable_secret), "host_key": key})
    inventory = [d["inventory"] for d in devices]
    header = f"# netraven.core.devices source served by lab '{spec.name}' (pid {os.getpid()}, state {state_dir})\n"
    _atomic_write(state_dir / "inventory.yml", header + yaml.safe_dump({"devices": inventory}, sort_keys=False))
    _atomic_write(state_dir / "known_hosts", "".join(line + "\n" for line in known))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    state = {"name": spec.name, "pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "start_seconds": round(time.monotonic() - t0, 3), "devices": devices}
    _atomic_write(state_dir / "state.json", json.dumps(state, indent=1))
    while not stop.wait(0.5):
        if watch_pid and not pid_alive(watch_pid):
            break
    server.stop()
    return 0
