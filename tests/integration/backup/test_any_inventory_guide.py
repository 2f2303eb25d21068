"""The NetBox example of the guide docs/docsite/rst/any_inventory.rst, run as written on the lab (issue 15,
"Credentials for hosts of any inventory").

The guide's files are read from the guide itself (YAML blocks found by their file-name comment):
``inventory/netbox_snapshot.yml`` (nb_inventory's output, as ``ansible-inventory --list --yaml`` prints it)
and ``inventory/group_vars/all/netraven.yml`` are written as shown; only the documentation addresses and
port 22 are replaced by the lab's address and ports. The vault file the guide names is written in plain
text with the lab's passwords (canaries). The nb_inventory source file is checked to be what
``netbox.netbox.nb_inventory`` reads (plugin name, options), not run: there is no NetBox here.

One small lab of three devices (one per platform source: slug, ansible_network_os, netraven_platform_map);
each accepts only the credential its tags select first, and ``break-glass`` (tag default) works nowhere,
so a host read with the wrong tags or platform fails. Then the real ``ansible-playbook
netraven.core.backup`` runs, and the guide's ``ansible ... output='tags'`` command shows each host's tags.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store
from ansible_collections.netraven.core.plugins.plugin_utils._redact import redact_config

from backup_helpers import CONFIGS, files_containing, playbook_env

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
GUIDE = REPO / "docs" / "docsite" / "rst" / "any_inventory.rst"
PASSWORDS = {"ios-admin": "Canary-nbios-9f3", "juniper-admin": "Canary-nbjun-9f3", "nyc-local": "Canary-nbnyc-9f3",
             "break-glass": "Canary-nbbrk-9f3"}
DEVICES = {  # name: (lab platform, credential it accepts, config served)
    "nyc-rtr-01": ("cisco_ios", "ios-admin", "cisco_ios_rtr2811.cfg"),
    "nyc-spine-01": ("arista_eos", "nyc-local", "arista_eos_eos-spine1.cfg"),
    "lon-core-01": ("juniper_junos", "juniper-admin", "juniper_junos_ag3-2-mx480-set.cfg"),
}
# The guide's table: the tags each device gets, and the credentials it is matched with, in order.
TAGS = {
    "nyc-rtr-01": {"cisco", "sites_nyc", "device_roles_edge", "default"},
    "nyc-spine-01": {"sites_nyc", "device_roles_spine", "default"},
    "lon-core-01": {"juniper", "sites_lon", "device_roles_core", "default"},
}


def guide_files() -> dict[str, str]:
    """{file name from the first comment line: YAML text} of the guide's ``code-block:: yaml`` blocks."""
    files = {}
    for match in re.finditer(r"^( *)\.\. code-block:: yaml\n((?:\1 +.*\n|\s*\n)+)", GUIDE.read_text(), re.M):
        body = match.group(2)
        indent = min(len(line) - len(line.lstrip()) for line in body.splitlines() if line.strip())
        text = "\n".join(line[indent:] for line in body.splitlines()).strip() + "\n"
        first = text.splitlines()[0]
        if first.startswith("# "):
            files[first[2:].strip()] = text
    return files


def test_guide_netbox_example_backs_up_with_tag_matched_credentials(lab, tmp_path, ansible_env):
    files = guide_files()
    source = yaml.safe_load(files["inventory/netbox.nb_inventory.yml"])
    assert source["plugin"] == "netbox.netbox.nb_inventory"
    assert set(source) <= {"plugin", "api_endpoint", "group_by", "config_context", "flatten_config_context", "device_query_filters"}

    spec = {"name": "any-inventory", "credentials": [
        {"name": name, "username": name, "password": password, "tags": ["default"]} for name, password in PASSWORDS.items()],
        "devices": [{"name": name, "platform": platform, "port": "auto", "accept": [accepted],
                     "running_config": str(CONFIGS / config)} for name, (platform, accepted, config) in DEVICES.items()]}
    running = lab(spec)

    snapshot = yaml.safe_load(files["inventory/netbox_snapshot.yml"])
    for group in snapshot["all"]["children"].values():
        for name, host_vars in group["hosts"].items():
            if host_vars:  # nb_inventory's host variables (a host's later groups list it without them)
                assert host_vars["ansible_port"] == 22 and host_vars["ansible_host"] == host_vars["primary_ip4"]
                host_vars.update(ansible_host=running.address(name), primary_ip4=running.address(name),
                                 ansible_port=running.port(name))
    inv = tmp_path / "inventory"
    (inv / "group_vars" / "all").mkdir(parents=True)
    (inv / "netbox_snapshot.yml").write_text(yaml.safe_dump(snapshot))
    (inv / "group_vars" / "all" / "netraven.yml").write_text(files["inventory/group_vars/all/netraven.yml"])
    (inv / "group_vars" / "all" / "vault.yml").write_text(yaml.safe_dump(
        {f"vault_{name.replace('-', '_')}_password": password for name, password in PASSWORDS.items()}))
    (tmp_path / "known_hosts").write_text(Path(running.known_hosts).read_text())
    store_url = f"sqlite:///{tmp_path / 'metrics.db'}"
    env = playbook_env(ansible_env, tmp_path)
    env["NETRAVEN_METRICS_STORE"] = store_url

    # The guide's check of each host's tags (run for all three hosts; -o: one line per host, with its result as JSON).
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "ansible"), "all", "-i", str(inv), "-o", "-m", "ansible.builtin.debug", "-a",
         "msg={{ query('netraven.core.credentials', inventory_hostname, output='tags')[0] }}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr[-3000:]
    results = {m.group(1): json.loads(m.group(2)) for m in re.finditer(r"^(\S+) \| SUCCESS => (\{.*\})$", shown.stdout, re.M)}
    assert {name: set(result["msg"]) for name, result in results.items()} == TAGS, shown.stdout
    assert "have no netraven_tags" not in shown.stderr

    play = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.backup", "-i", str(inv),
         "-e", f"config_backup_dir={tmp_path / 'backups'}", "-e", f"credential_report_dir={tmp_path / 'report'}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = play.stdout + play.stderr
    assert play.returncode == 0, out[-5000:]
    assert "have no netraven_tags" not in out and "invalid_options" not in out

    backups = tmp_path / "backups"
    for name, (_platform, _accepted, config) in DEVICES.items():
        assert (backups / f"{name}.cfg").read_text() == redact_config((CONFIGS / config).read_text()), name
    with open_store(store_url) as store:
        tried = {}
        for attempt in sorted(store.attempts(limit=100), key=lambda a: a["id"] if "id" in a else 0):
            tried.setdefault(attempt["device"], []).append((attempt["credential"], attempt["outcome"]))
        accepted = {name: device[1] for name, device in DEVICES.items()}
        assert tried == {name: [(credential, "success")] for name, credential in accepted.items()}
        assert {b["device"]: b["credential"] for b in store.bindings()} == accepted

    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["coverage"]["by"] == "tags"
    assert {row["name"] for row in report["coverage"]["rows"]} == set().union(*TAGS.values())
    for artefacts in (backups, tmp_path / "report", tmp_path / "facts"):
        assert files_containing(artefacts, list(PASSWORDS.values())) == [], artefacts
    assert not any(password.encode() in (tmp_path / "metrics.db").read_bytes() for password in PASSWORDS.values())
    assert not any(password in out for password in PASSWORDS.values())
