"""fetch_config's per-device step (``back_up_one``) without a device: the result, fact and message words."""
from __future__ import annotations

from pathlib import Path

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.netraven.core.plugins.action.fetch_config import back_up_one
from ansible_collections.netraven.core.plugins.module_utils import _fetch_config


def _save(folder: Path) -> dict:
    """The save options as the action validates them, with ``dir_path`` set."""
    return ArgumentSpecValidator(_fetch_config.save_argument_spec()).validate({"dir_path": str(folder)}).validated_parameters


def test_no_credential_to_try_is_one_word_in_result_fact_and_message(tmp_path: Path) -> None:
    """A read that failed before any login (no credential shares a tag with the device) says
    no_credentials in its outcome, its message and the device's fact alike (a trial found the fact
    saying invalid_options in per-host mode and not_run in fleet mode)."""
    def read(_params: dict) -> dict:
        return {"failed": True, "changed": False, "credential": None, "attempts": [], "not_tried": [],
                "msg": "r9: no credentials to try (none given, or none shares a tag with the device)"}

    facts: dict = {}
    result = back_up_one("r9", {"platform": "cisco_ios"}, _save(tmp_path), read, check_mode=False, want_diff=False, facts=facts)
    assert result["failed"] and result["outcome"] == "no_credentials"
    assert result["msg"].startswith("no_credentials: r9: no credentials to try")
    assert facts["r9"]["outcome"] == "no_credentials"
    assert not list(tmp_path.iterdir())  # nothing written
