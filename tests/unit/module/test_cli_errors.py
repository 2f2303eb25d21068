"""The CLI-error rules (module_utils/_cli_errors.py) on each platform's real wording, and the
loop's messages and not-tried list (issue 18 items 6, 7, 23)."""
from __future__ import annotations

import pytest

from ansible_collections.netraven.core.plugins.module_utils import _attempts as A
from ansible_collections.netraven.core.plugins.module_utils import _cli_errors as E
from ansible_collections.netraven.core.plugins.module_utils import _outcomes as O

CARET = "                 ^\n"


@pytest.mark.parametrize("platform, output", [
    ("cisco_ios", CARET + "% Invalid input detected at '^' marker.\n"),
    ("cisco_ios", "% Unknown command or computer name, or unable to find computer address\n"),
    ("cisco_ios", "% Incomplete command.\n"),
    ("cisco_ios", "% Ambiguous command:  \"sh\"\n"),
    ("cisco_xe", "Unknown command\n"),  # another project's device emulator
    ("cisco_asa", CARET + "ERROR: % Invalid input detected at '^' marker.\n"),
    ("cisco_nxos", CARET + "% Invalid command at '^' marker.\n"),
    ("arista_eos", "% Invalid input\n"),
    ("arista_eos", "% Incomplete command\n"),
    ("juniper_junos", "                     ^\nunknown command.\n"),
    ("juniper_junos", "error: unknown command: foo\n"),
    ("juniper_junos", "syntax error, expecting <command>.\n"),
    ("huawei", "              ^\nError: Unrecognized command found at '^' position.\n"),
    ("hp_comware", "Error: Incomplete command found at '^' position.\n"),
    ("some_new_platform", "% Invalid input detected at '^' marker.\n"),
])
def test_each_platform_wording_is_a_cli_error(platform: str, output: str) -> None:
    line = E.first_error(output, E.rules_for(platform))
    assert line and line == output.strip().splitlines()[-1].strip()


def test_errors_deeper_in_the_output_are_text_not_answers() -> None:
    config = "!\nhostname r1\n!\nbanner motd ^\n% Invalid input is what users see\n^\nend\n"
    assert E.first_error(config, E.rules_for("cisco_ios")) is None
    assert E.first_error("hostname r1\n", E.rules_for("cisco_ios")) is None


def test_overrides_replace_the_rules_and_an_empty_list_accepts_everything() -> None:
    assert E.first_error("% Invalid input detected\n", E.rules_for("cisco_ios", [])) is None
    assert E.first_error("NOPE: not here\n", E.rules_for("cisco_ios", [r"NOPE:"])) == "NOPE: not here"


def _fake(outcomes: list[str]):
    results = iter(outcomes)

    def attempt(target, cred, commands, timeouts):
        return {"outcome": next(results), "phase": "connect", "exception": None, "cause": None, "detail": "", "stdout": []}
    return attempt


CREDS = [{"name": n, "username": "u", "password": f"Canary-{n}-9f3"} for n in ("a", "b", "c", "d")]


@pytest.mark.parametrize("stop", [O.UNREACHABLE, O.PASSWORD_EXPIRED, O.HOSTKEY_UNKNOWN, O.LOCKED_OUT])
def test_an_early_stop_names_every_credential_not_tried(stop: str) -> None:
    summary = A.run_attempts(A.Target(host="h"), CREDS, [], max_attempts=3, attempt=_fake([O.AUTH_REJECTED, stop]))
    assert [n["credential"] for n in summary["not_tried"]] == ["c", "d"]
    assert all(n["reason"] == f"stopped after {stop} with b" for n in summary["not_tried"])


def test_a_success_leaves_the_rest_unlisted() -> None:
    summary = A.run_attempts(A.Target(host="h"), CREDS, [], attempt=_fake([O.SUCCESS]))
    assert summary["not_tried"] == []


def test_long_details_are_cut_at_a_word_with_an_ellipsis() -> None:
    detail = "word " * 100
    message = A._message({"outcome": O.COMMAND_FAILED, "cause": "OSError", "detail": detail})
    inner = message.split("(OSError: ", 1)[1].rstrip(")")
    assert inner.endswith(" …") and len(inner) <= A.DETAIL_CHARS
    assert inner[:-2].split(" ")[-1] == "word"  # no word cut in half


def test_the_expired_message_says_it_once() -> None:
    message = A._message({"outcome": O.PASSWORD_EXPIRED, "cause": None, "detail": "the device says: New password:"})
    assert message == "logged in, but the device demands a new password (the device says: New password:)"
