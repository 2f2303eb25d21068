# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin in front of netraven.core.cli_command: fill the device and credentials from hostvars.

For a host of the netraven.core.devices inventory a task needs only ``commands``. Defaults, each
used only when the task does not give the option:

- ``host`` = ``ansible_host`` (else the inventory hostname), ``port`` = ``ansible_port``,
  ``platform`` = ``netraven_platform``, ``device`` = the inventory hostname; read from the
  inventory host's own vars, so they stay right when the task is delegated to a jump host;
- ``credentials`` = the netraven.core.credentials lookup for the host, loaded with Ansible's
  lookup_loader so its vault, file and order logic is the lookup's own (``credentials_var``,
  ``credentials_file`` and ``order`` are passed to it and not to the module);
- ``host_key_checking`` = ``ansible_host_key_checking``, else Ansible's ``host_key_checking``;
- ``metrics_store`` = resolved exactly as the netraven.core.credential_metrics lookup resolves
  it (variable ``netraven_metrics_store``, env ``NETRAVEN_METRICS_STORE``, ini ``[netraven]
  metrics_store`` on the controller), so module, lookups and reports see one store;
- ``job_id`` = the controller's ``JOB_ID``/``AWX_JOB_ID`` (AWX sets them);
- ``login_prompts`` = ``netraven_login_prompts`` (rules for post-login banners and questions).

Credentials are handed to the module as arguments; the module's ``no_log`` sub-options keep
them out of the invocation and the result. Nothing here adds a secret to the result.
"""
from __future__ import annotations

import os

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader

MODULE = "netraven.core.cli_command"
LOOKUP = "netraven.core.credentials"
METRICS_LOOKUP = "netraven.core.credential_metrics"
LOOKUP_OPTIONS = ("credentials_var", "credentials_file", "order")
# The credential keys the module's argument_spec accepts (anything else the lookup adds is dropped).
CREDENTIAL_KEYS = ("name", "username", "password", "ssh_key_file", "enable_secret", "priority", "tags", "matched_tags")


class ActionModule(ActionBase):
    """Fill cli_command's device options and credentials from the inventory host, then run it."""

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        """Run the module with defaults from hostvars; see the file docstring for the rules."""
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        name = task_vars.get("inventory_hostname")
        host_vars = self._host_vars(task_vars, name)

        defaults = {
            "host": host_vars.get("ansible_host") or name,
            "port": host_vars.get("ansible_port"),
            "platform": host_vars.get("netraven_platform"),
            "device": name,
            "host_key_checking": self._host_key_checking(host_vars),
            "metrics_store": self._metrics_store(task_vars),
            "job_id": os.environ.get("JOB_ID") or os.environ.get("AWX_JOB_ID"),
            "login_prompts": host_vars.get("netraven_login_prompts"),
        }
        for key, value in defaults.items():
            if args.get(key) is None and value is not None:
                args[key] = value

        lookup_options = {key: args.pop(key) for key in LOOKUP_OPTIONS if args.get(key) is not None}
        for key in LOOKUP_OPTIONS:
            args.pop(key, None)
        if args.get("credentials") is None:
            if args.get("metrics_store"):
                lookup_options.setdefault("metrics_store", args["metrics_store"])
            args["credentials"] = self._credentials(name, task_vars, lookup_options)

        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        return result

    def _host_vars(self, task_vars: dict, name: str | None) -> dict:
        """The inventory host's vars (templated on access), not the delegated host's."""
        hostvars = task_vars.get("hostvars")
        if hostvars is not None and name is not None and name in hostvars:
            return hostvars[name]
        return task_vars

    def _metrics_store(self, task_vars: dict) -> str | None:
        """The ``metrics_store`` option as the credential_metrics lookup sees it (vars, env, ini), or None."""
        reader = lookup_loader.get(METRICS_LOOKUP, loader=self._loader, templar=self._templar)
        if reader is None:  # pragma: no cover - the lookup ships in this collection
            return os.environ.get("NETRAVEN_METRICS_STORE")
        reader.set_options(var_options=task_vars, direct={})
        return reader.get_option("metrics_store")

    @staticmethod
    def _host_key_checking(host_vars) -> bool:
        """``ansible_host_key_checking`` when set, else Ansible's ``host_key_checking`` setting."""
        value = host_vars.get("ansible_host_key_checking")
        if value is None:
            value = C.config.get_config_value("HOST_KEY_CHECKING")
        return boolean(value, strict=False)

    def _credentials(self, name: str | None, task_vars: dict, options: dict) -> list[dict]:
        """The netraven.core.credentials lookup's ordered credentials for host ``name``.

        Errors: AnsibleActionFail when the lookup is missing or fails (its message names the
        host or the credential; lookup errors never contain secrets).
        """
        lookup = lookup_loader.get(LOOKUP, loader=self._loader, templar=self._templar)
        if lookup is None:
            raise AnsibleActionFail(f"lookup {LOOKUP} not found; give the task 'credentials'")
        try:
            found = lookup.run([name], variables=task_vars, **options)
        except Exception as exc:  # noqa: BLE001 - reported with the host's name
            raise AnsibleActionFail(f"{name}: lookup {LOOKUP} failed: {exc}") from exc
        if len(found) == 1 and isinstance(found[0], list):  # one list per term
            found = found[0]
        return [{key: cred[key] for key in CREDENTIAL_KEYS if key in cred} for cred in found]
