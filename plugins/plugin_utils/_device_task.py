# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of a device task: its options filled from the inventory host.

Used by the action plugins ``cli_command`` and ``fetch_config`` (per host and, in fleet mode, for
every host of the batch). Read top to bottom:

- ``HOST_VARIABLES``: which option defaults to which host variable (one table);
- ``loop_options``: a task's options completed from one inventory host's variables and the
  ``netraven.core.credentials`` lookup (options given in the task always win);
- ``metrics_store_setting``: the ``metrics_store`` setting as every plugin of the collection
  sees it (Ansible's own option resolution of the ``netraven.core.metrics_store`` doc fragment:
  variable ``netraven_metrics_store``, environment ``NETRAVEN_METRICS_STORE``, ini
  ``[netraven] metrics_store``);
- ``preload_lookups``: the lookups loaded once, before the forks (called when an action plugin is imported);
- ``runs_on_controller``: whether the task's connection is the controller itself, so the
  credential loop can run in the worker instead of shipping the module.
"""
from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.loader import lookup_loader

from ansible_collections.netraven.core.plugins.module_utils import _credential
from ansible_collections.netraven.core.plugins.module_utils._urls import url_password

CREDENTIALS_LOOKUP = "netraven.core.credentials"
SETTINGS_LOOKUP = "netraven.core.credential_metrics"  # declares the netraven.core.metrics_store fragment's sources
LOOKUP_OPTIONS = ("credentials_var", "credentials_file", "order")
"""Task options that are handed to the credentials lookup, not to the credential loop."""

HOST_VARIABLES: tuple[tuple[str, str], ...] = (
    ("host", "ansible_host"),
    ("port", "ansible_port"),
    ("platform", "netraven_platform"),
    ("enable", "netraven_enable"),
    ("known_hosts_file", "netraven_known_hosts_file"),
    ("command_errors", "netraven_command_errors"),
    ("login_prompts", "netraven_login_prompts"),
    ("host_key_checking", "ansible_host_key_checking"),
    ("aaa", "netraven_aaa"),
)
"""(option, host variable): the option's default for a host of any inventory."""


def preload_lookups() -> None:
    """Load the classes and option definitions of the two lookups the action plugins use, now.

    Called at the top of the action plugin files, which ansible-core imports once in its main
    process before it forks a worker per host and task: each worker then inherits them instead of
    importing the lookup files and parsing their documentation again (about 15 ms per host and
    task, measured in bench P6A). Loads code only: no connection, thread or file is opened. Never
    raises (it is only a speed-up; the task loads them itself when this could not).
    """
    for name in (CREDENTIALS_LOOKUP, SETTINGS_LOOKUP):
        try:
            lookup_loader.get(name, class_only=True)
        except Exception:  # noqa: BLE001 - see the docstring  # pylint: disable=broad-except
            pass


def runs_on_controller(connection: Any) -> bool:
    """True when the task's connection (after ``delegate_to``) is the controller's ``local`` one."""
    return getattr(connection, "transport", None) == "local"


def host_variables(task_vars: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The variables of inventory host ``name`` (templated on access), not the delegated host's."""
    hostvars = task_vars.get("hostvars")
    if hostvars is not None and name in hostvars:
        return hostvars[name]
    return task_vars


def variables_of(task_vars: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """Host ``name``'s variables with ``hostvars`` added: what a lookup run for that host needs."""
    if task_vars.get("inventory_hostname") == name:
        return task_vars
    return ChainMap({"hostvars": task_vars.get("hostvars"), "inventory_hostname": name},
                    host_variables(task_vars, name))  # type: ignore[arg-type]  # read-only use: lookups only read it


def metrics_store_setting(loader: Any, templar: Any, variables: Mapping[str, Any]) -> str | None:
    """The ``metrics_store`` URL configured for the controller (variable, env, ini), or None.

    None means unset (the per-user default store); the word ``none`` (metrics off) is returned as
    given and parsed by ``_metrics_store.parse_store_url`` like every other value.
    """
    reader = lookup_loader.get(SETTINGS_LOOKUP, loader=loader, templar=templar)
    reader.set_options(var_options=variables, direct={})
    return reader.get_option("metrics_store")


def loop_options(action: Any, args: Mapping[str, Any], name: str, variables: Mapping[str, Any],
                 store: str | None) -> dict[str, Any]:
    """The credential loop's options for inventory host ``name``.

    ``action``: the calling action plugin (its loader and templar load the lookup). ``args``: the
    task's options. ``variables``: host ``name``'s variables (``variables_of``). ``store``: the
    ``metrics_store`` setting (``metrics_store_setting``), used when the task gives none.
    Defaults come from ``HOST_VARIABLES`` (``host`` falls back to the inventory name,
    ``host_key_checking`` to Ansible's setting), ``device`` is the inventory name, and the
    credentials are the ``netraven.core.credentials`` lookup's for the host (reduced to the
    fields of ``_credential.NAMES``). Raises AnsibleActionFail naming the host when the lookup fails.
    """
    host_vars = host_variables(variables, name)
    options = dict(args)
    defaults: dict[str, Any] = {option: host_vars.get(variable) for option, variable in HOST_VARIABLES}
    defaults["host"] = defaults["host"] or name
    defaults["device"] = name
    defaults["metrics_store"] = store
    if defaults["host_key_checking"] is None:
        defaults["host_key_checking"] = C.config.get_config_value("HOST_KEY_CHECKING")
    defaults["host_key_checking"] = boolean(defaults["host_key_checking"], strict=False)
    for key, value in defaults.items():
        if options.get(key) is None and value is not None:
            options[key] = value

    lookup_args = {key: options.pop(key) for key in LOOKUP_OPTIONS if key in options}
    if options.get("credentials") is None:
        lookup_args = {key: value for key, value in lookup_args.items() if value is not None}
        if options.get("metrics_store"):
            lookup_args.setdefault("metrics_store", options["metrics_store"])
        options["credentials"] = credentials_for(action, name, variables, lookup_args)
    return options


def credentials_for(action: Any, name: str, variables: Mapping[str, Any], lookup_args: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``netraven.core.credentials`` lookup's ordered credentials for host ``name``.

    Errors: AnsibleActionFail when the lookup is missing or fails (its message names the host or
    the credential; lookup errors never contain secrets).
    """
    lookup = lookup_loader.get(CREDENTIALS_LOOKUP, loader=action._loader, templar=action._templar)
    if lookup is None:  # pragma: no cover - the lookup ships in this collection
        raise AnsibleActionFail(f"lookup {CREDENTIALS_LOOKUP} not found; give the task 'credentials'")
    try:
        found = lookup.run([name], variables=variables, **lookup_args)
    except Exception as exc:  # noqa: BLE001 - reported with the host's name
        raise AnsibleActionFail(f"{name}: lookup {CREDENTIALS_LOOKUP} failed: {exc}") from exc
    if len(found) == 1 and isinstance(found[0], list):  # one list per term
        found = found[0]
    return [{key: cred[key] for key in _credential.NAMES if key in cred} for cred in found]


def shown_store_url(no_log: set[str], url: str | None) -> set[str]:
    """``no_log`` without the metrics store URL when it carries no password, so that store warnings
    can name the store (``metrics_store`` is a ``no_log`` option because a URL may hold a password)."""
    if url and url in no_log and not url_password(url):
        return no_log - {url}
    return no_log
