"""The backup as AWX runs it: ansible-runner with a private data directory, the credential set
injected into it, a *.netraven.yml inventory, AWX's JOB_ID and a PostgreSQL store."""
from __future__ import annotations

import json

import pytest

from awx_helpers import (CANARIES, STORE_CANARY, ansible_envvars, backup_extravars, credential_type_from_doc, credential_values,
                         expected_attempts, expected_credential, files_containing, lab_spec, render_injectors, write_inventory)

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.postgres]


def test_runner_job_records_job_id_and_leaks_nothing(lab, tmp_path, ansible_env, pg_dsn, monkeypatch):
    ansible_runner = pytest.importorskip("ansible_runner")
    monkeypatch.setenv("PATH", ansible_env["PATH"])  # ansible-runner starts ansible-playbook from PATH
    running = lab(lab_spec(3, name="awx-runner"))
    inventory = write_inventory(tmp_path, running)
    private = tmp_path / "private"
    inputs, injectors = credential_type_from_doc()
    injected, files = render_injectors(inputs, injectors, credential_values(pg_dsn), private)

    result = ansible_runner.run(
        private_data_dir=str(private),
        playbook="netraven.core.backup",
        inventory=str(inventory),
        envvars={**ansible_envvars(ansible_env), **injected, "JOB_ID": "4242"},
        extravars=backup_extravars(tmp_path, running),
        verbosity=4,
        quiet=True,
    )
    stdout = result.stdout.read()
    assert result.status == "successful" and result.rc == 0, stdout[-4000:]
    devices = ["d000", "d001", "d002"]
    assert sorted(h for h in result.stats["ok"] if h != "localhost") == devices
    assert not result.stats["failures"]

    with open_store(pg_dsn) as store:
        attempts = store.attempts(limit=None)
        bindings = {b["device"]: b["credential"] for b in store.bindings()}
    assert len(attempts) == sum(expected_attempts(n) for n in devices)
    assert {a["job_id"] for a in attempts} == {"4242"}
    assert bindings == {n: expected_credential(n) for n in devices}

    needles = [*CANARIES.values(), STORE_CANARY]
    assert [n for n in needles if n in stdout] == []
    events = list(result.events)
    assert len(events) > 20 and any(e["event"] == "playbook_on_stats" for e in events)
    assert [n for n in needles if n in json.dumps(events)] == []
    artifacts = private / "artifacts"
    assert any(artifacts.rglob("job_events/*.json")) and any(artifacts.rglob("command"))
    command = json.loads(next(artifacts.rglob("command")).read_text())  # runner keeps the job's whole env here
    assert command["env"]["JOB_ID"] == "4242" and command["env"]["PGPASSFILE"] == str(files["template.pgpass"])
    # Everything runner wrote (events, stdout, command + env, fact cache); the injected files hold secrets by design.
    assert files_containing(private, needles, skip=tuple(files.values())) == []
    assert files_containing(tmp_path / "backups", needles) == []
    assert files_containing(tmp_path / "report", needles) == []
