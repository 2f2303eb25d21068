"""Fleet mode of the backup (``-e config_backup_fleet=true``) against the lab, through the real
``netraven.core.backup`` playbook: one task backs up the batch in a thread pool, then each host
the failed devices alone take a task of their own, in the playbook's last play. Checked (the batch in
two processes, then in one): the same backups, store records and report as per-host mode, the failed devices in the PLAY RECAP and the
retry file, their facts, progress lines on the console, and no canary secret anywhere at -vvvv;
then, with ``config_backup_fleet_failed_group`` emptied, a per-host step for every device (recap
and fact per host); with ``serial``, the last batch's report counting every batch's devices; then
the same variable set in the inventory only warns (per-host mode runs).
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store
from ansible_collections.netraven.core.plugins.plugin_utils._redact import redact_config

from backup_helpers import (CANARIES, CONFIG_CANARY, FAILED, OK_DEVICES, cached_facts, files_containing, lab_spec,
                            playbook_env, run_playbook, write_inventory)

pytestmark = [pytest.mark.lab, pytest.mark.slow]


SERIAL_PLAYBOOK = """
- name: Fleet mode in batches of two
  hosts: all
  connection: local
  gather_facts: false
  serial: 2
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    config_backup_fleet: true
  roles:
    - netraven.core.config_backup
  post_tasks:
    - name: Report after each batch
      ansible.builtin.import_role:
        name: netraven.core.credential_report
      run_once: true
      vars:
        credential_report_hosts: "{{ ansible_play_hosts_all }}"
"""


# The backup guide's own-playbook recipe in fleet group mode: the report with the role's default hosts (every
# inventory host) in the backup's play, the failed devices failed in a last play.
OWN_PLAYBOOK = """
- name: Back up, then report
  hosts: all
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    config_backup_fleet: true
    config_backup_fleet_failed_group: backup_failed
  tasks:
    - name: Back up, then always report
      block:
        - name: Back up
          ansible.builtin.import_role:
            name: netraven.core.config_backup
      always:
        - name: Report
          ansible.builtin.import_role:
            name: netraven.core.credential_report
          run_once: true
          delegate_to: localhost

- name: Fail the devices whose backup failed
  hosts: "{{ groups['backup_failed'] | default([]) }}"
  connection: local
  gather_facts: false
  tasks:
    - name: Fail each
      ansible.builtin.import_role:
        name: netraven.core.config_backup
        tasks_from: fleet_result
"""


def _recap(stdout: str) -> dict:
    """PLAY RECAP lines -> {host: {ok, changed, failed, ...}}."""
    return {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
            for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", stdout, re.M)}


def test_fleet_mode_backs_up_the_batch_with_per_host_results(lab, tmp_path: Path, ansible_env: dict) -> None:
    spec = lab_spec()
    running = lab(spec)
    store_url = f"sqlite:///{tmp_path / 'metrics.db'}"
    inv = write_inventory(tmp_path, running, spec, store_url)
    env = dict(playbook_env(ansible_env, tmp_path), ANSIBLE_RETRY_FILES_ENABLED="True",
               ANSIBLE_RETRY_FILES_SAVE_PATH=str(tmp_path / "retry"))

    # in two processes (config_backup_processes; automatic gives one for 3 workers): each backs up its share
    # with its own store connection; the later runs use one
    run = run_playbook(env, inv, tmp_path, "-e", "config_backup_fleet=true", "-e", "config_backup_workers=3",
                       "-e", "config_backup_processes=2", "-e", "config_backup_progress_interval=0.2", verbosity="-vvvv")
    out = run.stdout + run.stderr
    assert run.returncode == 2, out[-4000:]

    # one fleet task for the batch; only the failed devices take a task of their own (the playbook's
    # config_backup_fleet_failed_group), in the last play: they alone are in the recap and the retry file
    assert out.count("TASK [netraven.core.config_backup : Back up every device of the batch]") == 1
    assert re.search(r"netraven\.core\.fetch_config: 7/7 devices done, 3 failed in [\d.]+ s", out), out[-3000:]
    assert re.search(r'"msg": "7 device\(s\) in [\d.]+ s with 3 workers in 2 processes: 3 failed"', out), out[-3000:]
    assert "Take this device's result" not in out.split("PLAY [Fail the devices whose backup failed in fleet mode]")[0]
    batch = out.split("TASK [netraven.core.config_backup : Back up every device of the batch]")[1].split("TASK [")[0]
    assert f"changed: [{OK_DEVICES[0]} -> localhost]" in batch, batch[-2000:]  # no per-host step: the batch task shows the changes
    recap = _recap(run.stdout)
    assert sorted(recap) == sorted(["localhost", OK_DEVICES[0], *FAILED]), recap  # OK_DEVICES[0] ran the batch task
    assert recap[OK_DEVICES[0]]["failed"] == 0, recap
    assert all(recap[name]["failed"] == 1 for name in FAILED), recap
    for name, outcome in FAILED.items():
        assert f'"msg": "{outcome}: {name}: ' in out, name
    retry = (tmp_path / "retry" / "backup.retry").read_text().split()
    assert sorted(retry) == sorted(FAILED)

    # the same backups, store records and facts as per-host mode (see test_backup_playbook)
    backups = tmp_path / "backups"
    assert sorted(p.name for p in backups.glob("*.cfg")) == sorted(f"{n}.cfg" for n in OK_DEVICES)
    first = next(d for d in spec["devices"] if d["name"] == "r1-first")
    assert (backups / "r1-first.cfg").read_text() == redact_config(first["running_config_text"])
    with open_store(store_url) as store:
        stats = {s["name"]: s for s in store.credential_stats()}
        assert (stats["c-first"]["attempts"], stats["c-first"]["successes"], stats["c-first"]["failures"]) == (6, 2, 4)
        assert (stats["c-third"]["attempts"], stats["c-third"]["successes"], stats["c-third"]["failures"]) == (2, 1, 1)
        assert len(store.attempts(limit=1000)) == 14
    commit = subprocess.run(["git", "-C", str(tmp_path / "backups"), "log", "-1", "--format=%B"], capture_output=True, text=True,
                            check=True).stdout
    assert f"devices that failed in this run (their files are not in this commit): {', '.join(sorted(FAILED))}" in commit, commit
    facts = cached_facts(tmp_path / "facts")  # the failed devices' facts; the others' are in the batch result
    assert facts["r4-none"]["netraven_credential"]["outcome"] == "auth_rejected"
    assert "r3-third" not in facts
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert sorted(report["summary"]["failed_devices"]) == sorted(FAILED)
    assert sorted(report["summary"]["backed_up"]) == sorted(report["summary"]["changed"]) == sorted(OK_DEVICES)
    third = next(d for d in report["devices"] if d["name"] == "r3-third")
    assert (third["in_run"], third["outcome"]) == (True, "success"), third

    # with the group emptied, every device takes its own result: a per-host recap and each host's fact;
    # learned order (read for the whole batch at once) tries each device's last working credential first
    each = run_playbook(env, inv, tmp_path, "-e", "config_backup_fleet=true", "-e", "config_backup_fleet_failed_group=")
    with open_store(store_url) as store:
        assert [a["credential"] for a in store.attempts(device="r3-third", limit=4)] == ["c-third", "c-third", "c-second", "c-first"]
        assert [a["credential"] for a in store.attempts(device="r2-second", limit=3)] == ["c-second", "c-second", "c-first"]
    recap = _recap(each.stdout)
    assert each.returncode == 2, (each.stdout + each.stderr)[-4000:]
    assert all(recap[name]["failed"] == 0 for name in OK_DEVICES), recap
    assert all(recap[name]["failed"] == 1 for name in FAILED), recap
    assert sorted((tmp_path / "retry" / "backup.retry").read_text().split()) == sorted(FAILED)
    assert cached_facts(tmp_path / "facts")["r3-third"]["netraven_credential"]["name"] == "c-third"
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert sorted(report["summary"]["backed_up"]) == sorted(OK_DEVICES) and report["summary"]["changed"] == []

    # serial (the per-host step, as backup.rst says): the last batch's report still counts the earlier batches'
    # devices (from their facts; the registered batch result is the last batch's)
    (tmp_path / "serial.yml").write_text(SERIAL_PLAYBOOK)
    serial = subprocess.run([str(Path(run.args[0])), "serial.yml", "-i", str(inv), "--limit", ",".join(OK_DEVICES),
                             "-e", f"config_backup_dir={tmp_path / 'serial-backups'}", "-e", f"credential_report_dir={tmp_path / 'serial'}"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert serial.returncode == 0, serial.stdout[-3000:]
    assert serial.stdout.count("TASK [netraven.core.config_backup : Back up every device of the batch]") == 2
    report = json.loads((tmp_path / "serial" / "report.json").read_text())
    assert sorted(report["summary"]["backed_up"]) == sorted(OK_DEVICES), report["summary"]

    # the own-playbook recipe in group mode under --limit without the first inventory host: the report (the role's
    # default hosts, every inventory host) finds the batch result on its own host, not on the first report host
    (tmp_path / "own.yml").write_text(OWN_PLAYBOOK)
    limited = sorted(OK_DEVICES)[1:] + ["r4-none"]
    own = subprocess.run([str(Path(run.args[0])), "own.yml", "-i", str(inv), "--limit", ",".join(limited),
                          "-e", f"config_backup_dir={tmp_path / 'own-backups'}", "-e", f"credential_report_dir={tmp_path / 'own'}"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert own.returncode == 2, own.stdout[-3000:]
    summary = json.loads((tmp_path / "own" / "report.json").read_text())["summary"]
    # (the devices outside the limit count from their cached facts of the runs before: the role's default hosts)
    assert summary["changed"] == sorted(OK_DEVICES)[1:], summary  # a new folder: every backup of the batch is new
    assert "r4-none" in summary["failed_devices"], summary

    # a first host with its own ansible_connection: the batch task runs on the controller all the same
    (inv / "host_vars").mkdir(exist_ok=True)
    (inv / "host_vars" / "r1-first.yml").write_text("ansible_connection: ansible.builtin.ssh\n")
    ssh_first = run_playbook(env, inv, tmp_path, "-e", "config_backup_fleet=true", "--limit", ",".join(OK_DEVICES))
    (inv / "host_vars" / "r1-first.yml").unlink()
    assert ssh_first.returncode == 0, ssh_first.stdout[-3000:]
    assert re.search(r"fetch_config: 4/4 devices done, 0 failed", ssh_first.stdout), ssh_first.stdout[-3000:]

    needles = list(CANARIES.values()) + [CONFIG_CANARY]
    assert not [n for n in needles if n in out]
    for folder in ("backups", "facts", "report"):
        assert files_containing(tmp_path / folder, needles) == []

    # config_backup_fleet in the inventory cannot pick the task list: per-host mode, with a warning
    group_vars = inv / "group_vars" / "all.yml"
    data = yaml.safe_load(group_vars.read_text())
    data["config_backup_fleet"] = True
    group_vars.write_text(yaml.safe_dump(data))
    again = run_playbook(env, inv, tmp_path, "--limit", "r1-first,localhost")
    assert again.returncode == 0, again.stdout[-3000:]
    assert "Back up every device of the batch" not in again.stdout
    assert "config_backup_fleet is true for this host but the role runs per host" in " ".join((again.stdout + again.stderr).split())
