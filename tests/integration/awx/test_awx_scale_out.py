"""Scale-out as on several AWX execution nodes: two ansible-runner jobs at once on the two halves
of 100 lab devices, one PostgreSQL metrics store. Nothing lost, one binding per device, and the
credential report equals the union of both jobs."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from awx_helpers import (ansible_envvars, backup_extravars, credential_type_from_doc, credential_values, expected_attempts,
                         expected_credential, lab_spec, render_injectors, write_inventory)

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(1200)]

DEVICES = 100
FORKS = 10
JOBS = {"5001": "even", "5002": "odd"}


def _credential_union(attempt_rows: list[dict]) -> dict[str, dict[str, int]]:
    """Per credential ``{attempts, successes, failures}`` folded from attempt rows (outcomes here:
    success and auth_rejected only)."""
    out: dict[str, dict[str, int]] = {}
    for row in attempt_rows:
        figures = out.setdefault(row["credential"], {"attempts": 0, "successes": 0, "failures": 0})
        figures["attempts"] += 1
        figures["successes" if row["outcome"] == "success" else "failures"] += 1
    return out


def test_two_concurrent_jobs_share_one_postgresql_store(lab, tmp_path, ansible_env, pg_dsn, monkeypatch):
    ansible_runner = pytest.importorskip("ansible_runner")
    monkeypatch.setenv("PATH", ansible_env["PATH"])  # ansible-runner starts ansible-playbook from PATH
    running = lab(lab_spec(DEVICES, name="awx-scale"), timeout=180)
    names = [d["name"] for d in running.devices]
    assert len(names) == DEVICES
    halves = {job: names[i::2] for i, job in enumerate(JOBS)}  # disjoint, together all devices
    inputs, injectors = credential_type_from_doc()

    jobs = {}
    for job in JOBS:
        folder = tmp_path / f"job{job}"
        inventory = write_inventory(folder, running, halves[job])
        injected = render_injectors(inputs, injectors, credential_values(pg_dsn), folder / "private")[0]
        jobs[job] = ansible_runner.run_async(
            private_data_dir=str(folder / "private"),
            playbook="netraven.core.backup",
            inventory=str(inventory),
            envvars={**ansible_envvars(ansible_env), **injected, "JOB_ID": job},
            extravars=backup_extravars(folder, running),
            forks=FORKS,
            quiet=True,
        )
    for job, (thread, runner) in jobs.items():
        thread.join(timeout=900)
        assert not thread.is_alive(), f"job {job} still running"
        assert runner.status == "successful" and runner.rc == 0, (job, runner.stdout.read()[-4000:])

    with open_store(pg_dsn) as store:
        attempts = store.attempts(limit=None)
        bindings = store.bindings()
        stats = {s["name"]: s for s in store.credential_stats()}
    # 0 lost attempts: one row per login tried, each tagged with the job that made it.
    assert len(attempts) == sum(expected_attempts(n) for n in names)
    by_job = {job: [a for a in attempts if a["job_id"] == job] for job in JOBS}
    for job in JOBS:
        assert Counter(a["device"] for a in by_job[job]) == {n: expected_attempts(n) for n in halves[job]}
    spans = {job: (min(a["time"] for a in rows), max(a["time"] for a in rows)) for job, rows in by_job.items()}
    assert spans["5001"][0] < spans["5002"][1] and spans["5002"][0] < spans["5001"][1], f"jobs did not overlap: {spans}"
    # Exactly one binding per device, to the credential it accepts.
    assert sorted(b["device"] for b in bindings) == sorted(names)
    assert {b["device"]: b["credential"] for b in bindings} == {n: expected_credential(n) for n in names}

    # The counters and the report equal the union of what the two jobs logged.
    union = _credential_union(by_job["5001"] + by_job["5002"])
    assert {name: {k: stats[name][k] for k in ("attempts", "successes", "failures")} for name in stats} == union
    report_dir = tmp_path / "report-all"
    run = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.credential_report",
         "-e", f"credential_report_dir={report_dir}", "-e", "credential_report_print=false"],
        cwd=tmp_path, env={**ansible_env, "NETRAVEN_METRICS_STORE": pg_dsn}, capture_output=True, text=True,
        timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-4000:]
    report = json.loads((report_dir / "report.json").read_text())
    assert {c["name"]: {k: c[k] for k in ("attempts", "successes", "failures")} for c in report["credentials"]} == union
    assert {d["name"]: (d["credential"], d["logged_attempts"]) for d in report["devices"]} == {
        n: (expected_credential(n), expected_attempts(n)) for n in names}
    # Each job's own report saw its own run complete (run facts of its half, no failures).
    for job in JOBS:
        own = json.loads((tmp_path / f"job{job}" / "report" / "report.json").read_text())
        assert own["summary"]["failed_devices"] == []
        assert own["summary"]["run_attempts"] == sum(expected_attempts(n) for n in halves[job])
