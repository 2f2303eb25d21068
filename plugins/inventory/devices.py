# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory plugin netraven.core.devices: devices and tags from YAML, NetRaven CSV/JSON or SQL."""
from __future__ import annotations

DOCUMENTATION = r"""
name: devices
short_description: Network devices and their tags from YAML, NetRaven bulk-import CSV/JSON or NetRaven's SQL tables
version_added: 0.1.0
description:
  - Reads devices from one or more sources of truth and makes each device a host, each tag a group
    (C(tag_<name>)) and each netmiko device_type a group (C(platform_<device_type>)).
  - Per host it sets C(ansible_host), C(ansible_port) (default 22), C(netraven_platform) (the netmiko
    device_type), C(netraven_tags) (the tags as written in the source, always including O(default_tag))
    and one C(netraven_<field>) per free field (description, site, model, serial_number, notes...).
  - Every string read from a source reaches Jinja only marked unsafe, so a description holding a Jinja
    expression (a C(pipe) lookup, say) is shown as written and never templated.
  - Bad input is an error that names the file (or the DSN without its password), the line or row
    and the field; duplicate hostnames are always an error. Warnings are grouped, one per problem.
  - The configuration file name must end in C(netraven.yml) or C(netraven.yaml). A key that is no option of this
    plugin (a typo such as C(sources)) is an error naming the nearest option.
author:
  - netraven.core contributors (@netraven)
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
requirements:
  - PyYAML (comes with ansible-core)
  - psycopg 3 for C(postgresql://) sources
  - netmiko (optional) to check device_type names against netmiko's platform list
options:
  plugin:
    description: The name of this plugin; makes the file a netraven.core.devices configuration.
    type: str
    required: true
    choices: [netraven.core.devices]
  source:
    description:
      - One source or a list of sources; devices from all of them are merged and checked together.
      - A YAML device file (C(.yml)/C(.yaml)) holding a list of devices or a mapping with a C(devices) list;
        any other top level (a C(hosts:) mapping, say) is an error.
        Each device has C(name), C(host), C(port), C(platform), C(tags) and any free fields
        (NetRaven's names C(hostname), C(ip_address), C(device_type) are accepted too).
        C(tags) is a list (V([core, dc1])); a single string (V("core, dc1")) is an error, as for
        credentials, so a tag is never guessed.
        Unquoted tag words that YAML 1.1 would turn into booleans, numbers, dates or null
        (C(yes), C(on), C(2024), C(~)) are kept as the text written, with a warning.
      - A NetRaven bulk-import CSV (C(.csv); columns C(hostname,ip_address,device_type,port,description,serial_number,model,source,notes,tags),
        tags separated by C(|)) or JSON (C(.json); a list of such objects). Numeric tags are NetRaven tag ids,
        resolved through O(tag_names); an id without a name is kept as its digits, with a warning.
        CSV follows RFC 4180 (quoted cells may span lines; a quote that is never closed is an error); Excel's
        "CSV UTF-8" (byte-order mark, CRLF) is read as is.
      - Files must be UTF-8 (a byte-order mark is allowed); other encodings are an error naming the line.
      - A SQL URL reading NetRaven's tables C(devices), C(tags) and C(device_tag_association), given as
        C(sqlite:///absolute/path.db), C(sqlite:relative/path.db), a C(.db)/C(.sqlite)/C(.sqlite3) path, or
        C(postgresql://user@host:5432/db) (libpq URL; C(?options=-csearch_path%3Dschema) selects the schema).
        Every column of C(devices) other than the core ones becomes a C(netraven_<column>) host variable.
      - Relative paths are resolved against the folder of the configuration file.
    type: list
    elements: str
    default: []
    env:
      - name: NETRAVEN_DEVICES_SOURCE
  devices:
    description:
      - Devices listed inline in the configuration file, same keys as in a YAML device file.
      - They are checked together with the devices of O(source) (a hostname in both is an error).
    type: list
    elements: dict
    default: []
  tag_names:
    description:
      - NetRaven tag id to tag name, for bulk-import files whose C(tags) hold ids, for example C(1) -> C(core), C(2) -> C(edge).
      - Or a SQL URL (as in O(source)) whose C(tags) table gives the names.
      - SQL sources always use their own C(tags) table.
    type: raw
    default: {}
  default_tag:
    description:
      - The tag every device carries in C(netraven_tags), so credentials tagged with it match every device.
      - Keep it equal to the default tag of the netraven.core.credentials lookup.
    type: str
    default: default
    env:
      - name: NETRAVEN_DEFAULT_TAG
    ini:
      - section: netraven
        key: default_tag
  duplicates:
    description:
      - What two devices with the same address and port do (after IP normalisation; DNS names compared case-insensitively).
      - V(error) stops with a message naming both rows; V(warn) keeps both hosts and warns.
      - Two devices with the same hostname are always an error.
    type: str
    default: error
    choices: [error, warn]
  set_network_os:
    description:
      - Also set C(ansible_network_os) from the device_type, so the same inventory serves ansible.netcommon users.
      - "Built-in map: cisco_ios, cisco_xe -> cisco.ios.ios; cisco_xr -> cisco.iosxr.iosxr; cisco_nxos -> cisco.nxos.nxos;
        cisco_asa -> cisco.asa.asa; arista_eos -> arista.eos.eos; juniper, juniper_junos -> junipernetworks.junos.junos;
        vyos, vyatta_vyos -> vyos.vyos.vyos; mikrotik_routeros -> community.routeros.routeros;
        dell_os6/os9/os10 -> dellemc.os6.os6/dellemc.os9.os9/dellemc.os10.os10; extreme_exos -> community.network.exos;
        ruckus_fastiron -> community.network.icx; cisco_wlc -> community.network.aireos.
        A trailing C(_ssh) is ignored. Device types without an entry get no C(ansible_network_os)."
    type: bool
    default: false
  network_os_map:
    description: Extra or overriding device_type to C(ansible_network_os) entries, used with O(set_network_os).
    type: dict
    default: {}
  tag_group_prefix:
    description: Prefix of the group made for each tag; the result is sanitised with Ansible's group-name rules.
    type: str
    default: tag_
  platform_group_prefix:
    description: Prefix of the group made for each device_type.
    type: str
    default: platform_
  connect_timeout:
    description: Seconds to wait for a SQL source (PostgreSQL connect timeout, SQLite busy timeout).
    type: int
    default: 10
"""

EXAMPLES = r"""
# inventory/devices.netraven.yml: a YAML device file next to this config
plugin: netraven.core.devices
source: devices.yml
# devices.yml:
#   devices:
#     - {name: core-sw-01, host: 10.0.0.2, platform: cisco_ios, tags: [core, dc1], site: dc1}
#     - {name: edge-01, host: "[2001:db8::7]:2222", platform: arista_eos, tags: [edge]}

---
# NetRaven bulk-import CSV and JSON, tag ids named here
plugin: netraven.core.devices
source:
  - bulk_device_import_sample.csv
  - more_devices.json
tag_names:
  1: core
  2: edge

---
# NetRaven's own database (SQLite file or PostgreSQL), cached for an hour
plugin: netraven.core.devices
source: postgresql://netraven@db.example.net:5432/netraven?options=-csearch_path%3Dpublic
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/netraven-inventory
cache_timeout: 3600

---
# Devices inline, ansible_network_os for ansible.netcommon, extra groups
plugin: netraven.core.devices
source: sqlite:///var/lib/netraven/netraven.db
devices:
  - {name: lab-r1, host: 192.0.2.10, platform: cisco_xe, tags: [lab]}
default_tag: all-devices
duplicates: warn
set_network_os: true
compose:
  ansible_connection: "'ansible.netcommon.network_cli'"
keyed_groups:
  - key: netraven_site | default('nosite')
    prefix: site
"""

import difflib
import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.netraven.core.plugins.plugin_utils import _device_sources as sources
from ansible_collections.netraven.core.plugins.plugin_utils import _devices as rules

_CONFIG_SUFFIXES = ("netraven.yml", "netraven.yaml")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Hosts, tag groups and platform groups from the configured device sources.

    Flow: read the config -> raw rows (from the inventory cache or the sources) -> validated
    devices (``_devices.build_devices``) -> hosts, unsafe-wrapped hostvars, groups -> warnings.
    Errors: ``AnsibleParserError`` carrying the ``DeviceSourceError`` text (file, line, field).
    """

    NAME = "netraven.core.devices"

    def verify_file(self, path: str) -> bool:
        """Accept readable files whose name ends in netraven.yml / netraven.yaml."""
        return super().verify_file(path) and path.endswith(_CONFIG_SUFFIXES)

    def parse(self, inventory, loader, path: str, cache: bool = True) -> None:
        """Read (or take from the cache) the raw rows, validate them, add hosts and groups."""
        super().parse(inventory, loader, path, cache)
        self._check_option_names(path, self._read_config_data(path))
        data = self._raw_data(path, cache)
        warnings = rules.Warnings()
        try:
            tag_names = dict(data["tag_names"], **rules.normalise_tag_names(self._mapping_option("tag_names")))
            devices = rules.build_devices(
                data["rows"], tag_names=tag_names, default_tag=self.get_option("default_tag"),
                duplicates=self.get_option("duplicates"), warnings=warnings)
        except rules.DeviceSourceError as exc:
            raise AnsibleParserError(f"{path}: {exc}") from None
        if not devices:
            warnings.add("no devices in the configured source(s) or inline devices")
        self._check_platforms(devices, warnings)
        rules.group_conflicts(devices, self._tag_group_name, warnings)
        self._populate(devices)
        for message in warnings.render():
            self.display.warning(f"netraven.core.devices: {message}")

    def _check_option_names(self, path: str, config: dict) -> None:
        """Fail on a key of the configuration file that is no option of this plugin (a typo such as ``sources:``).

        Ansible itself ignores unknown keys, which turned a typo into an empty inventory.
        Errors: AnsibleParserError naming each unknown key and the nearest option name.
        """
        unknown = sorted(str(key) for key in config if key not in self._options)
        if not unknown:
            return
        names = []
        for key in unknown:
            near = difflib.get_close_matches(key, list(self._options), n=1, cutoff=0.6)
            names.append(f"{key!r} (did you mean {near[0]!r}?)" if near else repr(key))
        raise AnsibleParserError(f"{path}: unknown option{'s' if len(names) > 1 else ''} {', '.join(names)}; "
                                 "the options are listed by: ansible-doc -t inventory netraven.core.devices")

    # --- reading, with the inventory cache --------------------------------------------------

    def _raw_data(self, path: str, cache: bool) -> dict[str, Any]:
        """``{"key": digest, "rows": [raw row, ...], "tag_names": {id: name}}`` from the cache or the sources.

        ``cache`` is False under ``--flush-cache``: the sources are read and the cache entry replaced.
        """
        key = self._source_key(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        if use_cache and cache:
            cached = self._cache.get(cache_key)
            if isinstance(cached, dict) and cached.get("key") == key:
                return cached
        data = dict(self._read_sources(path), key=key)
        if use_cache:
            self._cache[cache_key] = data
        return data

    def _source_key(self, path: str) -> str:
        """What the cached rows depend on (config path, sources, tag_names, inline devices), as a SHA-256 hex digest."""
        basis = [os.path.abspath(path), self.get_option("source"), self.get_option("tag_names"), self.get_option("devices")]
        return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode("utf-8")).hexdigest()

    def _read_sources(self, path: str) -> dict[str, Any]:
        """Raw rows of every ``source`` entry, then of the inline devices, and the SQL tag names."""
        base_dir = os.path.dirname(os.path.abspath(path))
        timeout = self.get_option("connect_timeout")
        rows: list[dict] = []
        tag_names: dict[str, str] = {}
        try:
            for spec in self.get_option("source") or []:
                more_rows, more_names = sources.read_source(spec, base_dir, timeout)
                rows.extend(more_rows)
                tag_names.update(more_names)
            if isinstance(self.get_option("tag_names"), str):
                tag_names.update(sources.read_tag_names(self.get_option("tag_names"), base_dir, timeout))
            rows.extend(self._inline_rows(path))
        except rules.DeviceSourceError as exc:
            raise AnsibleParserError(f"{path}: {exc}") from None
        return {"rows": rows, "tag_names": tag_names}

    def _inline_rows(self, path: str) -> list[dict]:
        """Rows for the inline ``devices`` option, re-read with the text-keeping YAML loader (lines, tag text).

        A config that plain YAML cannot re-read (vault, ``!unsafe``) falls back to Ansible's parsed
        values; typed tags then become text with a warning in ``normalise_tags``.
        """
        inline = self.get_option("devices") or []
        if not inline:
            return []
        try:
            with open(path, encoding="utf-8") as stream:
                rows = sources.load_yaml_devices(stream, path, allow_list=False)
            if len(rows) == len(inline):
                return rows
        except (OSError, rules.DeviceSourceError):
            pass
        return [{"origin": f"{path} devices[{i}]", "kind": "yaml", "fields": dict(d) if isinstance(d, Mapping) else d, "retyped": []}
                for i, d in enumerate(inline)]

    def _mapping_option(self, name: str) -> dict:
        value = self.get_option(name)
        return value if isinstance(value, dict) else {}

    # --- checks that need more than the rows -------------------------------------------------

    def _check_platforms(self, devices: list[dict], warnings: rules.Warnings) -> None:
        """Warn about device_types netmiko does not know; netmiko is imported only for types outside the built-in map."""
        in_use = {d["platform"] for d in devices}
        if in_use <= rules.NETWORK_OS_MAP.keys():
            return
        known = sources.netmiko_platforms()
        if known is None:
            unchecked = sorted(in_use - rules.NETWORK_OS_MAP.keys())
            warnings.add(f"netmiko is not installed, so device_type values {', '.join(unchecked)} were not checked")
            return
        rules.check_platforms(devices, known, warnings)

    # --- hosts and groups ---------------------------------------------------------------------

    def _tag_group_name(self, tag: str) -> str:
        return self._sanitize_group_name(self.get_option("tag_group_prefix") + tag)

    def _hostvars(self, device: dict, network_os_map: dict | None) -> dict[str, Any]:
        """The device's host variables, every source string wrapped unsafe (``wrap_var``)."""
        hostvars = {
            "ansible_host": device["host"],
            "ansible_port": device["port"],
            "netraven_platform": device["platform"],
            "netraven_tags": device["tags"],
        }
        for field, value in device["fields"].items():
            hostvars["netraven_" + field] = value
        if network_os_map is not None:
            network_os = rules.network_os_for(device["platform"], network_os_map)
            if network_os:
                hostvars["ansible_network_os"] = network_os
        return wrap_var(hostvars)

    def _populate(self, devices: list[dict]) -> None:
        """Add each device as a host with its hostvars, tag and platform groups, then the constructed features."""
        platform_prefix = self.get_option("platform_group_prefix")
        network_os_map = self._mapping_option("network_os_map") if self.get_option("set_network_os") else None
        compose, groups, keyed = (self.get_option(o) for o in ("compose", "groups", "keyed_groups"))
        strict = self.get_option("strict")
        group_of: dict[str, str] = {}  # raw name -> group actually added (sanitising once per name)

        def group(raw: str) -> str:
            if raw not in group_of:
                group_of[raw] = self.inventory.add_group(self._sanitize_group_name(raw))
            return group_of[raw]

        tag_prefix = self.get_option("tag_group_prefix")
        for device in devices:
            name = self.inventory.add_host(device["name"])
            hostvars = self._hostvars(device, network_os_map)
            for var, value in hostvars.items():
                self.inventory.set_variable(name, var, value)
            for tag in device["tags"]:
                self.inventory.add_child(group(tag_prefix + tag), name)
            self.inventory.add_child(group(platform_prefix + device["platform"]), name)
            if compose or groups or keyed:
                self._set_composite_vars(compose, hostvars, name, strict=strict)
                self._add_host_to_composed_groups(groups, hostvars, name, strict=strict)
                self._add_host_to_keyed_groups(keyed, hostvars, name, strict=strict)
