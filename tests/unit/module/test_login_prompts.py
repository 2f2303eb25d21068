"""The post-login rule table and dialogue of cli_command (plugins/module_utils/_login_prompts.py).

Pure rules on device text (the texts are the lab's and those quoted in netmiko issues #3065 and
#1776), and ``converse`` driven by a scripted device with a fake clock: which answers are sent,
that no newline ever answers a question, and how the dialogue ends. The real dialogue against
lab devices is tested in tests/integration/module/test_login_prompts_playbook.py.
"""
from __future__ import annotations

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _login_prompts as L
from ansible_collections.netraven.core.plugins.module_utils import _outcomes as O

FGT = L.parse_rules([{"pattern": "Press 'a' to accept", "answer": "a", "newline": False}])


@pytest.mark.parametrize("raw, error", [
    ([{"answer": "a"}], "login_prompts[0].pattern: must be a non-empty regular expression"),
    ([{"pattern": "x"}, {"pattern": "(unclosed"}], "login_prompts[1].pattern: '(unclosed' is not a valid regular expression"),
    ([{"pattern": "x", "newline": "no"}], "login_prompts[0].newline: must be true or false"),
    ([{"pattern": "x", "anwser": "y"}], "login_prompts[0]: unknown key(s) ['anwser']"),
    (["--More--"], "login_prompts[0]: must be a mapping"),
])
def test_bad_rules_name_the_field(raw, error) -> None:
    with pytest.raises(ValueError) as err:
        L.parse_rules(raw)
    assert str(err.value).startswith(error)


def test_user_rules_come_first_and_defaults_follow_the_platform() -> None:
    rules = L.rules_for("cisco_ios", FGT)
    assert [r.name for r in rules] == ["login_prompts[0]", "default pager", "default press_any_key", "default password_change"]
    assert (rules[0].answer, rules[0].newline, rules[0].repeat) == ("a", False, False)
    assert "default procurve_pager" in [r.name for r in L.rules_for("hp_procurve")]


@pytest.mark.parametrize("text, kind, rule", [
    ("line 23\n --More-- ", L.ANSWER, "default pager"),                              # IOS, EOS (lab)
    ("line 23\n<--- More --->", L.ANSWER, "default pager"),                          # ASA
    ("line 23\n---(more 45%)---", L.ANSWER, "default pager"),                        # Junos
    ("  ---- More ----", L.ANSWER, "default pager"),                                 # Huawei, Comware
    ("Software revision YA.16\n\nPress any key to continue", L.ANSWER, "default press_any_key"),   # ProCurve
    ("Warning: The initial password poses security risks.\nThe password needs to be changed. Change now? [Y/N]:",
     L.ANSWER, "default password_change"),                                           # Huawei (netmiko #1776)
    ("Banner.\n(Press 'a' to accept):", L.QUESTION, None),                            # FortiGate, no rule
    ("Error: Please choose 'YES' or 'NO' first before pressing 'Enter'. [Y/N]:", L.QUESTION, None),
    ("Hello testuser. You must change your password.\nEnter new password: ", L.EXPIRED, None),  # FTD (netmiko #3065)
    ("% Password expired\nNew Password: ", L.EXPIRED, None),                          # lab password_expired
    ("\nr1#", L.PROMPT, None), ("r1>", L.PROMPT, None), ("--- JUNOS 21.4R1\n\nops@r1> ", L.PROMPT, None),
    ("FGT60E (root) # ", L.PROMPT, None), ("<HUAWEI>", L.PROMPT, None), ("[~HUAWEI]", L.PROMPT, None),
    ("ProCurve Switch 2810-24G#", L.PROMPT, None), ("(Cisco Controller) >", L.PROMPT, None),
    ("####################\n# Authorised access only #", L.TEXT, None),               # banner borders are no prompt
    ("Last login: Tue Nov 29 10:00:00 2026 from 10.0.0.1", L.TEXT, None),
    ("\r\n", L.NOTHING, None),
])
def test_decide(text, kind, rule) -> None:
    step = L.decide(text, L.rules_for("cisco_ios"))
    assert (step.kind, step.rule.name if step.rule else None) == (kind, rule)


def test_a_once_only_rule_asked_again_is_the_device_insisting() -> None:
    question = "The password needs to be changed. Change now? [Y/N]:"
    step = L.decide(question, L.rules_for("cisco_ios"), answered=["default password_change"])
    assert (step.kind, step.rule.insists) == (L.INSISTED, O.PASSWORD_EXPIRED)
    pager = L.decide(" --More-- ", L.rules_for("cisco_ios"), answered=["default pager"])
    assert pager.kind == L.ANSWER  # pagers repeat


class Device(L.DeviceIO):
    """A scripted device: ``script`` maps a time (fake seconds) to text it prints then; ``close_at``
    ends the session; ``replies`` maps what is written to the text printed in answer."""

    def __init__(self, script: dict[float, str], replies: dict[str, str] | None = None, close_at: float | None = None):
        self.now = 0.0
        self.script = dict(script)
        self.replies = replies or {}
        self.close_at = close_at
        self.written: list[str] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def read(self) -> str:
        due = sorted(t for t in self.script if t <= self.now)
        return "".join(self.script.pop(t) for t in due)

    def write(self, text: str) -> None:
        self.written.append(text)
        if text in self.replies:
            self.script[self.now + 0.05] = self.replies.pop(text)
        elif text != "\n" and self.close_at is None:
            self.close_at = self.now + 0.05  # FortiGate: any other byte ends the session

    def closed(self) -> bool:
        return self.close_at is not None and self.now >= self.close_at


def talk(device: Device, rules=(), read_timeout: float = 30.0) -> L.Conversation:
    return L.converse(device, L.rules_for("cisco_ios", rules), read_timeout, clock=device.clock, sleep=device.sleep)


def test_a_question_without_rule_gets_no_newline_and_fails_quickly() -> None:
    device = Device({0.1: "Authorised use only.\n(Press 'a' to accept):"})
    result = talk(device)
    assert device.written == []
    assert result.outcome == O.POST_AUTH_INTERACTION_FAILED and "\"(Press 'a' to accept):\"" in result.detail
    assert device.now < 0.1 + L.SETTLE + 0.1


def test_rules_answer_in_order_until_the_prompt() -> None:
    replies = {"a": "line 1\n --More-- ", " ": "\nChange now? [Y/N]:", "N\n": "\nr1#"}
    device = Device({0.1: "(Press 'a' to accept):"}, replies=replies)
    result = talk(device, FGT)
    assert result.outcome is None
    assert device.written == ["a", " ", "N\n"]
    assert result.answers == ("login_prompts[0]", "default pager", "default password_change")


def test_the_device_closing_after_an_answer_is_noticed_at_once() -> None:
    wrong = L.parse_rules([{"pattern": "Press 'a' to accept", "answer": "yes"}])
    device = Device({0.1: "(Press 'a' to accept):"})
    result = talk(device, wrong)
    assert device.written == ["yes\n"]
    assert result.outcome == O.POST_AUTH_INTERACTION_FAILED
    assert result.detail.startswith("the device closed the session after the answer to login_prompts[0]")
    assert device.now < 0.2


def test_one_newline_only_when_nothing_is_recognised() -> None:
    silent = Device({}, replies={"\n": "\nr1#"})
    assert talk(silent).outcome is None and silent.written == ["\n"]
    assert L.NUDGE_AFTER <= silent.now < L.NUDGE_AFTER + 0.2
    mute = Device({})
    result = talk(mute, read_timeout=5)
    assert (result.outcome, mute.written) == (O.COMMAND_TIMEOUT, ["\n"])
