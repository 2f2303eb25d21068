# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The baseline of P6a, P6b and P7 (bench/README.md): a raw netmiko thread pool, as a script.

What a user would write without Ansible: ``ThreadPoolExecutor(workers)`` over the devices, each
job ``netmiko.ConnectHandler`` (one credential, the one that works) + ``send_command('show
running-config')`` + ``disconnect()``. No checks, no redaction, no files, no metrics store.

    .venv/bin/python bench/raw_pool.py DEVICES.json WORKERS

``DEVICES.json``: ``{"credential": {"username", "password"}, "devices": [{"name", "host", "port",
"platform"}, ...]}``. Prints one JSON line: ``{"pool_s": seconds of the pool alone (from the first
submit to the last result), "import_s": seconds to import netmiko, "devices": N, "failed": [names]}``.
The caller times the whole process too (interpreter start-up + imports + pool), so the baseline
is a command to run like ``ansible-playbook`` is. Exits 1 when a device gave no configuration.
"""
from __future__ import annotations

import concurrent.futures
import json
import sys
import time
from pathlib import Path
from typing import Any


def back_up(netmiko: Any, device: dict[str, Any], credential: dict[str, str]) -> bool:
    """Log in, read ``show running-config``, log out; True when a configuration came back."""
    conn = netmiko.ConnectHandler(device_type=device["platform"], host=device["host"], port=device["port"],
                                  username=credential["username"], password=credential["password"], use_keys=False,
                                  allow_agent=False, ssh_strict=False, system_host_keys=False)
    try:
        out = conn.send_command("show running-config")
    finally:
        conn.disconnect()
    return "hostname" in out


def run(spec: dict[str, Any], workers: int) -> dict[str, Any]:
    """Back up ``spec['devices']`` with ``workers`` threads; the result line (see the file docstring)."""
    started = time.perf_counter()
    import netmiko  # pylint: disable=import-outside-toplevel  # timed: part of what the script costs

    imported = time.perf_counter()
    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(back_up, netmiko, dev, spec["credential"]): dev["name"] for dev in spec["devices"]}
        for future in concurrent.futures.as_completed(futures):
            try:
                ok = future.result()
            except Exception:  # noqa: BLE001 - counted as a failed device; the caller raises
                ok = False
            if not ok:
                failed.append(futures[future])
    done = time.perf_counter()
    return {"pool_s": round(done - imported, 4), "import_s": round(imported - started, 4),
            "devices": len(spec["devices"]), "failed": sorted(failed)}


if __name__ == "__main__":
    result = run(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")), int(sys.argv[2]))
    print(json.dumps(result))
    sys.exit(1 if result["failed"] else 0)
