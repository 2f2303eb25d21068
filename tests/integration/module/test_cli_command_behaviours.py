"""cli_command against misbehaving lab devices: one real ansible-playbook run, one host each.

- ``kbd``: keyboard-interactive only: a wrong password is ``auth_rejected`` (not a missing
  method), the right one logs in through paramiko's keyboard-interactive fallback;
- ``kbd_key``: the same device kind and a key-only credential: ``auth_method_unsupported``
  (moves on, not counted), then the password credential works;
- ``slow``: authentication answered after 3 s with ``timeouts.auth: 1``: ``auth_timeout``, stop,
  nothing counted against the credential;
- ``enable_bad``: login works, enable secret refused: ``enable_failed``, the loop stops, the store
  counts an enable failure and no login failure; ``enable_next``: the same with
  ``next_on_enable_failed``: the next credential is tried and works; ``enable_ok``: ``success``;
- ``locked``: locks after 2 failures: the 3rd (right) credential is ``locked_out`` and the loop
  stops there;
- ``expired``: login works but the device demands a new password: ``password_expired``, stop;
- ``blackhole``: accepts TCP, never speaks SSH (``timeouts.banner: 1``): ``unreachable``, stop;
- ``drops``: hangs up after a failed login: the next credential gets a fresh connection and works.

``enable_ok`` writes to a metrics store that cannot be opened: a warning, and the task still succeeds.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

CREDENTIALS = [
    {"name": "good", "username": "admin", "password": "Canary-good-9f3", "enable_secret": "Canary-en-9f3"},
    {"name": "bad1", "username": "admin", "password": "Canary-bad1-9f3"},
    {"name": "bad2", "username": "admin", "password": "Canary-bad2-9f3"},
    {"name": "wrong_en", "username": "ops", "password": "Canary-ops-9f3", "enable_secret": "Canary-wrong-en-9f3"},
]
LAB = {
    "credentials": CREDENTIALS,
    "devices": [
        {"name": "kbd", "platform": "cisco_ios", "port": "auto", "accept": ["good"], "behaviours": ["keyboard_interactive_only"]},
        {"name": "slow", "platform": "cisco_ios", "port": "auto", "accept": ["good"], "behaviours": [{"slow_auth": 3}]},
        {"name": "enable_bad", "platform": "cisco_ios", "port": "auto", "accept": ["wrong_en", "good"],
         "enable_secret": "Canary-en-9f3"},
        {"name": "enable_next", "platform": "cisco_ios", "port": "auto", "accept": ["wrong_en", "good"],
         "enable_secret": "Canary-en-9f3"},
        {"name": "enable_ok", "platform": "cisco_ios", "port": "auto", "accept": ["good"], "enable_secret": "Canary-en-9f3"},
        {"name": "locked", "platform": "cisco_ios", "port": "auto", "accept": ["good"],
         "behaviours": [{"lockout": {"after": 2, "for": 60}}]},
        {"name": "expired", "platform": "cisco_ios", "port": "auto", "accept": ["good"], "behaviours": ["password_expired"]},
        {"name": "blackhole", "platform": "cisco_ios", "port": "auto", "accept": ["good"], "behaviours": ["blackhole"]},
        {"name": "drops", "platform": "arista_eos", "port": "auto", "accept": ["good"],
         "behaviours": ["disconnect_after_failed_auth"]},
    ],
}


def with_key_credential(tmp_path: Path) -> dict:
    """LAB plus ``key_only`` (an ed25519 key made with ssh-keygen) and the ``kbd_key`` device."""
    key = tmp_path / "keys" / "id_key_only"
    key.parent.mkdir(mode=0o700)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, capture_output=True)
    public = " ".join(key.with_suffix(".pub").read_text().split()[:2])
    spec = {"credentials": CREDENTIALS + [{"name": "key_only", "username": "admin", "public_key": public}],
            "devices": list(LAB["devices"])}
    spec["devices"].append({"name": "kbd_key", "platform": "cisco_ios", "port": "auto", "accept": ["good", "key_only"],
                            "behaviours": ["keyboard_interactive_only"]})
    return spec


def vars_yaml() -> str:
    """``creds`` for the playbook (secrets ``!unsafe``)."""
    lines = ["creds:", "  key_only:", "    name: key_only", "    username: admin",
             "    ssh_key_file: '{{ playbook_dir }}/keys/id_key_only'"]
    for cred in CREDENTIALS:
        lines += [f"  {cred['name']}:", f"    name: {cred['name']}", f"    username: {cred['username']}",
                  f"    password: !unsafe '{cred['password']}'"]
        if "enable_secret" in cred:
            lines.append(f"    enable_secret: !unsafe '{cred['enable_secret']}'")
    return "\n".join(lines) + "\n"


def outcomes(result: dict) -> list[tuple[str, str]]:
    return [(a["credential"], a["outcome"]) for a in result["attempts"]]


@pytest.mark.lab
@pytest.mark.slow
def test_behaviours(lab, cli, tmp_path: Path, play_env: dict[str, str], store_url: str) -> None:
    running = lab(with_key_credential(tmp_path))
    host = cli.lab_host
    hosts = {
        "kbd": host(running.port("kbd"), test_cred_names=["bad1", "good"]),
        "kbd_key": host(running.port("kbd_key"), test_cred_names=["key_only", "good"]),
        "slow": host(running.port("slow"), test_cred_names=["good", "bad1"], test_timeouts={"auth": 1}),
        "enable_bad": host(running.port("enable_bad"), test_cred_names=["wrong_en", "good"], test_enable=True),
        "enable_next": host(running.port("enable_next"), test_cred_names=["wrong_en", "good"], test_enable=True,
                            test_next_on_enable_failed=True),
        "enable_ok": host(running.port("enable_ok"), test_cred_names=["good"], test_enable=True,
                          test_metrics_store=f"sqlite:///{tmp_path / 'no-such-dir' / 'metrics.db'}"),
        "locked": host(running.port("locked"), test_cred_names=["bad1", "bad2", "good"], test_max_attempts=5),
        "expired": host(running.port("expired"), test_cred_names=["good", "bad1"]),
        "blackhole": host(running.port("blackhole"), test_cred_names=["good", "bad1"], test_timeouts={"banner": 1}),
        "drops": host(running.port("drops"), "arista_eos", test_cred_names=["bad1", "good"]),
    }
    proc = cli.run_play(tmp_path, play_env, hosts, vars_text=vars_yaml(), args=("--forks", "10"))
    results = cli.results_of(tmp_path)
    assert set(results) == set(hosts), proc.stdout
    store = open_store(store_url)
    try:
        stats = {s["name"]: s for s in store.credential_stats()}

        kbd = results["kbd"]
        assert outcomes(kbd) == [("bad1", "auth_rejected"), ("good", "success")], kbd
        assert [e["method"] for e in running.auth_log("kbd") if e["accepted"]] == ["keyboard-interactive"]

        kbd_key = results["kbd_key"]
        assert outcomes(kbd_key) == [("key_only", "auth_method_unsupported"), ("good", "success")], kbd_key
        assert kbd_key["attempts"][0]["cause"] == "BadAuthenticationType"
        assert stats.get("key_only", {}).get("failures", 0) == 0

        slow = results["slow"]
        assert slow["failed"] and outcomes(slow) == [("good", "auth_timeout")], slow
        assert not [a for a in store.attempts(device="slow") if a["outcome"] == "auth_rejected"]

        enable_bad = results["enable_bad"]
        assert enable_bad["failed"] and outcomes(enable_bad) == [("wrong_en", "enable_failed")], enable_bad
        assert enable_bad["credential"]["name"] == "wrong_en"  # the login itself worked
        assert enable_bad["attempts"][0]["phase"] == "enable"
        assert (stats["wrong_en"]["enable_failures"], stats["wrong_en"]["failures"]) == (2, 0)  # enable_bad + enable_next
        assert [(e["method"], e["accepted"]) for e in running.auth_log("enable_bad")] == [("password", True)]
        assert [e["accepted"] for e in running.enable_log("enable_bad")] == [False]  # one refused enable, nothing more

        enable_next = results["enable_next"]
        assert outcomes(enable_next) == [("wrong_en", "enable_failed"), ("good", "success")], enable_next

        enable_ok = results["enable_ok"]
        assert enable_ok["outcome"] == "success" and enable_ok["credential"]["name"] == "good", enable_ok
        assert "metrics store not available" in proc.stdout + proc.stderr
        assert not store.attempts(device="enable_ok")

        locked = results["locked"]
        assert outcomes(locked) == [("bad1", "auth_rejected"), ("bad2", "auth_rejected"), ("good", "locked_out")], locked
        assert len(running.auth_log("locked")) <= 3

        expired = results["expired"]
        assert expired["failed"] and outcomes(expired) == [("good", "password_expired")], expired
        assert "bad1" not in [e["credential"] for e in running.auth_log("expired")]

        blackhole = results["blackhole"]
        assert blackhole["failed"] and outcomes(blackhole) == [("good", "unreachable")], blackhole
        assert "SSH protocol banner" in blackhole["attempts"][0]["message"]

        drops = results["drops"]
        assert outcomes(drops) == [("bad1", "auth_rejected"), ("good", "success")], drops
    finally:
        store.close()
