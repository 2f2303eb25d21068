"""cli_command against normal lab devices through one real ansible-playbook run (7 hosts, forks).

One host per scenario of issue 7, each checked against the module's result, the lab's auth log
(what really reached the device) and the metrics store:

- ``second``: 1st credential rejected, 2nd works (and the command output comes back);
- ``third``: 3rd works;
- ``none``: all three rejected: the task fails naming each outcome, 3 failures in the store;
- ``max2``: ``max_attempts: 2`` with 4 candidates: exactly 2 attempts reach the device, at
  least ``attempt_delay: 1`` second apart;
- ``down``: closed port: 1 attempt, ``unreachable``, no failure counted against the credential;
- ``hostkey``: known_hosts says another key: ``hostkey_mismatch``, the lab saw no authentication;
- ``special``: quotes, ``$``, ``%``, ``{{``, ``{#``, spaces and non-ASCII arrive byte-exact;
- ``unknown_key``: ``host_key_checking`` and a host key in no known_hosts: ``hostkey_unknown`` (how to add it), nothing sent;
- ``trusted``: ``host_key_checking`` with the lab's known_hosts: logs in (juniper_junos);
- ``keyed``: a key credential offers exactly its key (one publickey attempt, no password).

The run's ``HOME`` holds ``~/.ssh/id_ed25519`` that ``second`` would accept: password credentials
must never offer it (``second``'s log shows password attempts only), nor may the SSH agent.
"""
from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import paramiko
import pytest

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

SPECIAL_PASSWORD = "q'\"$HOME %s {{ x }} {# y #} {% z %} ç€ü ß-Canary-9f3"
CREDENTIALS = [
    {"name": "c1", "username": "admin", "password": "Canary-c1-9f3"},
    {"name": "c2", "username": "admin", "password": "Canary-c2-9f3"},
    {"name": "c3", "username": "ops", "password": "Canary-c3-9f3"},
    {"name": "c4", "username": "ops", "password": "Canary-c4-9f3"},
    {"name": "down_cred", "username": "admin", "password": "Canary-down-9f3"},
    {"name": "special", "username": "admin", "password": SPECIAL_PASSWORD},
]
KEY_USER = "netops"
LAB = {
    "credentials": CREDENTIALS,
    "devices": [
        {"name": "second", "platform": "cisco_ios", "port": "auto", "accept": ["c2"]},
        {"name": "third", "platform": "arista_eos", "port": "auto", "accept": ["c3"]},
        {"name": "none", "platform": "cisco_ios", "port": "auto", "accept": ["c4"]},
        {"name": "max2", "platform": "cisco_ios", "port": "auto", "accept": ["c4"]},
        {"name": "hostkey", "platform": "cisco_ios", "port": "auto", "accept": ["c1"]},
        {"name": "special", "platform": "cisco_ios", "port": "auto", "accept": ["special"]},
        {"name": "trusted", "platform": "juniper_junos", "port": "auto", "accept": ["c1"]},
        {"name": "unknown_key", "platform": "cisco_ios", "port": "auto", "accept": ["c1"]},
    ],
}


def ssh_key(path: Path) -> str:
    """Create an ed25519 key pair at ``path`` with ssh-keygen; return the public key line."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, capture_output=True)
    return path.with_suffix(".pub").read_text().split(" ", 2)[0] + " " + path.with_suffix(".pub").read_text().split(" ", 2)[1]


def lab_spec(tmp_path: Path) -> dict:
    """LAB plus a key credential (``keyed``) and the key planted in the run's ~/.ssh (``home_key``)."""
    spec = {"credentials": [dict(c) for c in CREDENTIALS], "devices": [dict(d) for d in LAB["devices"]]}
    spec["credentials"] += [
        {"name": "key_cred", "username": KEY_USER, "public_key": ssh_key(tmp_path / "keys" / "id_key_cred")},
        {"name": "home_key", "username": "admin", "public_key": ssh_key(tmp_path / "home" / ".ssh" / "id_ed25519")},
    ]
    spec["devices"][0]["accept"] = ["c2", "home_key"]
    spec["devices"].append({"name": "keyed", "platform": "cisco_ios", "port": "auto", "accept": ["key_cred"]})
    return spec


def vars_yaml() -> str:
    """``creds`` for the playbook, every password ``!unsafe`` so Jinja never touches it."""
    lines = ["creds:", "  key_cred:", "    name: key_cred", f"    username: {KEY_USER}",
             "    ssh_key_file: '{{ playbook_dir }}/keys/id_key_cred'"]
    for cred in CREDENTIALS:
        password = cred["password"].replace("\\", "\\\\").replace('"', '\\"')
        lines += [f"  {cred['name']}:", f"    name: {cred['name']}", f"    username: {cred['username']}",
                  f'    password: !unsafe "{password}"']
    return "\n".join(lines) + "\n"


def wrong_known_hosts(path: Path, port: int) -> Path:
    """A known_hosts file that pins another key for [127.0.0.1]:port."""
    key = paramiko.RSAKey.generate(1024)
    path.write_text(f"[127.0.0.1]:{port} ssh-rsa {key.get_base64()}\n")
    return path


@pytest.mark.lab
@pytest.mark.slow
def test_retry_scenarios(lab, cli, tmp_path: Path, play_env: dict[str, str], store_url: str) -> None:
    running = lab(lab_spec(tmp_path))
    lab_host = cli.lab_host
    env = dict(play_env, HOME=str(tmp_path / "home"))
    env.pop("SSH_AUTH_SOCK", None)
    hosts = {
        "second": lab_host(running.port("second"), test_cred_names=["c1", "c2", "c3"], test_commands=["show running-config"]),
        "third": lab_host(running.port("third"), "arista_eos", test_cred_names=["c1", "c2", "c3"]),
        "none": lab_host(running.port("none"), test_cred_names=["c1", "c2", "c3"]),
        "max2": lab_host(running.port("max2"), test_cred_names=["c1", "c2", "c3", "c4"], test_max_attempts=2, test_attempt_delay=1),
        "down": lab_host(cli.closed_port(), test_cred_names=["down_cred", "c1"]),
        "hostkey": lab_host(running.port("hostkey"), test_cred_names=["c1"], test_host_key_checking=True,
                            test_known_hosts=str(wrong_known_hosts(tmp_path / "known_hosts", running.port("hostkey")))),
        "special": lab_host(running.port("special"), test_cred_names=["c1", "special"]),
        "unknown_key": lab_host(running.port("unknown_key"), test_cred_names=["c1"], test_host_key_checking=True),
        "trusted": lab_host(running.port("trusted"), "juniper_junos", test_cred_names=["c1"], test_host_key_checking=True,
                            test_known_hosts=str(running.known_hosts)),
        "keyed": lab_host(running.port("keyed"), test_cred_names=["key_cred"]),
    }
    proc = cli.run_play(tmp_path, env, hosts, vars_text=vars_yaml(), args=("--forks", "10"))
    results = cli.results_of(tmp_path)
    assert set(results) == set(hosts), proc.stdout
    store = open_store(store_url)
    try:
        check_second(results["second"], running)
        check_third(results["third"], running)
        check_none(results["none"], running, store)
        check_max2(results["max2"], running)
        check_down(results["down"], store)
        check_hostkey(results["hostkey"], running)
        check_special(results["special"], running)
        assert outcomes(results["unknown_key"]) == [("c1", "hostkey_unknown")] and running.auth_log("unknown_key") == []
        assert "ssh-keyscan" in results["unknown_key"]["attempts"][0]["message"]
        assert results["trusted"]["outcome"] == "success", results["trusted"]
        assert results["keyed"]["outcome"] == "success", results["keyed"]
        assert [(e["method"], e["accepted"]) for e in running.auth_log("keyed")] == [("publickey", True)]
    finally:
        store.close()
    for secret in (c["password"] for c in CREDENTIALS):
        assert secret not in proc.stdout + proc.stderr


def outcomes(result: dict) -> list[tuple[str, str]]:
    return [(a["credential"], a["outcome"]) for a in result["attempts"]]


def accepted(running, device: str) -> list[bool]:
    return [entry["accepted"] for entry in running.auth_log(device)]


def check_second(result: dict, running) -> None:
    assert not result.get("failed") and result["outcome"] == "success"
    assert result["credential"] == {"name": "c2", "username": "admin", "priority": 100}
    assert outcomes(result) == [("c1", "auth_rejected"), ("c2", "success")]
    assert accepted(running, "second") == [False, True]
    assert {e["method"] for e in running.auth_log("second")} == {"password"}  # ~/.ssh/id_ed25519 never offered
    assert "hostname" in result["stdout"][0] and result["stdout_lines"][0]
    assert result["changed"] is False


def check_third(result: dict, running) -> None:
    assert result["outcome"] == "success" and result["credential"]["name"] == "c3"
    assert outcomes(result) == [("c1", "auth_rejected"), ("c2", "auth_rejected"), ("c3", "success")]
    assert accepted(running, "third") == [False, False, True]


def check_none(result: dict, running, store) -> None:
    assert result["failed"] and result["credential"] is None
    assert outcomes(result) == [("c1", "auth_rejected"), ("c2", "auth_rejected"), ("c3", "auth_rejected")]
    assert "c1=auth_rejected, c2=auth_rejected, c3=auth_rejected" in result["msg"]
    assert accepted(running, "none") == [False, False, False]
    assert len(store.attempts(device="none", outcome="auth_rejected")) == 3


def check_max2(result: dict, running) -> None:
    assert result["failed"] and outcomes(result) == [("c1", "auth_rejected"), ("c2", "auth_rejected")]
    assert [s["credential"] for s in result["not_tried"]] == ["c3", "c4"]
    log = running.auth_log("max2")
    assert len(log) == 2
    gap = datetime.fromisoformat(log[1]["time"]) - datetime.fromisoformat(log[0]["time"])
    assert gap.total_seconds() >= 1.0  # attempt_delay: 1 (a lower bound, not a speed measurement)


def check_down(result: dict, store) -> None:
    assert result["failed"] and outcomes(result) == [("down_cred", "unreachable")]
    assert result["attempts"][0]["exception"] == "NetmikoTimeoutException"
    assert result["attempts"][0]["cause"] == "NoValidConnectionsError"
    assert [a["outcome"] for a in store.attempts(device="down")] == ["unreachable"]
    stats = {s["name"]: s for s in store.credential_stats(names=["down_cred"])}
    assert stats.get("down_cred", {}).get("failures", 0) == 0


def check_hostkey(result: dict, running) -> None:
    assert result["failed"] and outcomes(result) == [("c1", "hostkey_mismatch")]
    assert running.auth_log("hostkey") == []  # no authentication at all: no password was sent


def check_special(result: dict, running) -> None:
    assert result["outcome"] == "success" and result["credential"]["name"] == "special"
    log = running.auth_log("special")
    assert [(e["accepted"], e["credential"]) for e in log][-1] == (True, "special")
