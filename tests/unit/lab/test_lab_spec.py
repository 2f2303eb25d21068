"""Lab file validation (lab.spec), command matching (lab.platforms) and host keys (lab.hostkeys)."""
from __future__ import annotations

from pathlib import Path

import pytest

from lab.hostkeys import device_host_key, public_line
from lab.platforms import IOS_LIKE_TABLE, JUNOS_TABLE, match
from lab.shell import _word_column
from lab.spec import LabSpecError, load_lab

REPO = Path(__file__).resolve().parents[3]
CRED = {"name": "c1", "username": "u", "password": "Canary-lab-spec-9f3"}


def _spec(**device):
    return {"credentials": [CRED], "devices": [{"name": "r1", "platform": "cisco_ios", **device}]}


def test_lab_demo_file_is_valid():
    spec = load_lab(REPO / "lab" / "demo.yml")
    assert spec.name == "demo" and len(spec.devices) == 12
    assert {d.platform for d in spec.devices} == {"cisco_ios", "arista_eos", "juniper_junos"}
    assert [c.priority for c in spec.credentials] == sorted(c.priority for c in spec.credentials)
    assert spec.device("dc-leaf2").behaviours.lockout_after == 2
    assert spec.device("br2-fw1").behaviours.unreachable
    assert spec.device("br2-rtr1").enable_secret == spec.credential("lab-tacacs").enable_secret
    raw = (REPO / "lab" / "configs" / "juniper_junos_ag3-2-mx480-set.cfg").read_text(encoding="utf-8")
    assert spec.device("dc-mx1").running_config == raw


def test_lab_behaviours_are_normalised():
    beh = load_lab(_spec(behaviours=["disconnect_after_failed_auth", {"slow_auth": 2}, {"lockout": {"after": 3, "for": 9}},
                                     {"banner_ack": {"prompt": "OK? ", "answer": "y"}}, {"max_auth_tries": 4}])).devices[0].behaviours
    assert (beh.disconnect_after_failed_auth, beh.slow_auth, beh.lockout_after, beh.lockout_for) == (True, 2.0, 3, 9.0)
    assert (beh.banner_prompt, beh.banner_answer, beh.max_auth_tries) == ("OK? ", "y", 4)
    assert beh.names() == ["disconnect_after_failed_auth", "banner_ack", "slow_auth=2s", "max_auth_tries=4", "lockout=3x/9s"]
    assert load_lab(_spec(behaviours=["normal"])).devices[0].behaviours.names() == ["normal"]
    talk = load_lab(_spec(address="::1", behaviours=[{"banner_ack": {"prompt": "(Press 'a' to accept):", "answer": "a", "strict": True}},
                                                     {"paged_banner": 60}, "press_any_key",
                                                     {"password_change": {"insist": True}}])).devices[0]
    beh = talk.behaviours
    assert talk.address == "::1" and (beh.banner_answer, beh.banner_strict, beh.paged_banner) == ("a", True, 60)
    assert beh.any_key_prompt.endswith("Press any key to continue") and beh.password_change_prompt.endswith("[Y/N]:")
    assert beh.names() == ["banner_ack(strict)", "press_any_key", "password_change(insist)", "paged_banner=60"]
    assert load_lab(_spec(behaviours={"slow_auth": 1})).devices[0].behaviours.slow_auth == 1.0


@pytest.mark.parametrize("device, message", [
    ({"platform": "vyos"}, "device r1.platform: must be one of"),
    ({"accept": ["nope"]}, "device r1.accept: names credential 'nope'"),
    ({"port": 70000}, "device r1.port: must be 'auto' or 1-65535"),
    ({"behaviours": ["explode"]}, "device r1.behaviours.explode: unknown behaviour"),
    ({"behaviours": [{"lockout": {"after": 0}}]}, "device r1.behaviours.lockout.after: must be >= 1"),
    ({"behaviours": ["unreachable", "blackhole"]}, "unreachable and blackhole exclude each other"),
    ({"running_config": "configs/missing.cfg"}, "device r1.running_config: cannot read"),
    ({"colour": "red"}, "device r1: unknown field(s) ['colour']"),
    ({"platform": "juniper_junos", "enable_secret": "x"}, "juniper_junos has no enable mode"),
    ({"commands": {"show x": {"output": "y", "delay": -1}}}, "device r1.commands.show x.delay: must be >= 0"),
    ({"commands": ["show x"]}, "device r1.commands: must map command strings"),
    ({"behaviours": ["publickey_only", "keyboard_interactive_only"]}, "exclude each other"),
    ({"address": "0.0.0.0"}, "device r1.address: must be one of 127.0.0.1, ::1"),
    ({"behaviours": [{"paged_banner": 0}]}, "device r1.behaviours.paged_banner: must be >= 1"),
    ({"behaviours": [{"password_change": {"insist": "yes"}}]}, "device r1.behaviours.password_change: must be true or a mapping"),
])
def test_lab_bad_device_names_device_and_field(device, message):
    with pytest.raises(LabSpecError) as err:
        load_lab(_spec(**device))
    assert message in str(err.value)
    assert "Canary-lab-spec-9f3" not in str(err.value)


def test_lab_bad_file_names_the_file(tmp_path):
    bad = tmp_path / "broken.yml"
    bad.write_text("credentials: []\ndevices:\n  - {name: a, platform: cisco_ios}\n  - {name: a, platform: cisco_ios}\n")
    with pytest.raises(LabSpecError, match=r"broken.yml: devices: duplicate name\(s\) \['a'\]"):
        load_lab(bad)
    with pytest.raises(LabSpecError, match="credentials"):
        load_lab({"devices": [{"name": "a", "platform": "cisco_ios"}], "credentials": [{"name": "x", "username": "u"}]})


def test_lab_extra_commands_are_normalised():
    dev = load_lab(_spec(commands={"show a": "A", "show b": {"output": "B", "delay": 2}, "show c": {"delay": 1}})).devices[0]
    assert dev.commands == (("show a", "A", 0.0), ("show b", "B", 2.0), ("show c", "", 1.0))


def test_lab_command_matching_by_prefix():
    assert match(IOS_LIKE_TABLE, ["sh", "run"])[0] == "show_config"
    assert match(IOS_LIKE_TABLE, ["terminal", "length", "0"])[0] == "term_length"
    assert match(IOS_LIKE_TABLE, ["show", "frobnicate"]) == (None, 1, False)
    assert match(IOS_LIKE_TABLE, ["show"])[2] is True
    assert match(JUNOS_TABLE, ["show", "configuration", "|", "display", "set"])[0] == "show_config"
    assert _word_column("show  frobnicate", 1) == 6


def test_lab_host_key_is_stable_per_name():
    assert public_line(device_host_key("r1")) == public_line(device_host_key("r1"))
    assert public_line(device_host_key("r1")) != public_line(device_host_key("r2"))
    assert public_line(device_host_key("r1")).startswith("ssh-ed25519 ")


@pytest.mark.parametrize("latency, message", [
    (-5, "device r1.latency_ms: must be >= 0"),
    ("fast", "device r1.latency_ms: must be a number"),
    (20000, "device r1.latency_ms: must be <= 10000"),
])
def test_lab_latency_ms_is_a_round_trip_in_ms(latency, message):
    assert load_lab(_spec(latency_ms=100)).devices[0].latency_ms == 100.0
    assert load_lab(_spec()).devices[0].latency_ms == 0.0
    with pytest.raises(LabSpecError, match=message.replace("(", r"\(")):
        load_lab(_spec(latency_ms=latency))
