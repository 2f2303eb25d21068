# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of netraven.core.save_report, shared by its module (documentation, argument check) and
its action plugin (which does the work on the controller)."""
from __future__ import annotations

from typing import Any

ARGUMENT_SPEC: dict[str, dict[str, Any]] = dict(
    dir=dict(type="path", required=True), data=dict(type="dict"), markdown=dict(type="str"),
    markdown_template=dict(type="str"), data_var=dict(type="str", default="report"),
    html=dict(type="str"), html_title=dict(type="str"), return_sections=dict(type="list", elements="str", default=[]),
    mode=dict(type="str", default="0640"),
)
MUTUALLY_EXCLUSIVE: list[list[str]] = [["markdown", "markdown_template"], ["html", "html_title"]]
"""Options that give the same file."""
