"""The real backup playbook (`ansible-playbook netraven.core.backup`) against the lab.

One lab, three runs: run 1 in priority order at -vvvv, run 2 in learned order, run 3 after a
backup was edited (changed + diff). Checked: backups equal the served configs after redaction,
exact metrics counters, attempts per run, per-host failures and exit status, git commits, the
cacheable fact, and that no canary secret reaches stdout, the store, the fact cache, the
backups or the report.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store
from ansible_collections.netraven.core.plugins.plugin_utils._redact import redact_config

from backup_helpers import (CANARIES, cached_facts, CONFIG_CANARY, FAILED, OK_DEVICES, files_containing, lab_spec,
                            playbook_env, run_playbook, write_inventory)

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def _recap(stdout: str) -> dict:
    """PLAY RECAP lines -> {host: {ok, changed, failed, ...}}."""
    recap = {}
    for match in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", stdout, re.M):
        recap[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return recap


def _served(spec: dict, name: str) -> str:
    device = next(d for d in spec["devices"] if d["name"] == name)
    return device.get("running_config_text") or Path(device["running_config"]).read_text()


def _commits(repo: Path) -> list[dict]:
    """The backup commits, newest first: message parts and what git says each commit holds."""
    out = []
    for sha in subprocess.run(["git", "-C", str(repo), "log", "--format=%H"], capture_output=True, text=True,
                              check=True).stdout.split():
        body = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%B", sha], capture_output=True, text=True,
                              check=True).stdout
        if not body.startswith("netraven backup"):
            continue
        shown = subprocess.run(["git", "-C", str(repo), "show", "--no-renames", "--name-status", "--format=", sha],
                               capture_output=True, text=True, check=True).stdout.split("\n")
        content = {"A": [], "M": [], "D": []}
        for line in filter(None, shown):
            status, name = line.split("\t", 1)
            content[status].append(name)
        fields = dict(line.split(": ", 1) for line in body.splitlines()[2:] if ": " in line)
        listed = {key[0].upper(): [] if fields[word] == "-" else fields[word].split(", ")
                  for key, word in (("added", "added"), ("modified", "modified"), ("deleted", "deleted"))}
        out.append({"subject": body.splitlines()[0], "body": body, "content": content, "listed": listed})
    return out


def _assert_message_matches_commit(commit: dict) -> None:
    """Issue 18 E: the message names exactly the files the commit adds, modifies and deletes, with their counts."""
    assert commit["listed"] == {k: sorted(v) for k, v in commit["content"].items()}, commit
    counts = "%d added, %d modified, %d deleted" % tuple(len(commit["content"][k]) for k in "AMD")
    assert commit["subject"].endswith(": " + counts), commit


def test_backup_playbook_three_runs(lab, tmp_path, ansible_env):
    spec = lab_spec()
    running = lab(spec)
    store_url = f"sqlite:///{tmp_path / 'metrics.db'}"
    inv = write_inventory(tmp_path, running, spec, store_url)
    env = playbook_env(ansible_env, tmp_path)

    # --- run 1: priority order, at -vvvv ------------------------------------------------
    first = run_playbook(env, inv, tmp_path, verbosity="-vvvv")
    out1 = first.stdout + first.stderr
    assert first.returncode == 2, out1[-4000:]
    recap = _recap(first.stdout)
    for name in OK_DEVICES:
        assert recap[name]["failed"] == 0, name
    for name, outcome in FAILED.items():
        assert recap[name]["failed"] == 1, name
        assert f'"msg": "{outcome}: {name}: ' in out1, name  # the role's failure names the outcome first

    backups = tmp_path / "backups"
    for name in OK_DEVICES:
        served = _served(spec, name)
        assert (backups / f"{name}.cfg").read_text() == redact_config(served), name  # byte-exact
    assert sorted(p.name for p in backups.glob("*.cfg")) == sorted(f"{n}.cfg" for n in OK_DEVICES)
    assert CONFIG_CANARY not in (backups / "r1-first.cfg").read_text()

    with open_store(store_url) as store:
        stats = {s["name"]: s for s in store.credential_stats()}
        assert (stats["c-first"]["attempts"], stats["c-first"]["successes"], stats["c-first"]["failures"]) == (6, 2, 4)
        assert (stats["c-second"]["attempts"], stats["c-second"]["successes"], stats["c-second"]["failures"]) == (4, 1, 3)
        assert (stats["c-third"]["attempts"], stats["c-third"]["successes"], stats["c-third"]["failures"]) == (2, 1, 1)
        first_log = store.attempts(limit=1000)
        assert len(first_log) == 1 + 2 + 3 + 3 + 1 + 3 + 1
        assert {b["device"]: b["credential"] for b in store.bindings()} == {
            "r1-first": "c-first", "r2-second": "c-second", "r3-third": "c-third", "r7-enable": "c-first"}

    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["summary"]["no_credential_works"] == ["r4-none"]
    assert sorted(report["summary"]["failed_devices"]) == sorted(FAILED)
    assert report["summary"]["run_attempts"] == 14
    facts = cached_facts(tmp_path / "facts")
    cred = facts["r3-third"]["netraven_credential"]
    assert (cred["name"], cred["username"], cred["outcome"], int(cred["attempts"])) == ("c-third", "third", "success", 3)
    assert facts["r4-none"]["netraven_credential"]["outcome"] == "auth_rejected"
    assert facts["r5-down"]["netraven_credential"] == {**facts["r5-down"]["netraven_credential"], "name": None, "attempts": 1}
    assert "partial_output" not in out1

    # --- run 2: learned order, nothing changed -------------------------------------------
    second = run_playbook(env, inv, tmp_path)
    assert second.returncode == 2, second.stdout[-4000:]
    report2 = json.loads((tmp_path / "report" / "report.json").read_text())
    by_device = {d["name"]: d for d in report2["devices"]}
    assert [by_device[n]["attempts"] for n in OK_DEVICES] == [1] * len(OK_DEVICES)
    assert sum(by_device[n]["attempts"] for n in OK_DEVICES) == len(OK_DEVICES)  # one per reachable device
    recap2 = _recap(second.stdout)
    assert all(recap2[n]["changed"] == 0 for n in OK_DEVICES), second.stdout[-3000:]
    with open_store(store_url) as store:
        stats = {s["name"]: s for s in store.credential_stats()}
        assert (stats["c-first"]["attempts"], stats["c-first"]["successes"]) == (9, 4)
        assert (stats["c-second"]["attempts"], stats["c-second"]["successes"]) == (6, 2)
        assert (stats["c-third"]["attempts"], stats["c-third"]["successes"]) == (4, 2)
    commits = _commits(backups)
    assert len(commits) == 1  # run 2 changed nothing
    _assert_message_matches_commit(commits[0])
    assert commits[0]["subject"].endswith(": 4 added, 0 modified, 0 deleted")
    assert "devices that failed in this run (their files are not in this commit): r4-none, r5-down, r6-lockout" in commits[0]["body"]

    # --- run 3: a backup differs from the device: changed, diff shown, one more commit -----
    edited = backups / "r2-second.cfg"
    edited.write_text(edited.read_text().replace("hostname", "hostname-old", 1))
    (backups / "retired.cfg").write_text("hostname retired\n")
    subprocess.run(["git", "-C", str(backups), "add", "retired.cfg"], check=True)
    subprocess.run(["git", "-C", str(backups), "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "older backup"],
                   check=True)
    # By hand between runs: a retired device's backup removed, a new file dropped in the folder. The run's
    # commit holds them, so its message names them (it used to name only the hosts whose task changed).
    (backups / "retired.cfg").unlink()
    (backups / "r9new.cfg").write_text("hostname r9new\n")
    third = run_playbook(env, inv, tmp_path, "--diff", "--limit", "r1-first,r2-second,localhost")
    assert third.returncode == 0, third.stdout[-4000:]
    save = re.search(r"TASK \[netraven\.core\.config_backup : Back up the configuration\].*?(?=\nTASK \[)", third.stdout, re.S).group(0)
    assert "changed: [r2-second]" in save and "ok: [r1-first]" in save
    assert "-hostname-old" in third.stdout and "+hostname" in third.stdout
    commits = _commits(backups)
    assert len(commits) == 2  # two backup commits (the test's own is not one)
    _assert_message_matches_commit(commits[0])
    assert commits[0]["content"] == {"A": ["r9new.cfg"], "M": ["r2-second.cfg"], "D": ["retired.cfg"]}
    assert commits[0]["subject"].endswith(": 1 added, 1 modified, 1 deleted")
    assert "devices that failed in this run (their files are not in this commit): -" in commits[0]["body"]

    # --- no canary anywhere -----------------------------------------------------------
    needles = list(CANARIES.values()) + [CONFIG_CANARY]
    for text in (out1, second.stdout + second.stderr, third.stdout + third.stderr):
        assert not [n for n in needles if n in text]
    assert files_containing(tmp_path / "backups", needles) == []
    assert files_containing(tmp_path / "facts", needles) == []
    assert files_containing(tmp_path / "report", needles) == []
    assert [h for h in files_containing(tmp_path, needles) if "metrics.db" in h] == []
