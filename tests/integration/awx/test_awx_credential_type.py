"""The "NetRaven credential set" credential type of docs/docsite/rst/awx.rst, rendered as AWX renders it, drives a
real backup: the injected file is the only credential source, the store URL comes from the env."""
from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from awx_helpers import (CANARIES, DECOY_CANARY, STORE_CANARY, credential_type_from_doc, credential_values, expected_attempts,
                         expected_credential, files_containing, lab_spec, render_injectors, write_inventory)

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store


def test_doc_type_is_a_valid_awx_definition():
    inputs, injectors = credential_type_from_doc()
    fields = {f["id"]: f for f in inputs["fields"]}
    assert set(inputs["required"]) <= set(fields)
    assert fields["credentials_yaml"]["secret"] and fields["credentials_yaml"]["multiline"]
    assert fields["metrics_store_password"]["secret"]
    assert not fields["metrics_store"].get("secret")  # shown in the job's environment: no password in it
    assert all(f["type"] in ("string", "boolean") and f["label"] for f in fields.values())
    assert set(injectors) == {"file", "env"}
    assert all(label.startswith("template.") for label in injectors["file"])
    # No secret field is rendered into an environment variable (env ends up in runner artifacts).
    secret_ids = [name for name, f in fields.items() if f.get("secret")]
    assert [t for t in injectors["env"].values() if any(s in t for s in secret_ids)] == []


def test_injector_files_are_owner_only_and_escaped(tmp_path):
    inputs, injectors = credential_type_from_doc()
    values = {"credentials_yaml": "- {name: a, username: u, password: p, tags: [default]}\n",
              "metrics_store": "postgresql://netraven@db:5432/netraven", "metrics_store_password": "a:b\\c"}
    env, files = render_injectors(inputs, injectors, values, tmp_path)
    assert env["NETRAVEN_CREDENTIALS_FILE"] == str(files["template.credentials"])
    assert env["PGPASSFILE"] == str(files["template.pgpass"])
    assert env["NETRAVEN_METRICS_STORE"] == "postgresql://netraven@db:5432/netraven"
    for path in files.values():
        assert path.parent == tmp_path / "env"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert files["template.pgpass"].read_text() == "*:*:*:*:a\\:b\\\\c\n"
    assert yaml.safe_load(files["template.credentials"].read_text())[0]["name"] == "a"

    del values["metrics_store_password"]
    files = render_injectors(inputs, injectors, values, tmp_path / "nopw")[1]
    assert files["template.pgpass"].read_text() == ""
    with pytest.raises(ValueError, match="credentials_yaml"):
        render_injectors(inputs, injectors, {"metrics_store": "none"}, tmp_path / "missing")
    with pytest.raises(ValueError, match="ANSIBLE_CONFIG"):
        render_injectors(inputs, {"env": {"ANSIBLE_CONFIG": "x"}}, values, tmp_path / "refused")


@pytest.mark.lab
@pytest.mark.slow
def test_backup_with_injected_credential_set(lab, tmp_path, ansible_env):
    running = lab(lab_spec(3, name="awx-cred"))
    decoy = [{"name": "decoy", "username": "decoy", "password": DECOY_CANARY, "priority": 1, "tags": ["default"]}]
    inventory = write_inventory(tmp_path, running, extra_vars={"netraven_credentials": decoy})
    store_url = f"sqlite:///{tmp_path / 'metrics.db'}"

    inputs, injectors = credential_type_from_doc()
    injected, files = render_injectors(inputs, injectors, credential_values(store_url), tmp_path / "private")
    env = {**ansible_env, **injected}
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.backup", "-i", str(inventory),
           "-e", f"config_backup_dir={tmp_path / 'backups'}", "-e", f"credential_report_dir={tmp_path / 'report'}",
           "-e", json.dumps({"config_backup_command_options": {"known_hosts_file": str(running.known_hosts)}})]
    run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]

    devices = ["d000", "d001", "d002"]
    for name in devices:
        assert (tmp_path / "backups" / f"{name}.cfg").read_text().startswith("!\nhostname " + name)
        log = running.auth_log(name)
        assert [r["username"] for r in log if r["username"] == "decoy"] == []
        assert [r["credential"] for r in log if r["accepted"]] == [expected_credential(name)]
    with open_store(store_url) as store:
        attempts = store.attempts(limit=None)
        bindings = {b["device"]: b["credential"] for b in store.bindings()}
    assert sorted({a["credential"] for a in attempts}) == sorted(CANARIES)  # from the file, never the decoy
    assert len(attempts) == sum(expected_attempts(n) for n in devices)
    assert bindings == {n: expected_credential(n) for n in devices}
    needles = [*CANARIES.values(), STORE_CANARY, DECOY_CANARY]
    assert [n for n in needles if n in run.stdout + run.stderr] == []
    assert files_containing(tmp_path / "backups", needles) == []
    assert files_containing(tmp_path / "report", needles) == []
    assert all(f.parent == tmp_path / "private" / "env" for f in files.values())
