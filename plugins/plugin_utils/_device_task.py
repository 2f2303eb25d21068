# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of a device task: its options filled from the inventory host.

Used by the action plugins ``cli_command`` and ``fetch_config`` (per host and, in fleet mode, for
every host of the batch). Read top to bottom:

- ``HOST_VARIABLES``: which option defaults to which host variable (one table);
- ``loop_options``: a task's options completed from one inventory host's variables and the
  ``netraven.core.credentials`` lookup (options given in the task always win);
- ``FleetCredentials``: the same lookup for every host of a fleet task, the learned order read once;
- ``metrics_store_setting``: the ``metrics_store`` setting as every plugin of the collection
  sees it (Ansible's own option resolution of the ``netraven.core.metrics_store`` doc fragment:
  variable ``netraven_metrics_store``, environment ``NETRAVEN_METRICS_STORE``, ini
  ``[netraven] metrics_store``);
- ``preload``: the lookups (and the PostgreSQL driver, for a PostgreSQL store set in the environment or
  ansible.cfg) loaded once, before the forks (called when an action plugin is imported);
- ``runs_on_controller``: whether the task's connection is the controller itself, so the
  credential loop can run in the worker instead of shipping the module;
- ``freeze_inherited_heap``: the objects a worker inherited from the main process left out of
  garbage collection for the task.
"""
from __future__ import annotations

import functools
import gc
import multiprocessing
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.loader import lookup_loader

from ansible_collections.netraven.core.plugins.module_utils import _credential
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_sql
from ansible_collections.netraven.core.plugins.module_utils._platforms import netmiko_platforms
from ansible_collections.netraven.core.plugins.module_utils._urls import url_password
from ansible_collections.netraven.core.plugins.plugin_utils import _matching
from ansible_collections.netraven.core.plugins.plugin_utils._devices import NETWORK_OS_MAP
from ansible_collections.netraven.core.plugins.plugin_utils._learned import last_working_names, uses_learned_order

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

PLATFORM_FALLBACKS: tuple[str, ...] = ("ansible_network_os", "platforms", "platform")
"""Host variables read, in order, for a host without ``netraven_platform``: Ansible's network platform
(``cisco.ios.ios`` or the short ``ios``), then the NetBox platform slug as ``netbox.netbox.nb_inventory``
sets it (``platforms: [slug]``, or ``platform: slug`` with ``plurals: false``). Each value goes through
the platform map (``platform_map``)."""
PLATFORM_MAP_VARIABLE = "netraven_platform_map"
"""Host/group variable with ``{value: netmiko device_type}`` entries that extend or override ``PLATFORM_MAP``."""

_SLUG_ALIASES: dict[str, str] = {
    "cisco-ios-xe": "cisco_xe",
    "cisco-iosxe": "cisco_xe",
    "cisco-ios-xr": "cisco_xr",
    "cisco-iosxr": "cisco_xr",
    "cisco-nx-os": "cisco_nxos",
}
"""NetBox platform slugs seen in the field whose ``-`` -> ``_`` spelling is not the device_type."""


def _platform_map() -> dict[str, str]:
    """``PLATFORM_MAP``: every ``ansible_network_os`` of ``_devices.NETWORK_OS_MAP`` (FQCN and its last
    part, the short pre-collections name such as ``ios``) to the first device_type that has it, plus
    ``_SLUG_ALIASES``."""
    table: dict[str, str] = {}
    for device_type, network_os in NETWORK_OS_MAP.items():
        table.setdefault(network_os, device_type)
        table.setdefault(network_os.rsplit(".", 1)[-1], device_type)
    table.update(_SLUG_ALIASES)
    return table


PLATFORM_MAP: dict[str, str] = _platform_map()
"""The platform map: ``ansible_network_os`` value or NetBox platform slug -> netmiko device_type
(``cisco.ios.ios``/``ios`` -> ``cisco_ios``, ``cisco.nxos.nxos``/``nxos`` -> ``cisco_nxos``,
``cisco.iosxr.iosxr`` -> ``cisco_xr``, ``cisco.asa.asa`` -> ``cisco_asa``, ``arista.eos.eos`` -> ``arista_eos``,
``junipernetworks.junos.junos``/``junos`` -> ``juniper_junos``, ``vyos.vyos.vyos`` -> ``vyos``, ...). A value
not in it that is a netmiko device_type once ``-`` is read as ``_`` (slug ``cisco-ios``) is that device_type.
Listed in docs/docsite/rst/any_inventory.rst (a unit test compares)."""


def preload() -> None:
    """Load, now, the classes and option definitions of the two lookups the action plugins use, and
    the PostgreSQL driver when the ``metrics_store`` setting of the environment or ansible.cfg
    (``NETRAVEN_METRICS_STORE``, ``[netraven] metrics_store``) names a PostgreSQL store.

    Called at the top of the action plugin files, which ansible-core imports once in its main
    process before it forks a worker per host and task: each worker then inherits them instead of
    importing the lookup files and parsing their documentation again (about 15 ms per host and
    task, measured in bench P6A), or importing psycopg again (about 45 ms). A store set only by the
    variable ``netraven_metrics_store`` is not known yet: its driver is imported by each worker that
    opens it (once per fleet task; per host in per-host mode, see docs/docsite/rst/metrics.rst).
    Loads code only: no connection, thread or file is opened. Never raises (it is only a speed-up;
    the task loads what it needs itself when this could not).
    """
    for name in (CREDENTIALS_LOOKUP, SETTINGS_LOOKUP):
        try:
            lookup_loader.get(name, class_only=True)
        except Exception:  # noqa: BLE001 - see the docstring  # pylint: disable=broad-except
            pass
    try:
        _metrics_store_sql.preload_postgresql_driver(metrics_store_setting(None, None, {}))
    except Exception:  # noqa: BLE001 - see the docstring  # pylint: disable=broad-except
        pass


def freeze_inherited_heap() -> bool:
    """In a forked worker process, move every object it inherited from ansible-core's main process
    (inventory, variables, loaded plugins and libraries) to the collector's permanent generation
    (``gc.freeze``); True when it did, False in any other process (a test calling the plugin).

    The worker runs one task and exits, and those objects outlive it, yet each full collection
    walks all of them again: at 1,000 inventory hosts one takes about 0.1 s, and a fleet task that
    allocates for a thousand devices triggers several (bench/README.md, P7). Objects the task
    creates are collected as usual. Source: the Python documentation of ``gc.freeze``, whose use
    case is the same (a process that forks without exec); ansible-core forks a ``WorkerProcess``
    (multiprocessing, fork start method) per host and task, so ``multiprocessing.parent_process()``
    is set there and only there.
    """
    if multiprocessing.parent_process() is None:
        return False
    gc.freeze()
    return True


def runs_on_controller(connection: Any) -> bool:
    """True when the task's connection (after ``delegate_to``) is the controller's ``local`` one."""
    return getattr(connection, "transport", None) == "local"


class _OtherHost(ChainMap):  # pylint: disable=too-many-ancestors
    """``variables_of`` for another host than the task's: its ``hostvars`` entry (templated on access)
    under ``hostvars`` and ``inventory_hostname``; ``host`` names it."""

    host: str = ""


def host_variables(task_vars: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The variables of inventory host ``name`` (templated on access), not the delegated host's."""
    if isinstance(task_vars, _OtherHost) and task_vars.host == name:
        return task_vars.maps[-1]  # gathered once by variables_of (each hostvars[name] gathers them again)
    hostvars = task_vars.get("hostvars")
    if hostvars is not None and name in hostvars:
        return hostvars[name]
    return task_vars


def variables_of(task_vars: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """Host ``name``'s variables with ``hostvars`` added: what a lookup run for that host needs."""
    if task_vars.get("inventory_hostname") == name:
        return task_vars
    scope = _OtherHost({"hostvars": task_vars.get("hostvars"), "inventory_hostname": name},
                       host_variables(task_vars, name))  # type: ignore[arg-type]  # read-only use: lookups only read it
    scope.host = name
    return scope


def _platform_value(value: Any) -> str | None:
    """One platform name from a host variable's value: a string, a one-item list (nb_inventory's
    ``plurals``), or a mapping with ``slug``/``name`` (a NetBox/Nautobot platform object); else None."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, Mapping):
        value = _matching.object_name(value)
    return str(value) if isinstance(value, str) and value else None


def platform_for(name: str, host_vars: Mapping[str, Any]) -> str | None:
    """Host ``name``'s netmiko device_type when it has no ``netraven_platform``, from ``PLATFORM_FALLBACKS``.

    The first of those variables whose value the platform map knows gives the device_type: the map is
    ``PLATFORM_MAP`` updated with the host's ``netraven_platform_map`` (its entries win); a value is looked
    up as written, then in lower case, then (lower case, ``-`` read as ``_``) as a netmiko device_type itself.
    Returns None when no variable is set. Raises AnsibleActionFail naming the host and every variable
    looked at (with its value: platform names are not secret) when some are set but none maps, or when
    ``netraven_platform_map`` is not a mapping of strings.
    """
    extra = host_vars.get(PLATFORM_MAP_VARIABLE)
    if extra is not None and not (isinstance(extra, Mapping) and all(isinstance(k, str) and isinstance(v, str) and v
                                                                     for k, v in extra.items())):
        raise AnsibleActionFail(f"{name}: host variable {PLATFORM_MAP_VARIABLE} must be a mapping of "
                                "platform names to netmiko device_types (strings)")
    table = dict(PLATFORM_MAP, **(extra or {}))
    known = netmiko_platforms() or frozenset()
    seen: list[str] = []
    for variable in PLATFORM_FALLBACKS:
        raw = host_vars.get(variable)
        if raw is None:
            continue
        value = _platform_value(raw)
        if value is None:
            seen.append(f"{variable} (not a name: a string, a one-item list or a mapping with slug)")
            continue
        for key in (value, value.lower()):
            if key in table:
                return table[key]
        device_type = value.lower().replace("-", "_")
        if device_type in known:
            return device_type
        seen.append(f"{variable} {value!r} (not in the platform map)")
    if not seen:
        return None
    found = ", ".join(seen)
    raise AnsibleActionFail(f"{name}: no platform: netraven_platform is not set and {found}; "
                            f"set netraven_platform (a netmiko device_type) or add the value to {PLATFORM_MAP_VARIABLE}")


def no_platform(name: str) -> str:
    """The error of a host with no platform at all (no variable of the platform rule is set)."""
    looked = ", ".join(("netraven_platform",) + PLATFORM_FALLBACKS)
    return (f"{name}: no platform: none of the host variables {looked} is set; set netraven_platform "
            "(a netmiko device_type such as cisco_ios) or ansible_network_os (such as cisco.ios.ios), or give the task platform")


def metrics_store_setting(loader: Any, templar: Any, variables: Mapping[str, Any]) -> str | None:
    """The ``metrics_store`` URL configured for the controller (variable, env, ini), or None.

    None means unset (the per-user default store); the word ``none`` (metrics off) is returned as
    given and parsed by ``_metrics_store.parse_store_url`` like every other value.
    """
    reader = lookup_loader.get(SETTINGS_LOOKUP, loader=loader, templar=templar)
    reader.set_options(var_options=variables, direct={})
    return reader.get_option("metrics_store")


def loop_options(action: Any, args: Mapping[str, Any], name: str, variables: Mapping[str, Any],
                 store: str | None, credentials: Callable[[str, Mapping[str, Any], dict[str, Any]], list[dict[str, Any]]] | None = None
                 ) -> dict[str, Any]:
    """The credential loop's options for inventory host ``name``.

    ``action``: the calling action plugin (its loader and templar load the lookup). ``args``: the
    task's options. ``variables``: host ``name``'s variables (``variables_of``). ``store``: the
    ``metrics_store`` setting (``metrics_store_setting``), used when the task gives none.
    ``credentials``: how the host's credentials are found, ``(name, variables, lookup_args) -> list``
    (default ``credentials_for`` with ``action``; fleet mode gives a ``FleetCredentials``).
    Defaults come from ``HOST_VARIABLES`` (``host`` falls back to the inventory name,
    ``platform`` to ``platform_for``, ``host_key_checking`` to Ansible's setting), ``device`` is the inventory name, and the
    credentials are the ``netraven.core.credentials`` lookup's for the host (reduced to the
    fields of ``_credential.NAMES``). Raises AnsibleActionFail naming the host when the lookup fails or
    when the host has no platform (``platform_for``, ``no_platform``).
    """
    host_vars = host_variables(variables, name)
    options = dict(args)
    defaults: dict[str, Any] = {option: host_vars.get(variable) for option, variable in HOST_VARIABLES}
    defaults["host"] = defaults["host"] or name
    if options.get("platform") is None and defaults["platform"] is None:
        defaults["platform"] = platform_for(name, host_vars)
        if defaults["platform"] is None:
            raise AnsibleActionFail(no_platform(name))
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
        find = credentials or functools.partial(credentials_for, action)
        options["credentials"] = find(name, variables, lookup_args)
    return options


def _credentials_lookup(action: Any) -> Any:
    """A ``netraven.core.credentials`` lookup instance with the action's loader and templar.
    Raises AnsibleActionFail when it cannot be loaded."""
    lookup = lookup_loader.get(CREDENTIALS_LOOKUP, loader=action._loader, templar=action._templar)
    if lookup is None:  # pragma: no cover - the lookup ships in this collection
        raise AnsibleActionFail(f"lookup {CREDENTIALS_LOOKUP} not found; give the task 'credentials'")
    return lookup


def credentials_for(action: Any, name: str, variables: Mapping[str, Any], lookup_args: dict[str, Any],
                    lookup: Any = None) -> list[dict[str, Any]]:
    """The ``netraven.core.credentials`` lookup's ordered credentials for host ``name`` (``lookup``: an
    instance to use, else one is loaded).

    Errors: AnsibleActionFail when the lookup is missing or fails (its message names the host or
    the credential; lookup errors never contain secrets).
    """
    lookup = lookup or _credentials_lookup(action)
    try:
        found = lookup.run([name], variables=variables, **lookup_args)
    except Exception as exc:  # noqa: BLE001 - reported with the host's name
        raise AnsibleActionFail(f"{name}: lookup {CREDENTIALS_LOOKUP} failed: {exc}") from exc
    if len(found) == 1 and isinstance(found[0], list):  # one list per term
        found = found[0]
    return [{key: cred[key] for key in _credential.NAMES if key in cred} for cred in found]


class FleetCredentials:
    """``credentials_for`` for the hosts of one fleet task (``hosts``), as ``loop_options`` calls it.

    One lookup instance serves every host, and for order ``learned`` (the default with a store) every
    host's last working credential is read once, with one store connection for the batch
    (``_learned.last_working_names``), instead of once per host; each host's credentials then come
    from the lookup in priority order and the learned rule (``_matching.order_credentials``, the
    lookup's own) puts that one first. Store, order and host variables otherwise as ``credentials_for``.
    """

    def __init__(self, action: Any, hosts: list[str]) -> None:
        self._action, self._hosts = action, list(hosts)
        self._lookup: Any = None
        self._learned: dict[str | None, dict[str, str | None]] = {}

    def __call__(self, name: str, variables: Mapping[str, Any], lookup_args: dict[str, Any]) -> list[dict[str, Any]]:
        """Host ``name``'s credentials, first to try first. Errors: as ``credentials_for``."""
        if self._lookup is None:
            self._lookup = _credentials_lookup(self._action)
        url = lookup_args.get("metrics_store")
        if not uses_learned_order(lookup_args.get("order"), url):
            return credentials_for(self._action, name, variables, lookup_args, lookup=self._lookup)
        if url not in self._learned:
            self._learned[url] = last_working_names(url, self._hosts)
        found = credentials_for(self._action, name, variables, dict(lookup_args, order="priority"), lookup=self._lookup)
        return _matching.order_credentials(found, "learned", self._learned[url].get(name))


def shown_store_url(no_log: set[str], url: str | None) -> set[str]:
    """``no_log`` without the metrics store URL when it carries no password, so that store warnings
    can name the store (``metrics_store`` is a ``no_log`` option because a URL may hold a password)."""
    if url and url in no_log and not url_password(url):
        return no_log - {url}
    return no_log
