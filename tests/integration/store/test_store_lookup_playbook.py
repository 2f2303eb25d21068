"""The credential_metrics lookup through real ansible-playbook runs, store named by option, env, ini and vars."""
from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms

CANARY = "Canary-LookupPg-9f3"
T0 = datetime.datetime(2026, 11, 1, 10, 0, tzinfo=datetime.timezone.utc)

PLAYBOOK = """
- name: Read credential metrics
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Read every section
      ansible.builtin.set_fact:
        all_stats: "{{ query('netraven.core.credential_metrics' %(store)s) }}"
        named_stats: "{{ query('netraven.core.credential_metrics', 'local', 'never-used' %(store)s) }}"
        bindings: "{{ query('netraven.core.credential_metrics', kind='bindings' %(store)s) }}"
        r1_binding: "{{ query('netraven.core.credential_metrics', 'r1', kind='bindings' %(store)s) }}"
        rejections: "{{ query('netraven.core.credential_metrics', kind='attempts', device='r1', outcome='auth_rejected' %(store)s) }}"
        recent: "{{ query('netraven.core.credential_metrics', kind='attempts', since='2026-11-01T10:01:30Z', limit=0 %(store)s) }}"
        last_two: "{{ query('netraven.core.credential_metrics', kind='attempts', limit=2 %(store)s) }}"
        daily: "{{ query('netraven.core.credential_metrics', kind='counts' %(store)s) }}"
        per_device: "{{ query('netraven.core.credential_metrics', kind='counts', group_by=['device', 'job_id'],
                              since='2026-11-01T10:01:00Z' %(store)s) }}"
    - name: Save what the playbook saw
      ansible.builtin.copy:
        content: "{{ {'all_stats': all_stats, 'named_stats': named_stats, 'bindings': bindings, 'r1_binding': r1_binding,
                      'rejections': rejections, 'recent': recent, 'last_two': last_two,
                      'daily': daily, 'per_device': per_device} | to_nice_json }}"
        dest: "%(out)s"
        mode: "0600"
"""


def seed(store_url: str) -> None:
    with ms.open_store(store_url) as store:
        store.record_attempt("r1", "tacacs", "auth_rejected", 110, job_id="77", at=T0)
        store.record_attempt("r1", "local", "success", 220, job_id="77", at=T0 + datetime.timedelta(minutes=1))
        store.record_attempt("r2", "local", "enable_failed", 330, job_id="77", at=T0 + datetime.timedelta(minutes=2))
        store.record_attempt("{{ lookup('pipe', 'id') }}", "local", "unreachable", 5, at=T0 + datetime.timedelta(minutes=3),
                             message="{{ 7 * 7 }}")


def run_playbook(tmp_path: Path, env: dict, store_arg: str = "", extra: list | None = None) -> subprocess.CompletedProcess:
    out = tmp_path / "seen.json"
    playbook = tmp_path / "read_metrics.yml"
    playbook.write_text(PLAYBOOK % {"store": store_arg, "out": out})
    return subprocess.run(
        ["ansible-playbook", "-i", "localhost,", str(playbook), *(extra or [])],
        env=env, capture_output=True, text=True, cwd=tmp_path, timeout=180, check=False,
    )


def check_seen(tmp_path: Path) -> None:
    seen = json.loads((tmp_path / "seen.json").read_text())
    stats = {s["name"]: s for s in seen["all_stats"]}
    assert sorted(stats) == ["local", "tacacs"]
    assert stats["local"] == {
        "name": "local", "attempts": 2, "successes": 1, "failures": 0, "enable_failures": 1,
        "last_used": "2026-11-01T10:02:00.000000Z", "last_success": "2026-11-01T10:01:00.000000Z",
        "last_failure": None, "success_rate": 0.5,
    }
    assert stats["tacacs"]["failures"] == 1 and stats["tacacs"]["success_rate"] == 0.0
    assert [(s["name"], s["attempts"], s["success_rate"]) for s in seen["named_stats"]] == [("local", 2, 0.5), ("never-used", 0, None)]
    assert seen["bindings"] == [{"device": "r1", "credential": "local", "last_success": "2026-11-01T10:01:00.000000Z"}]
    assert seen["r1_binding"] == seen["bindings"]
    assert [(a["credential"], a["elapsed_ms"], a["job_id"]) for a in seen["rejections"]] == [("tacacs", 110, "77")]
    assert [a["outcome"] for a in seen["recent"]] == ["unreachable", "enable_failed"]
    # strings from the store are unsafe: never templated
    assert seen["recent"][0]["device"] == "{{ lookup('pipe', 'id') }}" and seen["recent"][0]["message"] == "{{ 7 * 7 }}"
    assert len(seen["last_two"]) == 2
    # kind=counts: the log counted per group, sorted by the group columns, None first
    assert seen["daily"] == [
        {"day": "2026-11-01", "credential": "local", "outcome": "enable_failed", "count": 1, "last": "2026-11-01T10:02:00.000000Z"},
        {"day": "2026-11-01", "credential": "local", "outcome": "success", "count": 1, "last": "2026-11-01T10:01:00.000000Z"},
        {"day": "2026-11-01", "credential": "local", "outcome": "unreachable", "count": 1, "last": "2026-11-01T10:03:00.000000Z"},
        {"day": "2026-11-01", "credential": "tacacs", "outcome": "auth_rejected", "count": 1, "last": "2026-11-01T10:00:00.000000Z"},
    ]
    assert [(c["device"], c["job_id"], c["count"]) for c in seen["per_device"]] == [
        ("r1", "77", 1), ("r2", "77", 1), ("{{ lookup('pipe', 'id') }}", None, 1)]


@pytest.mark.parametrize("kind", ["sqlite", "json"])
def test_lookup_reads_store_from_env(kind: str, tmp_path: Path, ansible_env: dict) -> None:
    store_url = f"{kind}://{tmp_path}/metrics.{kind}"
    seed(store_url)
    result = run_playbook(tmp_path, dict(ansible_env, NETRAVEN_METRICS_STORE=store_url))
    assert result.returncode == 0, result.stdout + result.stderr
    check_seen(tmp_path)


@pytest.mark.postgres
def test_lookup_reads_postgresql_from_option(pg_dsn: str, tmp_path: Path, ansible_env: dict) -> None:
    seed(pg_dsn)
    env = dict(ansible_env, NETRAVEN_METRICS_STORE=f"json://{tmp_path}/not-this-one.json")
    result = run_playbook(tmp_path, env, store_arg=", metrics_store=%r" % pg_dsn)
    assert result.returncode == 0, result.stdout + result.stderr
    check_seen(tmp_path)


def test_lookup_reads_store_from_ini_and_vars(tmp_path: Path, ansible_env: dict, repo_root: Path) -> None:
    store_url = f"sqlite://{tmp_path}/from-ini.db"
    seed(store_url)
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text((repo_root / "ansible.cfg").read_text() + f"\n[netraven]\nmetrics_store = {store_url}\n")
    env = dict(ansible_env, ANSIBLE_CONFIG=str(cfg))
    env.pop("NETRAVEN_METRICS_STORE", None)
    result = run_playbook(tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    check_seen(tmp_path)

    (tmp_path / "seen.json").unlink()
    vars_url = f"json://{tmp_path}/from-vars.json"
    seed(vars_url)
    cfg.write_text((repo_root / "ansible.cfg").read_text() + f"\n[netraven]\nmetrics_store = sqlite://{tmp_path}/other.db\n")
    result = run_playbook(tmp_path, env, extra=["-e", f"netraven_metrics_store={vars_url}"])
    assert result.returncode == 0, result.stdout + result.stderr
    check_seen(tmp_path)
    assert not (tmp_path / "other.db").exists()


def test_lookup_errors_name_the_store_without_its_password(tmp_path: Path, ansible_env: dict) -> None:
    bad = f"postgresql://netraven:{CANARY}@127.0.0.1:1/metrics?connect_timeout=2"
    result = run_playbook(tmp_path, dict(ansible_env, NETRAVEN_METRICS_STORE=bad), extra=["-vvvv"])
    assert result.returncode != 0
    assert "postgresql://netraven@127.0.0.1:1/metrics" in result.stdout + result.stderr
    assert CANARY not in result.stdout + result.stderr

    store_url = f"sqlite://{tmp_path}/newer.db"
    seed(store_url)
    import sqlite3

    with sqlite3.connect(f"{tmp_path}/newer.db") as conn:
        conn.execute("UPDATE netraven_meta SET value = '99' WHERE key = 'schema_version'")
    result = run_playbook(tmp_path, dict(ansible_env, NETRAVEN_METRICS_STORE=store_url))
    assert result.returncode != 0
    assert "schema version 99 is newer than this netraven.core understands" in " ".join((result.stdout + result.stderr).split())


def test_lookup_on_missing_or_disabled_store_returns_nothing(tmp_path: Path, ansible_env: dict) -> None:
    for url in (f"sqlite://{tmp_path}/nothing-yet.db", "none"):
        result = run_playbook(tmp_path, dict(ansible_env, NETRAVEN_METRICS_STORE=url))
        assert result.returncode == 0, result.stdout + result.stderr
        seen = json.loads((tmp_path / "seen.json").read_text())
        assert seen["all_stats"] == [] and seen["bindings"] == []
        assert "nothing" in result.stderr + result.stdout
    assert not (tmp_path / "nothing-yet.db").exists()


EMPTY_STORE_PLAYBOOK = """
- name: An empty NETRAVEN_METRICS_STORE, seen by the module and both lookups
  hosts: r1
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Try a closed port (records an unreachable attempt when a store is open)
      netraven.core.cli_command:
        host: 127.0.0.1
        port: %(port)d
        platform: cisco_ios
        commands: [show version]
      ignore_errors: true
    - name: Read the figures
      ansible.builtin.debug:
        msg: "{{ query('netraven.core.credential_metrics') }}"
      ignore_errors: true
"""


def test_empty_metrics_store_env_is_reported_by_module_and_lookups(tmp_path: Path, ansible_env: dict) -> None:
    """NETRAVEN_METRICS_STORE="" used to mean the default store, silently, even over ansible.cfg (issue 18 item 16).

    Now every reader and writer treats it as a bad store URL: cli_command and the credentials lookup warn and go
    on without the store (as for any store they cannot open), credential_metrics fails; the default store is untouched.
    """
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    playbook = tmp_path / "empty.yml"
    playbook.write_text(EMPTY_STORE_PLAYBOOK % {"port": port})
    (tmp_path / "creds.yml").write_text("netraven_credentials: [{name: local, username: u, password: Canary-EmptyStore-9f3, tags: [default]}]\n")
    env = dict(ansible_env, NETRAVEN_METRICS_STORE="", XDG_DATA_HOME=str(tmp_path / "xdg"))
    result = subprocess.run(["ansible-playbook", "-i", "r1,", "-e", "@creds.yml", str(playbook)], env=env, capture_output=True, text=True,
                            cwd=tmp_path, timeout=180, check=False)
    out = " ".join((result.stdout + result.stderr).split())
    assert "metrics store not available, attempts are not recorded (the job goes on): metrics store URL is empty" in out, out
    assert "netraven.core.credentials: cannot read the metrics store (metrics store URL is empty" in out
    assert "netraven.core.credential_metrics: metrics store URL is empty" in out
    assert "unreachable" in out and "Canary-EmptyStore-9f3" not in out
    assert not (tmp_path / "xdg").exists(), "the default store was opened"
