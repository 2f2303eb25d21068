# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate N devices as a netraven.core.devices YAML source and as the same hosts in Ansible's native YAML.

Used by bench/inventory/run.py and by the integration tests (1,000 devices). Deterministic: device
``i`` always gets the same name, address, platform, tags and free fields. Every 100th hostname is
non-ASCII, every 10th address IPv6 (every 20th in ``[addr]:port`` form with port 2222).

    python bench/inventory/generate_devices.py 10000 out/devices.yml --native out/native.yml
"""
from __future__ import annotations

import argparse
from pathlib import Path

import yaml

PLATFORMS = ("cisco_ios", "arista_eos", "juniper_junos", "cisco_nxos", "cisco_xe")
SITES = ("dc1", "dc2", "branch-north", "branch-south", "lab")
ROLES = ("core", "edge", "access", "wan")


def device(i: int) -> dict:
    """The i-th generated device in the plugin's YAML source shape (name, host, port, platform, tags, free fields)."""
    name = f"kärnan-{i:05d}" if i % 100 == 99 else f"sw-{i:05d}"
    if i % 20 == 0:
        host, port = f"[2001:db8:1::{i:x}]:2222", None
    elif i % 10 == 0:
        host, port = f"2001:db8::{i:x}", 22
    else:
        host, port = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256 + 0}", 22
    site = SITES[i % len(SITES)]
    entry = {"name": name, "host": host, "platform": PLATFORMS[i % len(PLATFORMS)],
             "tags": [site, ROLES[i % len(ROLES)]], "site": site, "model": f"model-{i % 7}",
             "serial_number": f"SN{i:08d}", "description": f"generated device {i}"}
    if port is not None:
        entry["port"] = port
    return entry


def native_host(entry: dict, default_tag: str = "default") -> tuple[str, dict, list[str]]:
    """(hostname, hostvars, group names) the plugin makes from ``entry``, for the native-YAML twin."""
    host, port = entry["host"], entry.get("port", 22)
    if host.startswith("["):
        host, port = host[1:].split("]:")[0], int(host.rsplit(":", 1)[1])
    tags = entry["tags"] + [default_tag]
    hostvars = {"ansible_host": host, "ansible_port": port, "netraven_platform": entry["platform"], "netraven_tags": tags}
    for field in ("site", "model", "serial_number", "description"):
        hostvars[f"netraven_{field}"] = entry[field]
    groups = [f"tag_{t.replace('-', '_')}" for t in tags] + [f"platform_{entry['platform']}"]
    return entry["name"], hostvars, groups


def write(count: int, source: Path, native: Path | None = None) -> None:
    """Write ``count`` devices to ``source`` (``devices:`` list) and, if given, the native YAML inventory to ``native``."""
    entries = [device(i) for i in range(count)]
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(yaml.safe_dump({"devices": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if native is None:
        return
    hosts: dict[str, dict] = {}
    children: dict[str, dict] = {}
    for entry in entries:
        name, hostvars, groups = native_host(entry)
        hosts[name] = hostvars
        for group in groups:
            children.setdefault(group, {"hosts": {}})["hosts"][name] = None
    native.write_text(yaml.safe_dump({"all": {"hosts": hosts, "children": children}}, allow_unicode=True, sort_keys=False),
                      encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("source", type=Path)
    parser.add_argument("--native", type=Path)
    args = parser.parse_args()
    write(args.count, args.source, args.native)


if __name__ == "__main__":
    main()
