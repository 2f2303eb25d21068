"""The backup playbook through ansible-runner (as AWX runs it) and the partial-output guard."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from backup_helpers import CANARIES, FAILED, cached_facts, files_containing, lab_spec, playbook_env, run_playbook, write_inventory

pytestmark = [pytest.mark.lab, pytest.mark.slow]

RUNNER_DEVICES = ("r1-first", "r4-none", "r5-down")


def test_backup_with_ansible_runner(lab, tmp_path, ansible_env, monkeypatch):
    ansible_runner = pytest.importorskip("ansible_runner")
    monkeypatch.setenv("PATH", ansible_env["PATH"])  # ansible-runner starts ansible-playbook from PATH
    spec = lab_spec()
    spec["devices"] = [d for d in spec["devices"] if d["name"] in RUNNER_DEVICES]
    running = lab(spec)
    store_url = f"sqlite:///{tmp_path / 'metrics.db'}"
    inv = write_inventory(tmp_path, running, spec, store_url)
    env = playbook_env(ansible_env, tmp_path)
    private = tmp_path / "runner"
    private.mkdir()
    result = ansible_runner.run(
        private_data_dir=str(private),
        playbook="netraven.core.backup",
        inventory=str(inv),
        envvars={k: env[k] for k in ("ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_CACHE_PLUGIN",
                                     "ANSIBLE_CACHE_PLUGIN_CONNECTION", "ANSIBLE_LOCAL_TEMP")},
        extravars={"config_backup_dir": str(tmp_path / "backups"), "credential_report_dir": str(tmp_path / "report")},
        verbosity=4,
        quiet=True,
    )
    assert result.status == "failed" and result.rc == 2
    failed = {e["event_data"]["host"]: e["event_data"]["res"].get("msg", "")
              for e in result.events if e["event"] == "runner_on_failed" and not e["event_data"].get("ignore_errors")}
    assert sorted(failed) == ["r4-none", "r5-down"]
    for name in failed:
        assert FAILED[name] in failed[name]
    assert result.stats["ok"]["r1-first"] > 0 and "r1-first" not in result.stats["failures"]
    assert (tmp_path / "backups" / "r1-first.cfg").is_file()
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["summary"]["no_credential_works"] == ["r4-none"]
    stdout = result.stdout.read()
    needles = list(CANARIES.values())
    assert [n for n in needles if n in stdout] == []
    assert files_containing(private, needles) == []  # job events and artifacts
    assert files_containing(tmp_path / "facts", needles) == []


def test_truncated_output_keeps_the_good_backup(lab, tmp_path, ansible_env):
    spec = lab_spec()
    full = Path(spec["devices"][1]["running_config"]).read_text()  # arista eos-spine1, ends with 'end'
    spec["devices"] = [
        {"name": "cut", "platform": "arista_eos", "port": "auto", "tags": ["eos"], "accept": ["c-second"],
         "running_config_text": full[: len(full) // 2]},          # no end marker
        {"name": "small", "platform": "arista_eos", "port": "auto", "tags": ["eos"], "accept": ["c-second"],
         "running_config_text": "hostname small\n!\nend\n"},  # complete but far smaller than its last backup
    ]
    running = lab(spec)
    inv = write_inventory(tmp_path, running, spec, f"sqlite:///{tmp_path / 'metrics.db'}")
    backups = tmp_path / "backups"
    backups.mkdir()
    for name in ("cut", "small"):
        (backups / f"{name}.cfg").write_text(full)
    run = run_playbook(playbook_env(ansible_env, tmp_path), inv, tmp_path, "-e", "config_backup_git=false")
    assert run.returncode == 2, run.stdout[-4000:]
    assert "partial_output: the configuration read from cut looks truncated" in run.stdout
    assert "no end marker" in run.stdout
    assert "partial_output: the configuration read from small looks truncated" in run.stdout
    assert f"previous backup {len(full)} bytes" in run.stdout
    for name in ("cut", "small"):
        assert (backups / f"{name}.cfg").read_text() == full


def test_check_mode_only_probes_the_credentials(lab, tmp_path, ansible_env):
    spec = lab_spec()
    spec["devices"] = [d for d in spec["devices"] if d["name"] in ("r2-second", "r4-none")]
    running = lab(spec)
    inv = write_inventory(tmp_path, running, spec, f"sqlite:///{tmp_path / 'metrics.db'}")
    run = run_playbook(playbook_env(ansible_env, tmp_path), inv, tmp_path, "--check")
    assert run.returncode == 2, run.stdout[-4000:]
    assert not (tmp_path / "backups").exists()
    facts = cached_facts(tmp_path / "facts")
    assert facts["r2-second"]["netraven_credential"]["outcome"] == "success"
    assert facts["r2-second"]["netraven_credential"]["attempts"] == 2
    assert facts["r4-none"]["netraven_credential"]["outcome"] == "auth_rejected"
