"""Bad input in the backup, found by a new user (second trial), through the real ``netraven.core.backup``
playbook on the lab, per host and in fleet mode:

- device names from the source of truth that hold a path (``../../escaped-dev``, ``sub/dir/dev``)
  never write outside the backup folder: those hosts fail as ``invalid_options``;
- a host whose options cannot be resolved (platform ``cisco_iso``, not a netmiko device_type)
  fails as ``invalid_options``, its fact is published, and the report counts it as failed
  (the role's rescue used to crash on a result without ``credential``, so the report said "0 failed");
- hosts of another inventory without any platform variable, or whose ``ansible_network_os`` the platform map
  does not know, fail as ``invalid_options`` with an error naming the host and the variables (issue 15);
- a fleet option out of range (``workers: 0``) fails each host of the batch with the reason (a failed
  ``run_once`` task used to drop the other hosts from the recap);
- in fleet mode with a per-host step only the host whose backup changed is ``changed`` in the
  recap (the batch task used to give the first host every other host's change), and the report
  says the same;
- a report variable out of its choices stops the backup play before any device is contacted;
- a store warning names the store's URL (it was masked as a ``no_log`` value even without a password);
- a metrics store on a PostgreSQL server that never answers costs one connect timeout per worker,
  not two per host and four more for the report, and the report is still written, from the run's facts.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from backup_helpers import CANARIES, files_containing, lab_spec, run_playbook

pytestmark = [pytest.mark.lab, pytest.mark.slow]

ESCAPING = ("../../escaped-dev", "sub/dir/dev")
TYPO = "r2-typo"
GOOD = "r1-first"
NO_PLATFORM = {  # host: what the error says (issue 15: the platform rule of hosts of any inventory)
    "r3-noplatform": "no platform: none of the host variables netraven_platform, ansible_network_os, platforms, platform is set",
    "r4-unmapped": "no platform: netraven_platform is not set and ansible_network_os 'acme.os.os' (not in the platform map)",
}
BAD = (*ESCAPING, TYPO, *NO_PLATFORM)
# Connection variables Ansible cannot template: per host, every task of the host fails before it runs (its rescue
# too, so it has no fact); the report still counts it as a failed device, as fleet mode does.
BAD_CONNECTION = "r5-badport"


def _recap(stdout: str) -> dict:
    """PLAY RECAP lines -> {host: {ok, changed, failed, ...}}."""
    return {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
            for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", stdout, re.M)}


def _inventory(folder: Path, running, spec: dict) -> Path:
    port = running.port(GOOD)
    devices = [{"name": GOOD, "host": "127.0.0.1", "port": port, "platform": "cisco_ios", "tags": ["ios"]},
               {"name": TYPO, "host": "127.0.0.1", "port": port, "platform": "cisco_iso", "tags": ["ios"]}]
    (folder / "devices.yml").write_text(yaml.safe_dump({"devices": devices}))
    inv = folder / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "lab.netraven.yml").write_text(f"plugin: netraven.core.devices\nsource: {folder / 'devices.yml'}\nduplicates: warn\n")
    # netraven.core.devices refuses such names; another inventory (Ansible's YAML one) accepts them
    (inv / "other.yml").write_text(yaml.safe_dump({"all": {"hosts": {name: {
        "ansible_host": "127.0.0.1", "ansible_port": port, "netraven_platform": "cisco_ios", "netraven_tags": ["ios"]}
        for name in ESCAPING} | {
        "r3-noplatform": {"ansible_host": "127.0.0.1", "ansible_port": port, "netraven_tags": ["ios"]},
        "r4-unmapped": {"ansible_host": "127.0.0.1", "ansible_port": port, "ansible_network_os": "acme.os.os", "netraven_tags": ["ios"]},
        BAD_CONNECTION: {"ansible_host": "127.0.0.1", "ansible_port": "notaport", "netraven_platform": "cisco_ios", "netraven_tags": ["ios"]},
    }}}))
    (inv / "group_vars" / "all.yml").write_text(yaml.safe_dump({
        "netraven_credentials": spec["credentials"],
        "config_backup_command_options": {"known_hosts_file": str(running.known_hosts)},
    }))
    return inv


def _check_failed_hosts(folder: Path, out: str) -> None:
    assert [p.name for p in (folder / "backups").rglob("*.cfg")] == [f"{GOOD}.cfg"], out[-3000:]
    assert not list(folder.parent.glob("escaped-dev*")) and not list(folder.glob("escaped-dev*"))
    for name in BAD:
        assert re.search(rf"invalid_options: {re.escape(name)}: ", out), name
    assert "r2-typo: r2-typo" not in out
    for name, problem in NO_PLATFORM.items():
        assert f"invalid_options: {name}: {problem}" in out, name
    report = json.loads((folder / "report" / "report.json").read_text())
    failed = (*BAD, BAD_CONNECTION)
    assert sorted(report["summary"]["failed_devices"]) == sorted(failed), report["summary"]
    assert {d["name"]: d["outcome"] for d in report["devices"] if d["name"] in failed} == dict.fromkeys(failed, "invalid_options")


def test_bad_names_and_options_fail_their_hosts_only(lab, silent_server, tmp_path: Path, ansible_env: dict) -> None:
    spec = lab_spec()
    spec["devices"] = [d for d in spec["devices"] if d["name"] == GOOD]
    running = lab(spec)
    inv = _inventory(tmp_path, running, spec)
    # No fact cache: Ansible's jsonfile cache itself cannot store a host named '../../escaped-dev'.
    env = dict(ansible_env, NETRAVEN_METRICS_STORE=f"sqlite:///{tmp_path / 'metrics.db'}")

    per_host = run_playbook(env, inv, tmp_path)
    out = per_host.stdout + per_host.stderr
    assert per_host.returncode == 2, out[-4000:]
    _check_failed_hosts(tmp_path, out)
    assert "object of type 'dict' has no attribute" not in out
    recap = _recap(per_host.stdout)
    assert recap[GOOD]["failed"] == 0 and all(recap[name]["failed"] == 1 for name in BAD), recap

    # fleet mode: the same refusals; only the host whose file changed is changed
    backup = tmp_path / "backups" / f"{GOOD}.cfg"
    backup.write_text(backup.read_text() + "! edited by hand\n")
    fleet = run_playbook(env, inv, tmp_path, "-e", "config_backup_fleet=true", "-e", "config_backup_fleet_failed_group=")
    out = fleet.stdout + fleet.stderr
    assert fleet.returncode == 2, out[-4000:]
    _check_failed_hosts(tmp_path, out)
    recap = _recap(fleet.stdout)
    assert recap[GOOD]["changed"] >= 1 and all(recap[name]["changed"] == 0 for name in BAD), recap
    assert json.loads((tmp_path / "report" / "report.json").read_text())["summary"]["changed"] == [GOOD]
    # and with only the failed devices taking a task (the playbook's default), the batch task shows the change and its diff
    backup.write_text(backup.read_text() + "! edited by hand\n")
    grouped = run_playbook(env, inv, tmp_path, "-e", "config_backup_fleet=true", "--diff")
    batch = grouped.stdout.split("Back up every device of the batch]")[1].split("TASK [")[0]
    assert "-! edited by hand" in batch and re.search(r"^changed: \[", batch, re.M), batch[-3000:]
    assert json.loads((tmp_path / "report" / "report.json").read_text())["summary"]["changed"] == [GOOD]
    assert "! edited by hand" not in backup.read_text()

    # a fleet option out of range fails every host of the batch with the reason, none disappears from the recap
    zero = run_playbook(env, inv, tmp_path, "-e", "config_backup_fleet=true", "-e", "config_backup_workers=0")
    recap = _recap(zero.stdout)
    assert zero.returncode == 2 and all(recap[name]["failed"] == 1 for name in (GOOD, *BAD)), zero.stdout[-3000:]
    assert f"invalid_options: {GOOD}: netraven.core.fetch_config: workers must be between 1 and 100" in zero.stdout

    # a report variable out of its choices stops the play at the start, naming it, before any device is contacted
    # (the playbook checks both roles' variables in one task)
    logins = backup.stat().st_mtime_ns
    wrong = run_playbook(env, inv, tmp_path, "-e", "credential_report_coverage_by=racks")
    assert wrong.returncode == 2 and "credential_report_coverage_by" in wrong.stdout, wrong.stdout[-3000:]
    assert "Back up the configuration" not in wrong.stdout and backup.stat().st_mtime_ns == logins

    # a store whose folder is missing: the warning names the store (a URL without a password is not masked)
    missing = f"sqlite:///{tmp_path / 'no-such-folder' / 'metrics.db'}"
    run = run_playbook(dict(env, NETRAVEN_METRICS_STORE=missing), inv, tmp_path, "-l", GOOD)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert f"metrics store {missing}: folder {tmp_path / 'no-such-folder'} does not exist" in " ".join((run.stdout + run.stderr).split())

    # a hung PostgreSQL store: the backup and its report go on
    server = silent_server
    hung = dict(env, NETRAVEN_METRICS_STORE=f"postgresql://netraven:{CANARIES['c-first']}x@127.0.0.1:{server.port}/n?connect_timeout=2")
    (tmp_path / "report" / "report.json").unlink()
    run = run_playbook(hung, inv, tmp_path)
    out = run.stdout + run.stderr
    assert run.returncode == 2, out[-4000:]
    assert backup.is_file() and (tmp_path / "report" / "report.json").is_file(), out[-3000:]
    assert 1 <= len(server.accepted) <= 5, f"{len(server.accepted)} connections for 4 hosts and a report"
    assert re.search(r"not retried for", out), out[-3000:]
    assert CANARIES["c-first"] not in out
    assert files_containing(tmp_path / "backups", CANARIES.values()) == []
