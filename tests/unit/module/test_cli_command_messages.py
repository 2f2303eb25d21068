"""The failed task's message of netraven.core.cli_command: every credential and its outcome, never a secret."""
from __future__ import annotations

from ansible_collections.netraven.core.plugins.module_utils._cli_command import failure_message


def attempt(name: str, outcome: str, message: str = "m") -> dict:
    return {"credential": name, "outcome": outcome, "message": message}


def test_all_rejected_and_not_tried() -> None:
    summary = {"outcome": "auth_rejected", "attempts": [attempt("c1", "auth_rejected"), attempt("c2", "auth_rejected")],
               "not_tried": [{"credential": "c3", "reason": "max_attempts (2) reached"}]}
    assert failure_message("r1", summary) == (
        "r1: no credential worked (attempts: c1=auth_rejected, c2=auth_rejected) (not tried: c3: max_attempts (2) reached)")


def test_stopped_on_a_device_problem() -> None:
    summary = {"outcome": "unreachable", "attempts": [attempt("c1", "unreachable", "refused")], "not_tried": []}
    assert failure_message("r2", summary) == "r2: stopped on unreachable: refused (attempts: c1=unreachable)"


def test_logged_in_then_enable_failed() -> None:
    summary = {"outcome": "enable_failed", "attempts": [attempt("c1", "auth_rejected"), attempt("c2", "enable_failed", "no")],
               "not_tried": []}
    assert failure_message("r3", summary) == (
        "r3: logged in with c2, then enable_failed: no (attempts: c1=auth_rejected, c2=enable_failed)")


def test_nothing_to_try() -> None:
    assert "no credentials to try" in failure_message("r4", {"outcome": None, "attempts": [], "not_tried": []})


def test_platform_must_be_a_netmiko_device_type() -> None:
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    from ansible_collections.netraven.core.plugins.module_utils._cli_command import argument_spec, check_params

    def problem(platform: str) -> str | None:
        result = ArgumentSpecValidator(argument_spec()).validate({"host": "192.0.2.1", "platform": platform})
        assert not result.error_messages
        return check_params(result.validated_parameters)

    assert problem("arista_eos") is None
    assert problem("cisco_iso") == "platform 'cisco_iso' is not a netmiko device_type"
