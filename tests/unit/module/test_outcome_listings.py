"""Every outcome word of ``_outcomes.ALL`` is listed wherever outcomes are enumerated for users."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.netraven.core.plugins.lookup import credential_metrics
from ansible_collections.netraven.core.plugins.module_utils import _attempts, _outcomes
from ansible_collections.netraven.core.plugins.modules import cli_command

REPO = Path(__file__).resolve().parents[3]


def test_messages_and_lookup_choices_cover_every_outcome() -> None:
    assert set(_attempts.MESSAGES) == set(_outcomes.ALL)
    choices = yaml.safe_load(credential_metrics.DOCUMENTATION)["options"]["outcome"]["choices"]
    assert choices == list(_outcomes.ALL)


def _guide(name: str) -> str:
    """The user guide ``name`` under docs/, whatever its format (.md or docsite .rst)."""
    return next(p for p in sorted(REPO.glob(f"docs/**/{name}.*")) if p.suffix in (".md", ".rst")).read_text()


@pytest.mark.parametrize("text", [cli_command.DOCUMENTATION, _guide("cli_command"), _guide("metrics")],
                         ids=["module", "cli_command guide", "metrics guide"])
def test_user_documentation_names_every_outcome(text: str) -> None:
    assert [word for word in _outcomes.ALL if word not in text] == []
