"""The fleet-wide AAA guard (issue 17) against the lab's simulated TACACS server, through real
ansible-playbook and ansible-runner runs.

One lab of 30 devices for the whole module; they all use the lab AAA server ``tacacs-prod``
(lockout after 3 consecutive failures of one account, on every device). Every scenario uses its
own account (username), so one scenario's lockout cannot leak into another:

- ``netops-a``: the first credential has a wrong password and no ``aaa``: the lab locks the account
  (the danger is real);
- ``netops-b``: the same with ``aaa: tacacs-prod``: never locked, streak below 3, every device
  backed up with the next credential;
- ``netops-c``: the right password, accepted on 27 devices and rejected by the AAA server on 3:
  never locked, every device backed up;
- ``netops-d`` (wrong password) and ``netops-f`` (right, refused on 3): two concurrent
  ansible-runner jobs sharing one PostgreSQL store: never locked;
- ``netops-e``, ``netops-j``: the wrong password in fleet mode (20 threads in one worker, then shared by
  two processes forked from it), metrics off (the per-run scratch store): never locked.
- ``netops-g``: proven by a run that is over (its login older than ``proven_for``), then a wrong
  password at 20 forks: one probe, never locked (break-it trial, issue 17 fixes item 1);
- ``netops-h``: locked on the lab server, then backed up with the guard: ``locked_out`` of the
  shared account moves on to the local account (item 3);
- ``netops-i``: a wrong password audited by ``credential_audit``: the devices the guard skipped are
  unknown, and the audit fails (item 4).
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import yaml

from backup_helpers import playbook_env, run_playbook
from lab.control import start

pytestmark = [pytest.mark.lab, pytest.mark.slow]

DEVICES = 30
REJECTING = {"d07", "d17", "d27"}  # the AAA server refuses netops-c here (spread out: not one wave)
THRESHOLD = 3
LOCAL_PASSWORD = "Local-aaa-7c1"
WRONG = "Rotated-away-aaa-7c1"
RETIRED_PASSWORD = "Retired-aaa-7c1"
STILL_RETIRED = {"d01", "d05", "d09"}  # the retired credential still works here


def lab_spec() -> dict:
    """30 IOS devices on AAA server tacacs-prod; a local account works everywhere."""
    creds = [{"name": "local", "username": "localadm", "password": LOCAL_PASSWORD, "tags": ["default"]},
             {"name": "retired", "username": "retired", "password": RETIRED_PASSWORD, "tags": ["default"]}]
    for user in ("netops-a", "netops-b", "netops-c", "netops-d", "netops-e", "netops-f", "netops-g", "netops-h", "netops-i",
                 "netops-j"):
        creds.append({"name": f"tacacs-{user}", "username": user, "password": f"Right-{user}-7c1", "tags": ["default"],
                      "aaa": "tacacs-prod"})
    devices = []
    for i in range(1, DEVICES + 1):
        name = f"d{i:02d}"
        accept = ["local"] + [f"tacacs-{u}" for u in ("netops-a", "netops-b", "netops-d", "netops-e", "netops-g", "netops-h",
                                                      "netops-i", "netops-j")]
        if name not in REJECTING:
            accept += ["tacacs-netops-c", "tacacs-netops-f"]
        if name in STILL_RETIRED:
            accept.append("retired")
        devices.append({"name": name, "platform": "cisco_ios", "port": "auto", "tags": ["ios"], "accept": accept,
                        "aaa": "tacacs-prod", "running_config_text": f"!\nhostname {name}\n!\nend\n"})
    return {"name": "aaa-it", "credentials": creds, "devices": devices,
            "aaa": {"tacacs-prod": {"lockout": {"after": THRESHOLD, "for": 600}}}}


@pytest.fixture(scope="module")
def aaa_lab(tmp_path_factory):
    """The module's one lab (30 devices), stopped at the end."""
    import os

    folder = tmp_path_factory.mktemp("aaa-lab")
    running = start(lab_spec(), state_dir=folder / "lab", watch_pid=os.getpid())
    yield running
    running.stop()


def write_inventory(folder: Path, running, credentials: list[dict], store_url: str, aaa: dict | None,
                    devices: int = DEVICES) -> Path:
    """An inventory folder for the first ``devices`` devices with ``credentials`` (and ``netraven_aaa``) in group_vars."""
    inv = folder / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    devices = [{"name": d["name"], "host": "127.0.0.1", "port": d["port"], "platform": "cisco_ios", "tags": ["ios"]}
               for d in running.devices[:devices]]
    (folder / "devices.yml").write_text(yaml.safe_dump({"devices": devices}))
    (inv / "lab.netraven.yml").write_text(f"plugin: netraven.core.devices\nsource: {folder / 'devices.yml'}\n")
    group_vars = {
        "netraven_credentials": credentials,
        "netraven_metrics_store": store_url,
        "config_backup_command_options": {"known_hosts_file": str(running.known_hosts)},
        "netraven_known_hosts_file": str(running.known_hosts),
    }
    if aaa is not None:
        group_vars["netraven_aaa"] = aaa
    (inv / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars))
    return inv


def credentials(user: str, password: str, guarded: bool) -> list[dict]:
    """The shared account first (priority 10), the local account second."""
    tacacs = {"name": f"tacacs-{user}", "username": user, "password": password, "priority": 10, "tags": ["default"]}
    if guarded:
        tacacs["aaa"] = "tacacs-prod"
    return [tacacs, {"name": "local", "username": "localadm", "password": LOCAL_PASSWORD, "priority": 20, "tags": ["default"]}]


GUARD = {"tacacs-prod": {"lockout_threshold": THRESHOLD, "window": 900}}


def account(running, user: str) -> dict:
    return running.aaa()["accounts"].get(f"{user}@tacacs-prod", {})


def backed_up(folder: Path) -> set[str]:
    return {p.stem for p in (folder / "backups").glob("*.cfg")}


def test_without_the_guard_the_shared_account_locks(aaa_lab, tmp_path, ansible_env):
    inv = write_inventory(tmp_path, aaa_lab, credentials("netops-a", WRONG, guarded=False),
                          f"sqlite:///{tmp_path / 'metrics.db'}", None)
    run = run_playbook(playbook_env(ansible_env, tmp_path), inv, tmp_path, "-f", "20", "-e", "config_backup_git=false")
    seen = account(aaa_lab, "netops-a")
    assert seen["locks"] >= 1 and seen["max_streak"] >= THRESHOLD, (seen, run.stdout[-3000:])


def test_with_the_guard_a_wrong_password_never_locks(aaa_lab, tmp_path, ansible_env):
    store = tmp_path / "metrics.db"
    inv = write_inventory(tmp_path, aaa_lab, credentials("netops-b", WRONG, guarded=True), f"sqlite:///{store}", GUARD)
    run = run_playbook(playbook_env(ansible_env, tmp_path), inv, tmp_path, "-f", "20", "-e", "config_backup_git=false")
    assert run.returncode == 0, run.stdout[-4000:]
    seen = account(aaa_lab, "netops-b")
    assert seen.get("locks", 0) == 0 and seen["max_streak"] < THRESHOLD, seen
    assert seen["max_streak"] <= THRESHOLD - 2  # the headroom: one failed login left for the humans
    assert backed_up(tmp_path) == {d["name"] for d in aaa_lab.devices}
    from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store
    with open_store(f"sqlite:///{store}") as opened:
        skipped = opened.attempts(outcome="aaa_budget_exhausted", limit=None)
        rejected = opened.attempts(outcome="auth_rejected", limit=None)
        stats = {row["name"]: row for row in opened.credential_stats()}
        (state,) = opened.aaa_accounts()
    assert len(rejected) == seen["failures"] and len(skipped) == DEVICES - len(rejected)
    assert stats["tacacs-netops-b"]["attempts"] == len(rejected)  # a skip is not counted against the credential
    assert state["account"] == "netops-b@tacacs-prod" and state["streak"] == len(rejected) and state["in_flight"] == 0
    report = (tmp_path / "report" / "report.md").read_text()
    row = f"| netops-b@tacacs-prod | tacacs-netops-b | {len(rejected)} / 3 | {len(rejected)} | {len(skipped)} |"
    assert row in report and "- Shared AAA accounts whose attempt budget ran out: netops-b@tacacs-prod" in report


@pytest.mark.parametrize("user, processes", [("netops-e", 1), ("netops-j", 2)])
def test_fleet_mode_without_a_metrics_store_never_locks(aaa_lab, tmp_path, ansible_env, user, processes):
    inv = write_inventory(tmp_path, aaa_lab, credentials(user, WRONG, guarded=True), "none", GUARD)
    run = run_playbook(playbook_env(ansible_env, tmp_path), inv, tmp_path, "-e", "config_backup_git=false",
                       "-e", "config_backup_fleet=true", "-e", "config_backup_workers=20", "-e", f"config_backup_processes={processes}",
                       verbosity="-v")
    assert run.returncode == 0, run.stdout[-4000:]
    assert f"with 20 workers{' in 2 processes' if processes > 1 else ''}: 0 failed" in run.stdout, run.stdout[-3000:]
    seen = account(aaa_lab, user)
    assert seen.get("locks", 0) == 0 and 1 <= seen["max_streak"] <= THRESHOLD - 2, seen
    assert backed_up(tmp_path) == {d["name"] for d in aaa_lab.devices}
    report = json.loads((tmp_path / "report" / "report.json").read_text())  # fleet mode's facts reach the report
    assert report["summary"]["aaa_budget_exhausted"] == [f"{user}@tacacs-prod"]
    assert report["summary"]["aaa_skipped_credentials"] == [f"tacacs-{user}"]
    assert (run.stdout + run.stderr).count("within this run only") == 1, run.stderr  # metrics off: said once for the run


def test_a_right_password_rejected_on_three_devices_never_locks(aaa_lab, tmp_path, ansible_env):
    inv = write_inventory(tmp_path, aaa_lab, credentials("netops-c", "Right-netops-c-7c1", guarded=True),
                          f"sqlite:///{tmp_path / 'metrics.db'}", GUARD)
    run = run_playbook(playbook_env(ansible_env, tmp_path), inv, tmp_path, "-f", "20", "-e", "config_backup_git=false")
    assert run.returncode == 0, run.stdout[-4000:]
    seen = account(aaa_lab, "netops-c")
    assert seen.get("locks", 0) == 0 and seen["max_streak"] < THRESHOLD, seen
    assert seen["successes"] >= 1
    assert backed_up(tmp_path) == {d["name"] for d in aaa_lab.devices}


@pytest.mark.postgres
@pytest.mark.parametrize("user, password", [("netops-d", WRONG), ("netops-f", "Right-netops-f-7c1")], ids=["wrong", "refused-on-3"])
def test_two_runner_jobs_sharing_postgresql_never_lock(aaa_lab, tmp_path, ansible_env, pg_dsn, monkeypatch, user, password):
    ansible_runner = pytest.importorskip("ansible_runner")
    monkeypatch.setenv("PATH", ansible_env["PATH"])  # ansible-runner starts ansible-playbook from PATH
    env = playbook_env(ansible_env, tmp_path)
    inv = write_inventory(tmp_path, aaa_lab, credentials(user, password, guarded=True), pg_dsn, GUARD)
    results: dict[int, object] = {}

    def job(n: int) -> None:
        private = tmp_path / f"runner{n}"
        private.mkdir()
        results[n] = ansible_runner.run(
            private_data_dir=str(private), playbook="netraven.core.backup", inventory=str(inv), forks=20,
            envvars={k: env[k] for k in ("ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_LOCAL_TEMP")},
            extravars={"config_backup_dir": str(tmp_path / f"backups{n}"), "credential_report_dir": str(tmp_path / f"report{n}"),
                       "config_backup_git": False},
            quiet=True,
        )

    threads = [threading.Thread(target=job, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n in (1, 2):
        assert results[n].rc == 0, results[n].stdout.read()[-4000:]
        assert {p.stem for p in (tmp_path / f"backups{n}").glob("*.cfg")} == {d["name"] for d in aaa_lab.devices}
    seen = account(aaa_lab, user)
    assert seen.get("locks", 0) == 0 and seen["max_streak"] < THRESHOLD, seen


def test_the_audit_lists_exactly_where_a_retired_credential_still_works(aaa_lab, tmp_path, ansible_env):
    from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store
    import json
    import subprocess
    import sys

    store_url = f"sqlite:///{tmp_path / 'metrics.db'}"
    creds = credentials("netops-b", WRONG, guarded=True) + [
        {"name": "retired", "username": "retired", "password": RETIRED_PASSWORD, "priority": 90, "tags": ["ios"]}]
    inv = write_inventory(tmp_path, aaa_lab, creds, store_url, GUARD, devices=10)
    with open_store(store_url) as store:  # every device learned "local" in an earlier run
        for i in range(1, 11):
            store.record_attempt(f"d{i:02d}", "local", "success", 5)
        before = store.bindings()
    run = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.credential_audit", "-i", str(inv), "-f", "10",
         "-e", "credential_audit_name=retired", "-e", f"credential_audit_dir={tmp_path / 'audit'}"],
        cwd=tmp_path, env=ansible_env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    report = json.loads((tmp_path / "audit" / "report.json").read_text())
    assert report["accepted"] == sorted(STILL_RETIRED)
    assert report["rejected"] == sorted(f"d{i:02d}" for i in range(1, 11) if f"d{i:02d}" not in STILL_RETIRED)
    assert report["unknown"] == [] and report["not_matched"] == []
    markdown = (tmp_path / "audit" / "report.md").read_text()
    assert "## Devices that still accept it (3)" in markdown and "- d05" in markdown
    assert RETIRED_PASSWORD not in run.stdout + markdown
    with open_store(store_url) as store:
        assert store.bindings() == before  # the learned bindings are untouched
        tried = store.attempts(credential="retired", limit=None)
        assert sorted(a["device"] for a in tried if a["outcome"] == "success") == sorted(STILL_RETIRED) and len(tried) == 10
        assert store.attempts(credential="tacacs-netops-b", limit=None) == []  # only the audited credential was tried


def test_a_login_from_an_earlier_run_does_not_let_a_wrong_password_out_at_full_concurrency(aaa_lab, tmp_path, ansible_env):
    import sqlite3

    store = tmp_path / "metrics.db"
    first = tmp_path / "first"
    first.mkdir()
    inv = write_inventory(first, aaa_lab, credentials("netops-g", "Right-netops-g-7c1", guarded=True), f"sqlite:///{store}",
                          GUARD, devices=20)
    run = run_playbook(playbook_env(ansible_env, first), inv, first, "-f", "20", "-e", "config_backup_git=false")
    assert run.returncode == 0 and account(aaa_lab, "netops-g")["successes"] == 20, run.stdout[-3000:]
    with sqlite3.connect(store) as db:  # that run ended two minutes ago: its logins are older than proven_for (60 s)
        db.execute("UPDATE netraven_aaa_accounts SET last_success = '2000-01-01T00:00:00.000000Z'")
    second = tmp_path / "second"
    second.mkdir()
    inv = write_inventory(second, aaa_lab, credentials("netops-g", WRONG, guarded=True), f"sqlite:///{store}", GUARD, devices=20)
    run = run_playbook(playbook_env(ansible_env, second), inv, second, "-f", "20", "-e", "config_backup_git=false")
    assert run.returncode == 0, run.stdout[-4000:]
    seen = account(aaa_lab, "netops-g")
    assert seen.get("locks", 0) == 0 and seen["failures"] == 1, seen  # one probe, not 20 wrong passwords at once
    assert backed_up(second) == {d["name"] for d in aaa_lab.devices[:20]}  # the local account did the rest
    report = json.loads((second / "report" / "report.json").read_text())
    assert report["summary"]["aaa_budget_exhausted"] == ["netops-g@tacacs-prod"]
    assert report["summary"]["run_attempts"] == 20 + 1  # 20 local logins and the probe; the 19 skips sent nothing
    (row,) = [c for c in report["credentials"] if c["name"] == "tacacs-netops-g"]
    assert "aaa_budget_exhausted" in row["flags"]


def test_locked_out_of_a_shared_account_moves_on_to_the_local_account(aaa_lab, tmp_path, ansible_env):
    unguarded = tmp_path / "lock"
    unguarded.mkdir()
    inv = write_inventory(unguarded, aaa_lab, credentials("netops-h", WRONG, guarded=False), "none", None, devices=4)
    run_playbook(playbook_env(ansible_env, unguarded), inv, unguarded, "-f", "4", "-e", "config_backup_git=false")
    assert account(aaa_lab, "netops-h")["locked"]  # 4 wrong passwords: the lab's AAA server locked the account
    inv = write_inventory(tmp_path, aaa_lab, credentials("netops-h", "Right-netops-h-7c1", guarded=True),
                          f"sqlite:///{tmp_path / 'metrics.db'}", GUARD, devices=4)
    run = run_playbook(playbook_env(ansible_env, tmp_path), inv, tmp_path, "-f", "4", "-e", "config_backup_git=false")
    assert run.returncode == 0, run.stdout[-4000:]
    assert backed_up(tmp_path) == {d["name"] for d in aaa_lab.devices[:4]}
    from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store
    with open_store(f"sqlite:///{tmp_path / 'metrics.db'}") as store:
        locked = store.attempts(outcome="locked_out", limit=None)
        assert len(locked) == 1 and {b["credential"] for b in store.bindings()} == {"local"}  # the probe, then local


def audit(inv: Path, folder: Path, env: dict, *extra: str):
    import subprocess
    import sys

    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.credential_audit", "-i", str(inv),
                           "-e", f"credential_audit_dir={folder / 'audit'}", *extra],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_audit_fails_on_unknowns_a_misspelt_name_and_no_hosts(aaa_lab, tmp_path, ansible_env):
    inv = write_inventory(tmp_path, aaa_lab, credentials("netops-b", WRONG, guarded=True), f"sqlite:///{tmp_path / 'm.db'}",
                          GUARD, devices=5)
    typo = audit(inv, tmp_path, ansible_env, "-e", "credential_audit_name=tacacs-netops-x")
    assert typo.returncode != 0 and 'no credential named "tacacs-netops-x" matches any of the 5' in typo.stdout, typo.stdout[-3000:]
    assert "known: local, tacacs-netops-b" in typo.stdout
    off = audit(inv, tmp_path, ansible_env, "-e", "credential_audit_name=tacacs-netops-b",
                "-e", '{"netraven_aaa": {"tacacs-prod": {"window": 0}}}')  # window 0 would switch the guard off
    assert off.returncode != 0 and "netraven_aaa).tacacs-prod.window must be >= 60" in off.stdout + off.stderr, off.stdout[-3000:]
    assert account(aaa_lab, "netops-b").get("max_streak", 0) <= 1  # nothing was sent
    nohost = audit(inv, tmp_path, ansible_env, "-e", "credential_audit_name=local", "-e", "credential_audit_hosts=nosuch")
    assert nohost.returncode != 0 and "credential_audit_hosts=nosuch matches no host" in nohost.stdout, nohost.stdout[-3000:]
    # A relative credentials file is read from the current working directory; a wrong shared password is
    # rejected once, then the guard skips it: unknown on 4 devices, so the audit fails.
    (tmp_path / "old.yml").write_text(yaml.safe_dump([{"name": "old_tacacs", "username": "netops-i", "password": WRONG,
                                                       "tags": ["default"], "aaa": "tacacs-prod"}]))
    run = audit(inv, tmp_path, ansible_env, "-f", "5", "-e", "credential_audit_name=old_tacacs",
                "-e", "credential_audit_credentials_file=old.yml")
    report = json.loads((tmp_path / "audit" / "report.json").read_text())
    assert run.returncode != 0 and "4 device(s) could not be asked" in run.stdout, run.stdout[-4000:]
    assert len(report["rejected"]) == 1 and report["accepted"] == [] and len(report["unknown"]) == 4
    assert all(line.endswith(": aaa_budget_exhausted") for line in report["unknown"])
    assert "old_tacacs works on 0, refused on 1, unknown on 4 (not answered: aaa_budget_exhausted) device(s)" in run.stdout
    markdown = (tmp_path / "audit" / "report.md").read_text()
    assert "# Credential audit: old\\_tacacs" in markdown and "unknown on 4" in markdown
    assert WRONG not in run.stdout + markdown
