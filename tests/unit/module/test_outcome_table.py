"""The outcome table (module_utils/_outcomes.py) is the one list of outcome words: every place that
lists them for users lists exactly its words, and the sets the loop and the store use follow it."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from ansible_collections.netraven.core.plugins.lookup import credential_metrics
from ansible_collections.netraven.core.plugins.module_utils import _outcomes
from ansible_collections.netraven.core.plugins.modules import cli_command

ROOT = Path(__file__).resolve().parents[3]


def test_the_sets_follow_the_table() -> None:
    assert len(set(_outcomes.ALL)) == len(_outcomes.TABLE)
    assert _outcomes.MOVE_ON == {"auth_rejected", "auth_method_unsupported", "aaa_budget_exhausted"}
    assert _outcomes.AAA_FAILURE == {"auth_rejected", "locked_out"}
    assert _outcomes.NOTHING_SENT == {"aaa_budget_exhausted"} and not _outcomes.NOTHING_SENT & _outcomes.COUNTED
    assert _outcomes.COUNTED == {"success", "auth_rejected", "enable_failed"}
    assert _outcomes.LOGGED_IN >= {"success", "enable_failed", "command_failed", "command_timeout"}
    assert not _outcomes.MOVE_ON & _outcomes.LOGGED_IN
    assert set(_outcomes.MESSAGES) == set(_outcomes.ALL) and all(_outcomes.MESSAGES.values())


def test_the_module_description_lists_every_outcome() -> None:
    description = " ".join(yaml.safe_load(cli_command.DOCUMENTATION)["description"])
    listed = re.search(r"into one\s+outcome word \((.*?)\) and written", description).group(1)
    assert re.findall(r"V\((\w+)\)", listed) == list(_outcomes.ALL)


def test_the_metrics_lookup_accepts_exactly_the_outcomes() -> None:
    choices = yaml.safe_load(credential_metrics.DOCUMENTATION)["options"]["outcome"]["choices"]
    assert choices == list(_outcomes.ALL)


def test_the_cli_command_guide_tables_every_outcome() -> None:
    guide = (ROOT / "docs" / "docsite" / "rst" / "cli_command.rst").read_text()
    table = guide.split("| outcome ", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| ``(\w+)``", table, re.M)
    assert sorted(rows) == sorted(_outcomes.ALL)
    moves_on = {word for word in rows if re.search(rf"^\| ``{word}`` +\|[^|]*\| \*\*yes\*\*", table, re.M)}
    assert moves_on == _outcomes.MOVE_ON


def test_the_metrics_guide_names_every_outcome() -> None:
    guide = (ROOT / "docs" / "docsite" / "rst" / "metrics.rst").read_text()
    assert [word for word in _outcomes.ALL if word not in guide] == []
