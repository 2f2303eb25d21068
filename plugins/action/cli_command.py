# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of netraven.core.cli_command: the credential loop, in the controller's worker.

1. The task's options are completed from the inventory host (``_device_task.loop_options``):
   ``host``/``port``/``platform``/``enable``/``known_hosts_file``/``host_key_checking`` from its
   variables, ``device`` = the inventory name, ``credentials`` from the netraven.core.credentials
   lookup, ``metrics_store`` from the controller's setting. Options given in the task win.
2. When the task runs on the controller (``connection: local``, or delegated to localhost), the
   loop runs right here, in the worker: netmiko, paramiko and the metrics store are imported at
   the top of this file, which ansible-core imports once in its main process before it forks
   the workers, so no host pays for those imports again. Nothing is connected at import time.
3. Otherwise (delegated to a jump host) the module of the same name runs there, with the same
   options; ``module_utils._cli_command`` gives both paths the same result and store records.

Nothing here adds a secret to the result: credentials travel as options, messages are redacted.
"""
from __future__ import annotations

import logging
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

# Imported here, once per playbook run, before the forks (see the file docstring).
from ansible_collections.netraven.core.plugins.module_utils import _cli_command
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_json  # noqa: F401 pylint: disable=unused-import
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_sql  # noqa: F401 pylint: disable=unused-import
from ansible_collections.netraven.core.plugins.plugin_utils import _device_task

logging.getLogger("paramiko").addHandler(logging.NullHandler())  # no transport tracebacks on the console
_device_task.preload()  # once, in the main process before the forks (see its docstring)

MODULE = "netraven.core.cli_command"
ARGUMENT_SPEC = _cli_command.argument_spec()


def validated(args: dict[str, Any], spec: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """``args`` checked and completed against ``spec`` as AnsibleModule does (types, defaults,
    choices, fallbacks), then ``_cli_command.check_params``.

    Returns ``(params, no_log_values)``: the validated options and the values of its ``no_log``
    options (to mask them in the result as AnsibleModule does). Raises AnsibleActionFail with the
    validator's messages (which name options, never the values of ``no_log`` ones).
    """
    result = ArgumentSpecValidator(spec).validate(args)
    if result.error_messages:
        raise AnsibleActionFail("; ".join(result.error_messages))
    params = result.validated_parameters
    problem = _cli_command.check_params(params)
    if problem:
        raise AnsibleActionFail(problem)
    return params, result._no_log_values  # pylint: disable=protected-access  # what AnsibleModule masks


def run_in_worker(params: dict[str, Any], no_log_values: set[str], check_mode: bool) -> dict[str, Any]:
    """Run the credential loop for validated ``params`` here and return what the module would:
    its result plus ``warnings`` and ``invocation.module_args``, every ``no_log`` value masked
    (``remove_values``, as AnsibleModule's exit_json/fail_json do)."""
    warnings: list[str] = []
    result = _cli_command.run_recorded(params, check_mode=check_mode, warn=warnings.append)
    if warnings:
        result["warnings"] = warnings
    result["invocation"] = {"module_args": params}
    return remove_values(result, no_log_values)


class ActionModule(ActionBase):
    """Complete cli_command's options from the inventory host, then run the loop (see the file docstring)."""

    TRANSFERS_FILES = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the module's result for this host (``failed`` when no credential worked)."""
        _device_task.freeze_inherited_heap()
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        name = task_vars.get("inventory_hostname", "")
        store = _device_task.metrics_store_setting(self._loader, self._templar, task_vars)
        args = _device_task.loop_options(self, self._task.args, name, task_vars, store)
        if not _device_task.runs_on_controller(self._connection):
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
            return result
        params, no_log_values = validated(args, ARGUMENT_SPEC)
        no_log_values = _device_task.shown_store_url(no_log_values, params.get("metrics_store"))
        result.update(run_in_worker(params, no_log_values, bool(self._play_context.check_mode)))
        return result
