"""The AAA guard in the credential loop (issue 17): settings, skips, waiting, failing closed."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _aaa_guard as guard
from ansible_collections.netraven.core.plugins.module_utils import _attempts
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms

TARGET = _attempts.Target(host="192.0.2.1")
SHARED = {"name": "tacacs", "username": "netops", "password": "pw-tacacs", "aaa": "tacacs-prod"}
LOCAL = {"name": "local", "username": "admin", "password": "pw-local"}


def test_policies_default_to_the_stig_rule_and_name_bad_fields() -> None:
    assert guard.parse_policies({"tacacs-prod": None})["tacacs-prod"] == guard.Policy(3, 900.0, 1, 30.0, 60.0)
    assert guard.parse_policies({"ise": {"lockout_threshold": 5, "window": 600}})["ise"].limit == 3
    assert guard.parse_policies({"ise": {"lockout_threshold": 2, "headroom": 0, "proven_for": 0}})["ise"].limit == 1
    with pytest.raises(ValueError, match=r"netraven_aaa.ise: unknown key\(s\) treshold"):
        guard.parse_policies({"ise": {"treshold": 3}})
    with pytest.raises(ValueError, match=r"netraven_aaa.ise.lockout_threshold must be >= 2"):
        guard.parse_policies({"ise": {"lockout_threshold": 0}})
    with pytest.raises(ValueError, match="must be a mapping"):
        guard.parse_policies(["ise"])


@pytest.mark.parametrize("settings, field, why", [
    ({"window": 0}, "window", r"must be >= 60"),  # a zero window forgets every failure: the guard would be off
    ({"window": 5.5}, "window", r"must be >= 60"),
    ({"window": "600"}, "window", r"must be a number \(unquoted in YAML\), got str"),
    ({"window": float("nan")}, "window", r"must be a finite number"),
    ({"window": float("inf")}, "window", r"must be a finite number"),
    ({"lockout_threshold": 2.9}, "lockout_threshold", r"must be a whole number, got 2.9"),  # not truncated to 2
    ({"lockout_threshold": "3"}, "lockout_threshold", r"must be a number"),
    ({"lockout_threshold": True}, "lockout_threshold", r"must be a number"),
    ({"lockout_threshold": 1}, "lockout_threshold", r"must be >= 2"),
    ({"headroom": -1}, "headroom", r"must be >= 0"),
    ({"headroom": 0.5}, "headroom", r"must be a whole number"),
    ({"wait": -1}, "wait", r"must be >= 0"),
    ({"proven_for": float("-inf")}, "proven_for", r"must be a finite number"),
    ({"proven_for": -5}, "proven_for", r"must be >= 0"),
])
def test_every_setting_is_checked_and_the_error_names_server_and_field(settings, field, why) -> None:
    with pytest.raises(ValueError, match=rf"netraven_aaa\.tacacs-prod\.{field} {why}"):
        guard.parse_policies({"tacacs-prod": settings})


def test_a_threshold_and_headroom_that_leave_no_attempt_are_an_error() -> None:
    # threshold 2 with the default headroom 1 gives limit 0: a correct password would be skipped everywhere
    with pytest.raises(ValueError, match=r"netraven_aaa\.ise: lockout_threshold 2 with headroom 1 leaves no attempt"):
        guard.parse_policies({"ise": {"lockout_threshold": 2}})
    with pytest.raises(ValueError, match=r"lockout_threshold 5 with headroom 4 leaves no attempt"):
        guard.parse_policies({"ise": {"lockout_threshold": 5, "headroom": 4}})


def test_a_login_proves_the_account_only_for_proven_for_seconds() -> None:
    now = datetime.datetime(2026, 12, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)

    def ago(seconds: float) -> str:
        return (now - datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    policy = guard.Policy()  # proven_for 60, window 900
    fresh = {"streak": 0, "last_outcome": "success", "last_success": ago(30)}
    stale = {"streak": 0, "last_outcome": "success", "last_success": ago(600)}  # an earlier run, within window
    assert guard.decide(fresh, 19, policy, now) == {"admitted": True, "proven": True, "streak": 0, "budget": None, "in_flight": 19}
    probe = guard.decide(stale, 0, policy, now)
    assert probe["admitted"] and not probe["proven"] and probe["budget"] == 1  # one probe, unproven rules
    assert not guard.decide(stale, 1, policy, now)["admitted"]  # the others wait for the probe
    assert guard.decide(stale, 5, guard.Policy(proven_for=900.0), now)["proven"]


def fake_attempt(outcomes: dict):
    calls = []

    def attempt(target, cred, commands, timeouts, on_login=None):
        calls.append(cred["name"])
        outcome = outcomes[cred["name"]]
        if outcome == "success" and on_login is not None:
            on_login()
        return {"outcome": outcome, "phase": "done", "exception": None, "cause": None, "detail": "", "stdout": []}
    return attempt, calls


def test_a_skipped_account_sends_nothing_and_the_next_credential_is_tried(tmp_path) -> None:
    with ms.open_store(f"sqlite://{tmp_path}/m.db") as store:
        g = guard.Guard(store, {"tacacs-prod": guard.Policy(wait=0)})
        attempt, calls = fake_attempt({"tacacs": "auth_rejected", "local": "success"})
        first = _attempts.run_attempts(TARGET, [SHARED, LOCAL], [], attempt=attempt, guard=g, device="r1")
        assert [a["outcome"] for a in first["attempts"]] == ["auth_rejected", "success"]
        second = _attempts.run_attempts(TARGET, [SHARED, LOCAL], [], attempt=attempt, guard=g, device="r2",
                                        max_attempts=1)
        skipped = second["attempts"][0]
        assert calls == ["tacacs", "local", "local"] and second["outcome"] == "success"  # the skip is not one of max_attempts
        assert skipped["outcome"] == "aaa_budget_exhausted" and skipped["elapsed_ms"] == 0
        assert skipped["aaa_account"] == "netops@tacacs-prod" and "streak 1" in skipped["message"]
        assert "pw-" not in repr(second)
        assert g.summary()["accounts"] == [{"account": "netops@tacacs-prod", "aaa": "tacacs-prod", "streak": 1, "exhausted": True}]
        assert g.summary()["skipped"] == [{"account": "netops@tacacs-prod", "device": "r2", "credential": "tacacs", "streak": 1}]
        (state,) = store.aaa_accounts()
        assert state["streak"] == 1 and state["in_flight"] == 0


def test_an_attempt_waits_for_the_one_in_flight_then_runs_once_it_is_proven(tmp_path) -> None:
    with ms.open_store(f"sqlite://{tmp_path}/m.db") as store:
        probe = guard.Guard(store).admit(SHARED, "r1")  # in flight, unproven: the budget is used
        sleeps = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            probe.settle("success")  # the probe logs in while we wait

        ticket = guard.Guard(store, sleep=sleep).admit(SHARED, "r2")
        assert ticket.admitted and ticket.decision["proven"] and sleeps == [guard.POLL_S]


def test_the_guard_fails_closed_without_a_store() -> None:
    warnings: list = []
    ticket = guard.Guard(None, warn=warnings.append).admit(SHARED, "r1")
    assert not ticket.admitted and "could not reserve" in warnings[0]
    assert guard.Guard(None).admit(LOCAL, "r1") is None  # no aaa: no guard


def test_the_report_rows_come_from_the_store_and_this_runs_facts() -> None:
    from ansible_collections.netraven.core.plugins.plugin_utils._report import aaa_accounts_from, build_report

    stored = [{"account": "netops@tacacs-prod", "streak": 1, "max_streak": 2, "last_success": "2026-12-01T10:00:00.000000Z",
               "last_outcome": "failure", "last_failure": "2026-12-01T11:00:00.000000Z", "in_flight": 0}]
    run = {"r1": {"outcome": "success", "aaa_skipped": ["netops@tacacs-prod"]}, "r2": {"outcome": "success"},
           "r3": {"outcome": "aaa_budget_exhausted", "aaa_skipped": ["netops@tacacs-prod", "ro@ise"]}}
    rows = aaa_accounts_from(stored, run, {"tacacs": "netops@tacacs-prod"}, {"ise": {"lockout_threshold": 5}})
    report = build_report([], [], [], run=run, aaa_accounts=rows, fail_on=["aaa_budget_exhausted"])
    assert report["aaa_accounts"] == [
        {"name": "netops@tacacs-prod", "credentials": ["tacacs"], "lockout_threshold": 3, "streak": 1, "highest_streak": 2,
         "last_success": "2026-12-01T10:00:00.000000Z", "budget_exhausted": 2, "skipped_on": ["r1", "r3"]},
        {"name": "ro@ise", "credentials": [], "lockout_threshold": 5, "streak": 0, "highest_streak": None,
         "last_success": None, "budget_exhausted": 1, "skipped_on": ["r3"]},
    ]
    assert report["summary"]["aaa_budget_exhausted"] == ["netops@tacacs-prod", "ro@ise"]
    assert "aaa_budget_exhausted (2 AAA accounts" in report["gate"]["message"]


def test_locked_out_of_a_shared_account_moves_on_to_the_local_account(tmp_path) -> None:
    with ms.open_store(f"sqlite://{tmp_path}/m.db") as store:
        g = guard.Guard(store, {"tacacs-prod": guard.Policy(wait=0)})
        attempt, calls = fake_attempt({"tacacs": "locked_out", "local": "success"})
        shared = _attempts.run_attempts(TARGET, [SHARED, LOCAL], [], attempt=attempt, guard=g, device="r1")
        assert calls == ["tacacs", "local"] and shared["outcome"] == "success"  # the account is locked, not the device
    attempt, calls = fake_attempt({"local": "locked_out", "tacacs": "success"})
    local_first = _attempts.run_attempts(TARGET, [LOCAL, dict(SHARED, aaa=None)], [], attempt=attempt)
    assert calls == ["local"] and local_first["outcome"] == "locked_out"  # the device blocks logins: stop
    assert local_first["not_tried"] == [{"credential": "tacacs", "reason": "stopped after locked_out with local"}]


def test_the_credential_fact_counts_only_attempts_that_sent_something() -> None:
    from ansible_collections.netraven.core.plugins.action.fetch_config import credential_fact

    read = {"outcome": "success", "credential": {"name": "local", "username": "admin"}, "attempts": [
        {"credential": "tacacs", "outcome": "aaa_budget_exhausted", "aaa_account": "netops@tacacs-prod"},
        {"credential": "local", "outcome": "success"}]}
    fact = credential_fact(read)
    assert fact["attempts"] == 1 and fact["aaa_skipped"] == ["netops@tacacs-prod"]
    assert fact["aaa_skipped_credentials"] == ["tacacs"]


def test_the_report_flags_a_credential_the_guard_skipped_in_this_run() -> None:
    from ansible_collections.netraven.core.plugins.plugin_utils._report import build_report

    # after a rotation: the old password failed once, the new one was skipped everywhere, local worked
    stats = [{"name": "t-old", "attempts": 3, "successes": 2, "failures": 1}, {"name": "local", "attempts": 2, "successes": 2}]
    run = {"r1": {"outcome": "success", "attempts": 2, "aaa_skipped": ["netops@tacacs-prod"], "aaa_skipped_credentials": ["t-new"]},
           "r2": {"outcome": "success", "attempts": 1, "aaa_skipped": ["netops@tacacs-prod"],
                  "aaa_skipped_credentials": ["t-new", "t-old"]}}
    report = build_report(stats, [], [], run=run, known_names=["t-new", "t-old", "local"])
    flags = {c["name"]: c["flags"] for c in report["credentials"]}
    assert "aaa_budget_exhausted" in flags["t-new"] and "aaa_budget_exhausted" in flags["t-old"]
    assert "aaa_budget_exhausted" not in flags["local"]
    assert report["summary"]["aaa_skipped_credentials"] == ["t-new", "t-old"] and report["summary"]["run_attempts"] == 3


def test_the_scratch_store_is_private_warns_once_and_clears_dead_runs(tmp_path, monkeypatch) -> None:
    import multiprocessing
    import os
    import stat
    import tempfile

    from ansible_collections.netraven.core.plugins.module_utils import _cli_command, _metrics_store

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = tmp_path / f"netraven-aaa-{os.getuid()}"
    folder.mkdir(mode=0o700)
    dead = multiprocessing.get_context("fork").Process(target=os._exit, args=(0,))
    dead.start()
    dead.join()
    alive = os.getppid()  # a live process that is not this run: its store stays
    for name in (f"run-{dead.pid}.db", f"run-{dead.pid}.db-journal", f"run-{alive}.db", "other.txt"):
        (folder / name).write_text("")
    old_style = tmp_path / f"netraven-aaa-{os.getuid()}-{dead.pid}.db"  # an earlier version's file, 0644 in the temp folder
    old_style.write_text("")
    warnings: list = []
    first = _cli_command.guard_store("none", warnings.append)
    second = _cli_command.guard_store("none", warnings.append)
    try:
        mine = folder / f"run-{_metrics_store.run_pid()}.db"  # this run (here the pytest process itself)
        assert stat.S_IMODE(mine.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
        left = sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm")))  # this run's WAL files
        assert left == sorted([mine.name, f"run-{alive}.db", "other.txt"])  # the dead run's files are gone
        assert not old_style.exists()
        assert len(warnings) == 1 and "guard counts the failed logins of shared AAA accounts within this run only" in warnings[0]
        assert first.aaa_admit("netops@tacacs-prod", guard.Policy(), guard.owner(), "r1", "tacacs")["admitted"]
        assert not second.aaa_admit("netops@tacacs-prod", guard.Policy(), guard.owner(), "r2", "tacacs")["admitted"]  # one store
    finally:
        first.close()
        second.close()
    folder.chmod(0o755)  # someone widened it (or another user made it): refused, the guard fails closed
    warnings.clear()
    assert _cli_command.guard_store("none", warnings.append) is None and "not a private folder" in warnings[0]
