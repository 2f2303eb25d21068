# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of netraven.core.save_report: the report's files written in the worker.

``ansible.builtin.copy``/``template``/``file`` run module processes even for the controller; the
report's three files cost several of them per run. Here they are written in the worker, with the
same atomic writer as the backups (``_files.save``), and never reported as a change.
"""
from __future__ import annotations

import json
import os
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.netraven.core.plugins.plugin_utils._files import save

SPEC: dict[str, dict[str, Any]] = dict(
    dir=dict(type="path", required=True), data=dict(type="dict"), markdown=dict(type="str"),
    html=dict(type="str"), mode=dict(type="str", default="0640"),
)
FILES = (("data", "report.json"), ("markdown", "report.md"), ("html", "report.html"))
"""(option, file name), in the order they are written."""


def render(option: str, value: Any) -> str:
    """The text written for ``option``: the data as indented JSON with sorted keys, else the text as given."""
    if option == "data":
        return json.dumps(value, indent=4, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    return str(value)


class ActionModule(ActionBase):
    """Write the report's files; see DOCUMENTATION of the module."""

    TRANSFERS_FILES = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return ``{"changed": False, "paths": [...]}``; AnsibleActionFail names the file that could not be written."""
        result = super().run(tmp, task_vars)
        checked = ArgumentSpecValidator(SPEC).validate(dict(self._task.args))
        if checked.error_messages:
            raise AnsibleActionFail("netraven.core.save_report: " + "; ".join(checked.error_messages))
        params = checked.validated_parameters
        try:
            mode = int(params["mode"], 8)
        except ValueError:
            raise AnsibleActionFail(f"netraven.core.save_report: mode {params['mode']!r} is not an octal file mode such as '0640'") from None
        folder = os.path.realpath(os.path.expanduser(params["dir"]))
        paths = []
        for option, name in FILES:
            if params[option] is None:
                continue
            path = os.path.join(folder, name)
            try:
                save(path, render(option, params[option]), mode=mode, check_mode=bool(self._play_context.check_mode))
            except OSError as exc:
                raise AnsibleActionFail(f"netraven.core.save_report: cannot write {path}: {exc.strerror}") from None
            paths.append(path)
        result.update(changed=False, paths=paths)
        return result
