"""Post-login banners, pagers and questions (issue 14), through one real `ansible-playbook netraven.core.backup`.

One module-scoped lab and one run over a netraven.core.devices inventory, host key checking on
(the lab's known_hosts), rules from a group variable:

- ``fgt`` (FortiGate-style: waits for the single key ``a``, closes on any other byte), in group
  ``tag_fortigate`` whose ``netraven_login_prompts`` accepts the banner; ``asa`` (a 60-line MOTD
  paged with ``<--- More --->``), ``procurve`` ("Press any key to continue") and ``yn`` (Huawei's
  ``Change now? [Y/N]:``, declining is accepted) need only the shipped defaults: each is backed up;
- ``fgt_norule``: the same banner without a rule: ``post_auth_interaction_failed``, decided by the
  unanswered question (not a read timeout), its banner line quoted with the secret redacted, no
  credential failure in the store, the report flags the device;
- ``fgt_wrong``: a rule with the wrong answer: the device closes, ``post_auth_interaction_failed``;
- ``yn_insist``: the device refuses the ``N``: ``password_expired`` and no further credential tried;
- ``v6``: listens on ``[::1]``; backed up, its metrics key is its name.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store
from ansible_collections.netraven.core.plugins.plugin_utils._redact import redact_config

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
CANARIES = {"c-first": "Canary-prompts-first-9f3", "c-second": "Canary-prompts-second-9f3",
            "c-third": "Canary-prompts-third-9f3"}
FGT_BANNER = {"prompt": "FortiGate lab post-login banner: authorised use only.\n(Press 'a' to accept):", "answer": "a",
              "strict": True}
# A device that echoes a secret in the line it waits at: the message quoting that line must redact it.
LEAKY_BANNER = dict(FGT_BANNER, prompt=f"Banner for {CANARIES['c-first']} holders. (Press 'a' to accept):")
FGT_RULE = [{"pattern": "Press 'a' to accept", "answer": "a", "newline": False}]
BACKED_UP = ("fgt", "asa", "procurve", "yn", "v6")
READ_TIMEOUT = 20


def _device(name: str, platform: str, config: str, behaviours: list, **extra) -> dict:
    return {"name": name, "platform": platform, "port": "auto", "accept": ["c-first"],
            "running_config": f"configs/{config}", "behaviours": behaviours, **extra}


SPEC = {
    "name": "prompts",
    "credentials": [{"name": n, "username": n.split("-")[1], "password": p, "priority": 10 * (i + 1), "tags": ["default"]}
                    for i, (n, p) in enumerate(CANARIES.items())],
    "devices": [
        _device("fgt", "cisco_ios", "cisco_ios_rtr2811.cfg", [{"banner_ack": FGT_BANNER}], tags=["fortigate"]),
        _device("fgt_norule", "cisco_ios", "cisco_ios_rtr2811.cfg", [{"banner_ack": LEAKY_BANNER}]),
        _device("fgt_wrong", "cisco_ios", "cisco_ios_rtr2811.cfg", [{"banner_ack": FGT_BANNER}]),
        _device("asa", "cisco_asa", "cisco_asa_jcy-fw-01.cfg", [{"paged_banner": 60}]),
        _device("procurve", "cisco_ios", "cisco_ios_as2border1.cfg", ["press_any_key"]),
        _device("yn", "cisco_ios", "cisco_ios_csr1-bgp.cfg", ["password_change"]),
        _device("yn_insist", "cisco_ios", "cisco_ios_csr1-bgp.cfg", [{"password_change": {"insist": True}}]),
        _device("v6", "arista_eos", "arista_eos_veos.cfg", [], address="::1"),
    ],
}


def _env(tmp: Path) -> dict[str, str]:
    """As the ``ansible_env`` fixture (function-scoped there), for this module-scoped run."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "collections"),
               ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               XDG_DATA_HOME=str(tmp / "xdg"))
    env.pop("NETRAVEN_METRICS_STORE", None)
    return env


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Start the lab, write the inventory, run the backup playbook once; yield what the tests read."""
    from lab import start  # pylint: disable=import-outside-toplevel

    tmp = tmp_path_factory.mktemp("login-prompts")
    lab = start(SPEC, state_dir=tmp / "lab")
    try:
        inv = tmp / "inventory"
        (inv / "group_vars").mkdir(parents=True)
        (inv / "lab.netraven.yml").write_text(f"plugin: netraven.core.devices\nsource: {lab.state_dir / 'inventory.yml'}\n")
        store_url = f"sqlite:///{tmp / 'metrics.db'}"
        (inv / "group_vars" / "all.yml").write_text(yaml.safe_dump({
            "netraven_credentials": [lab.credential(name) for name in CANARIES],
            "netraven_metrics_store": store_url,
            "config_backup_command_options": {"known_hosts_file": str(lab.known_hosts), "host_key_checking": True,
                                              "timeouts": {"read": READ_TIMEOUT}},
        }))
        (inv / "group_vars" / "tag_fortigate.yml").write_text(yaml.safe_dump({"netraven_login_prompts": FGT_RULE}))
        (inv / "host_vars").mkdir()
        (inv / "host_vars" / "fgt_wrong.yml").write_text(yaml.safe_dump(
            {"netraven_login_prompts": [{"pattern": "Press 'a' to accept", "answer": "yes"}]}))
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.backup", "-i", str(inv),
               "-e", f"config_backup_dir={tmp / 'backups'}", "-e", f"credential_report_dir={tmp / 'report'}"]
        proc = subprocess.run(cmd, cwd=tmp, env=_env(tmp), capture_output=True, text=True, timeout=300, check=False)
        with open_store(store_url) as store:
            attempts = store.attempts(limit=None)
            stats = {s["name"]: s for s in store.credential_stats()}
            bindings = {b["device"]: b["credential"] for b in store.bindings()}
        yield {"lab": lab, "tmp": tmp, "proc": proc, "out": proc.stdout + proc.stderr, "stats": stats, "bindings": bindings,
               "attempts": {d["name"]: [a for a in attempts if a["device"] == d["name"]] for d in SPEC["devices"]}}
    finally:
        lab.stop()


def test_devices_with_the_right_rule_are_backed_up(run) -> None:
    assert run["proc"].returncode == 2, run["out"][-4000:]  # three devices fail on purpose
    for name in BACKED_UP:
        served = run["lab"].spec.device(name).running_config
        assert (run["tmp"] / "backups" / f"{name}.cfg").read_text() == redact_config(served), name
        assert [(a["credential"], a["outcome"]) for a in run["attempts"][name]] == [("c-first", "success")], name
    assert sorted(p.stem for p in (run["tmp"] / "backups").glob("*.cfg")) == sorted(BACKED_UP)


def test_a_banner_no_rule_answers_stops_at_once_without_blaming_the_credential(run) -> None:
    [attempt] = run["attempts"]["fgt_norule"]
    assert attempt["outcome"] == "post_auth_interaction_failed"
    assert "no login_prompts rule answers \"Banner for ******** holders. (Press 'a' to accept):\"" in attempt["message"]
    # decided by the unanswered question, well before the read timeout (measured: about 0.6 s)
    assert attempt["elapsed_ms"] < READ_TIMEOUT * 1000 / 4, attempt
    assert [r["accepted"] for r in run["lab"].auth_log("fgt_norule")] == [True]  # it logged in, once
    assert run["stats"]["c-first"]["failures"] == 0 and "c-second" not in run["stats"]
    report = json.loads((run["tmp"] / "report" / "report.json").read_text())
    assert report["summary"]["needs_login_prompt_rule"] == ["fgt_norule", "fgt_wrong"]
    assert "fgt_norule" not in report["summary"]["no_credential_works"]
    assert 'post_auth_interaction_failed: fgt_norule: logged in with c-first, then post_auth_interaction_failed' in run["out"]


def test_the_device_closing_after_a_wrong_answer_is_an_interaction_failure(run) -> None:
    [attempt] = run["attempts"]["fgt_wrong"]
    assert attempt["outcome"] == "post_auth_interaction_failed"
    assert "the device closed the session after the answer to login_prompts[0]" in attempt["message"]
    assert "% Banner not acknowledged: disconnecting" in attempt["message"]
    assert attempt["elapsed_ms"] < READ_TIMEOUT * 1000 / 4, attempt


def test_a_device_insisting_on_a_new_password_is_password_expired(run) -> None:
    assert [(a["credential"], a["outcome"]) for a in run["attempts"]["yn_insist"]] == [("c-first", "password_expired")]
    assert "the device asked again after the answer to default password_change" in run["attempts"]["yn_insist"][0]["message"]
    assert len(run["lab"].auth_log("yn_insist")) == 1  # c-second and c-third were never offered


def test_a_device_on_ipv6_loopback_is_keyed_by_its_name(run) -> None:
    assert run["lab"].device("v6")["inventory"]["host"] == "::1"
    assert run["bindings"]["v6"] == "c-first"
    assert run["lab"].auth_log("v6")[0]["peer"].startswith("::1:")


def test_no_secret_in_the_output_or_the_store(run) -> None:
    for secret in CANARIES.values():
        assert secret not in run["out"]
        for path in run["tmp"].glob("metrics.db*"):
            assert secret.encode() not in path.read_bytes(), path
