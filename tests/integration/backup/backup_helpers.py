"""Helpers for the backup integration tests: a lab spec with canary passwords, inventory writing,
ansible-playbook runs and artefact scanning. Imported by the test modules of this folder."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
CONFIGS = REPO / "tests" / "unit" / "redact" / "configs"

# Canary secrets: login passwords and an enable secret; none may appear in any artefact.
CANARIES = {
    "c-first": "Canary-first-9f3",
    "c-second": "Canary-second-9f3",
    "c-third": "Canary-third-9f3",
    "c-enable": "Canary-enable-9f3",
}
# A running-config line with a cleartext canary: redaction must remove it from the backup.
CONFIG_CANARY = "Canary-config-9f3"


def lab_spec(lockout_for: int = 600) -> dict:
    """Seven devices: credentials work 1st/2nd/3rd, none works, unreachable, lockout, enable."""
    creds = [
        {"name": "c-first", "username": "first", "password": CANARIES["c-first"], "priority": 10, "tags": ["default"],
         "enable_secret": CANARIES["c-enable"]},
        {"name": "c-second", "username": "second", "password": CANARIES["c-second"], "priority": 20, "tags": ["default"]},
        {"name": "c-third", "username": "third", "password": CANARIES["c-third"], "priority": 30, "tags": ["default"]},
    ]
    ios_cfg = (CONFIGS / "cisco_ios_rtr2811.cfg").read_text()
    ios_cfg = ios_cfg.replace("username cisco password 7 100F0A1016141D5A5E576B",
                              "username cisco password 0 " + CONFIG_CANARY)
    devices = [
        {"name": "r1-first", "platform": "cisco_ios", "port": "auto", "tags": ["ios"], "accept": ["c-first"],
         "running_config_text": ios_cfg},
        {"name": "r2-second", "platform": "arista_eos", "port": "auto", "tags": ["eos"], "accept": ["c-second"],
         "running_config": str(CONFIGS / "arista_eos_eos-spine1.cfg")},
        {"name": "r3-third", "platform": "juniper_junos", "port": "auto", "tags": ["junos"], "accept": ["c-third"],
         "running_config": str(CONFIGS / "juniper_junos_ag3-2-mx480-set.cfg")},
        {"name": "r4-none", "platform": "cisco_ios", "port": "auto", "tags": ["ios"], "accept": [],
         "running_config": str(CONFIGS / "cisco_ios_as2border1.cfg")},
        {"name": "r5-down", "platform": "cisco_ios", "port": "auto", "tags": ["ios"], "accept": ["c-first"],
         "behaviours": ["unreachable"], "running_config": str(CONFIGS / "cisco_ios_as2border1.cfg")},
        {"name": "r6-lockout", "platform": "arista_eos", "port": "auto", "tags": ["eos"], "accept": ["c-third"],
         "behaviours": [{"lockout": {"after": 2, "for": lockout_for}}],
         "running_config": str(CONFIGS / "arista_eos_aaa.cfg")},
        {"name": "r7-enable", "platform": "cisco_xe", "port": "auto", "tags": ["ios"], "accept": ["c-first"],
         "enable_secret": CANARIES["c-enable"], "running_config": str(CONFIGS / "cisco_xe_csr1000v.cfg")},
    ]
    return {"name": "backup-it", "credentials": creds, "devices": devices}


OK_DEVICES = ["r1-first", "r2-second", "r3-third", "r7-enable"]
FAILED = {"r4-none": "auth_rejected", "r5-down": "unreachable", "r6-lockout": "locked_out"}


def write_inventory(folder: Path, running_lab, spec: dict, store_url: str) -> Path:
    """An inventory folder: a netraven.core.devices config over a device file, and group_vars."""
    inv = folder / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    devices = [{"name": d["name"], "host": "127.0.0.1", "port": running_lab.port(d["name"]),
                "platform": d["platform"], "tags": d["tags"]} for d in spec["devices"]]
    (folder / "devices.yml").write_text(yaml.safe_dump({"devices": devices}))
    (inv / "lab.netraven.yml").write_text(f"plugin: netraven.core.devices\nsource: {folder / 'devices.yml'}\n")
    (inv / "group_vars" / "all.yml").write_text(yaml.safe_dump({
        "netraven_credentials": spec["credentials"],
        "netraven_metrics_store": store_url,
        "config_backup_command_options": {"enable": True, "known_hosts_file": str(running_lab.known_hosts)},
    }))
    return inv


def playbook_env(base_env: dict, folder: Path) -> dict:
    """ansible_env plus a jsonfile fact cache under ``folder/facts``."""
    env = dict(base_env)
    env["ANSIBLE_CACHE_PLUGIN"] = "ansible.builtin.jsonfile"
    env["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = str(folder / "facts")
    env["ANSIBLE_CACHE_PLUGIN_TIMEOUT"] = "86400"
    return env


def run_playbook(env: dict, inv: Path, folder: Path, *extra: str, verbosity: str = "") -> subprocess.CompletedProcess:
    """``ansible-playbook netraven.core.backup`` with backups/reports under ``folder``."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.backup", "-i", str(inv),
           "-e", f"config_backup_dir={folder / 'backups'}", "-e", f"credential_report_dir={folder / 'report'}",
           "-e", "config_backup_git=true", *extra]
    if verbosity:
        cmd.append(verbosity)
    return subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False)


def files_containing(root: Path, needles) -> list[str]:
    """Every file under ``root`` (recursively, binary-safe) that contains one of ``needles``."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}: {n}" for n in needles if n.encode() in data]
    return hits


def cached_facts(folder: Path) -> dict:
    """``{host: facts}`` of a jsonfile fact cache, read with Ansible's own cache plugin."""
    from ansible.plugins.loader import cache_loader  # pylint: disable=import-outside-toplevel  # the root conftest set up the loader
    cache = cache_loader.get("ansible.builtin.jsonfile", _uri=str(folder), _prefix="", _timeout=0)
    return {host: dict(cache.get(host)) for host in cache.keys()}
