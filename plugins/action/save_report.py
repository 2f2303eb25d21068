# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of netraven.core.save_report: the report's files written in the worker.

``ansible.builtin.copy``/``template``/``file`` run module processes even for the controller; the
report's three files cost several of them per run. Here they are written in the worker, with the
same atomic writer as the backups (``_files.save``), and never reported as a change.

The role netraven.core.credential_report builds the report in this task's ``data`` argument and
lets the task render the Markdown (``markdown_template``) and HTML (``html_title``) pages from it,
so the report is built once and never passes through a fact (one task instead of two, and the
report's data is not templated again: bench/README.md, P7 and P8).
"""
from __future__ import annotations

import json
import os
from typing import Any

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.netraven.core.plugins.module_utils._save_report import ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE
from ansible_collections.netraven.core.plugins.plugin_utils._files import save

try:  # ansible-core 2.19 templates only trusted text (the template action and lookup trust their file)
    from ansible.template import trust_as_template
except ImportError:  # before 2.19 every string is a template
    def trust_as_template(value: str) -> str:
        """Before ansible-core 2.19: the text as given."""
        return value

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
        checked = ArgumentSpecValidator(ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE).validate(dict(self._task.args))
        if checked.error_messages:
            raise AnsibleActionFail("netraven.core.save_report: " + "; ".join(checked.error_messages))
        params = checked.validated_parameters
        if (params["markdown_template"] is not None or params["html_title"] is not None) and params["data"] is None:
            raise AnsibleActionFail("netraven.core.save_report: markdown_template and html_title render data; give data")
        unknown = [key for key in params["return_sections"] if key not in (params["data"] or {})]
        if unknown:
            raise AnsibleActionFail(f"netraven.core.save_report: return_sections: data has no {', '.join(map(repr, unknown))} "
                                    f"(it has: {', '.join(sorted(map(str, params['data'] or {}))) or 'nothing'})")
        if params["markdown_template"] is not None:
            params["markdown"] = self._render_template(params["markdown_template"], params["data_var"], params["data"], task_vars or {})
        if params["html_title"] is not None:
            params["html"] = self._render_html(params["data"], params["html_title"])
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
        if params["return_sections"]:
            result["data"] = {key: params["data"][key] for key in params["return_sections"]}
        return result

    def _render_template(self, name: str, data_var: str, data: dict[str, Any], task_vars: dict[str, Any]) -> str:
        """The Jinja template ``name`` (found as ``ansible.builtin.template`` finds its ``src``: the role's
        ``templates`` folder first) rendered with the task's variables and ``data_var`` = ``data``, as the
        template lookup renders it (trailing newlines kept, backslashes not escaped). AnsibleActionFail
        names a template that is missing or does not render."""
        try:
            path = self._find_needle("templates", name)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (AnsibleError, OSError) as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]  # not the folders Ansible searched
            raise AnsibleActionFail(f"netraven.core.save_report: cannot read the template {name}: {reason}") from None
        templar = self._templar.copy_with_new_env(available_variables=dict(task_vars, **{data_var: data}))
        try:
            return str(templar.template(trust_as_template(text), preserve_trailing_newlines=True, escape_backslashes=False))
        except AnsibleError as exc:
            raise AnsibleActionFail(f"netraven.core.save_report: the template {name} does not render: {exc}") from None

    @staticmethod
    def _render_html(data: dict[str, Any], title: str) -> str:
        """The credential report's HTML page for ``data`` (as the filter netraven.core.credential_report_html renders it)."""
        # Imported when used: the HTML page is only for the credential report.
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.netraven.core.plugins.plugin_utils._report_html import render_html
        try:
            return render_html(data, title=title)
        except (KeyError, TypeError, ValueError) as exc:
            raise AnsibleActionFail("netraven.core.save_report: html_title: data is not a credential report (%s: %s); build it "
                                    "with netraven.core.credential_report" % (exc.__class__.__name__, exc)) from None
