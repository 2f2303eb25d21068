"""The credential report under ``--limit`` and on its own with an inventory (issue 18, items 1, 5 and 19).

One lab of three devices (r1-first works, r2-second works, r4-none: no credential works) and one
store, shared by the module's tests; each test runs the real playbook once:

- ``netraven.core.backup -l r1-first``: only r1-first is backed up, the report is still written
  and rc is 0; the other devices are "not run in this run";
- ``-l r1-first,localhost``: the same, no ``HostVarsVars`` error;
- ``-l r4-none``: every limited host fails (rc 2), the report is written all the same;
- ``netraven.core.credential_report -i <inventory>`` on its own: works with an inventory configured,
  and a configured credential whose vault password cannot be decrypted (never attempted) is
  reported as never attempted, not as "unused for 30 days".

The console credential table says it is cumulative over every run in the store (item 19).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from lab.control import start

from backup_helpers import CANARIES, files_containing, lab_spec, playbook_env, run_playbook, write_inventory

pytestmark = [pytest.mark.lab, pytest.mark.slow]

DEVICES = ("r1-first", "r2-second", "r4-none")
VAULT_CANARY = "Canary-vaulted-9f3"
CUMULATIVE = "Credentials: cumulative over every run recorded in the metrics store"


class _Vaulted(str):
    """A string written to YAML as an ``!vault`` literal block."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Vaulted, lambda dumper, data: dumper.represent_scalar("!vault", str(data), style="|"))


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """(folder, inventory, env): a running three-device lab, its inventory and a shared SQLite store."""
    folder = tmp_path_factory.mktemp("limit")
    spec = lab_spec()
    spec["devices"] = [d for d in spec["devices"] if d["name"] in DEVICES]
    running = start(spec, state_dir=folder / "lab", watch_pid=os.getpid())
    try:
        inv = write_inventory(folder, running, spec, f"sqlite:///{folder / 'metrics.db'}")
        group_vars = inv / "group_vars" / "all.yml"
        data = yaml.safe_load(group_vars.read_text())
        # Encrypted with a vault password this run never has: it can never be decrypted, so never attempted.
        secret = VaultLib([("default", VaultSecret(b"not-the-vault-password"))]).encrypt(VAULT_CANARY).decode()
        data["netraven_credentials"].append({"name": "c-vaulted", "username": "vaulted", "password": _Vaulted(secret),
                                             "priority": 50, "tags": ["nowhere"]})
        group_vars.write_text(yaml.dump(data, Dumper=_Dumper, sort_keys=False))
        env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
               "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_LOCAL_TEMP": str(folder / "ansible-local")}
        env.pop("NETRAVEN_METRICS_STORE", None)
        yield folder, inv, playbook_env(env, folder)
    finally:
        running.stop()


def _report(folder: Path) -> dict:
    return json.loads((folder / "report" / "report.json").read_text())


def _devices(report: dict) -> dict:
    return {d["name"]: d for d in report["devices"]}


@pytest.mark.parametrize("limit", ["r1-first", "r1-first,localhost"])
def test_limited_backup_writes_the_report(limited, limit):
    folder, inv, env = limited
    (folder / "report" / "report.json").unlink(missing_ok=True)
    run = run_playbook(env, inv, folder, "-l", limit)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "HostVarsVars" not in out
    report = _report(folder)
    devices = _devices(report)
    assert devices["r1-first"]["outcome"] == "success" and devices["r1-first"]["in_run"] is True
    for name in ("r2-second", "r4-none"):  # in the inventory, outside the limit: not run, not failed
        assert devices.get(name, {"in_run": False, "flags": []})["in_run"] is False
        assert "failed" not in devices.get(name, {"flags": []})["flags"]
    assert report["summary"]["failed_devices"] == [] and report["summary"]["backed_up"] == ["r1-first"]
    rows = {r["name"]: r["devices"] for r in report["coverage"]["rows"]}
    assert rows["eos"] == 1 and rows["default"] == 3  # tags of the whole inventory, not only the limit
    assert (folder / "report" / "report.md").is_file() and (folder / "report" / "report.html").is_file()
    assert "not run in this run" in (folder / "report" / "report.md").read_text()
    assert CUMULATIVE in out  # item 19: the console table says what it counts


def test_limit_where_every_host_fails_still_reports(limited):
    folder, inv, env = limited
    (folder / "report" / "report.json").unlink(missing_ok=True)
    run = run_playbook(env, inv, folder, "-l", "r4-none")
    assert run.returncode == 2, (run.stdout + run.stderr)[-4000:]
    devices = _devices(_report(folder))
    assert devices["r4-none"]["outcome"] == "auth_rejected"
    assert devices["r4-none"]["flags"] == ["no_credential_works", "failed"]
    assert devices["r1-first"]["in_run"] is False


def test_standalone_report_with_an_inventory(limited):
    folder, inv, env = limited
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.credential_report", "-i", str(inv),
           "-e", f"credential_report_dir={folder / 'standalone'}"]
    run = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    report = json.loads((folder / "standalone" / "report.json").read_text())
    creds = {c["name"]: c for c in report["credentials"]}
    assert creds["c-vaulted"]["flags"] == ["never_attempted"]  # item 5: not "unused for 30 days"
    assert "c-vaulted" not in report["summary"]["unused"]
    assert CUMULATIVE in out
    needles = list(CANARIES.values()) + [VAULT_CANARY]
    assert [n for n in needles if n in out] == []
    assert files_containing(folder / "standalone", needles) == []
