# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure rules of the netraven.core.devices inventory plugin: raw source rows -> validated devices.

Nothing here touches Ansible state, files or databases, so every rule is unit-testable alone.
The readers (``_device_sources``) produce raw rows, the plugin turns devices into hosts.

Shapes
------
raw row: :class:`RawRow` (what a reader returns and what the inventory cache stores).

device (one inventory host)::

    {"name": str, "host": str, "port": int, "platform": str,
     "tags": [str, ...],          # original text, deduplicated, always with the default tag
     "fields": {name: value},     # free fields (site, model, serial_number...), empty ones left out
     "origin": str}

Errors: :class:`DeviceSourceError` (a ``ValueError``) whose message names the file/DSN, the line
or row, and the field. Warnings are collected in a :class:`Warnings` object, grouped so that one
problem repeated on 10,000 devices is one message.
"""
from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Literal, TypedDict

from ansible_collections.netraven.core.plugins.plugin_utils._type_words import a_type_word, type_word

DEFAULT_PORT = 22

# Canonical field -> the keys accepted for it (our YAML names first, then NetRaven's column names).
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "hostname"),
    "host": ("host", "ip_address", "address"),
    "port": ("port",),
    "platform": ("platform", "device_type"),
    "tags": ("tags",),
}
_CORE_KEYS = frozenset(k for keys in ALIASES.values() for k in keys)

# netmiko device_type -> ansible_network_os (the FQCN of the network platform's cliconf/terminal
# plugins, as ansible.netcommon's network_cli expects). Sources: each collection's docs
# (cisco.ios, cisco.iosxr, cisco.nxos, cisco.asa, arista.eos, junipernetworks.junos, vyos.vyos,
# community.routeros, dellemc.os6/os9/os10, community.network). A trailing ``_ssh`` is ignored.
# The first device_type of each ansible_network_os is the one it maps back to (``_device_task.PLATFORM_MAP``).
NETWORK_OS_MAP: dict[str, str] = {
    "cisco_ios": "cisco.ios.ios",
    "cisco_xe": "cisco.ios.ios",
    "cisco_xr": "cisco.iosxr.iosxr",
    "cisco_nxos": "cisco.nxos.nxos",
    "cisco_asa": "cisco.asa.asa",
    "arista_eos": "arista.eos.eos",
    "juniper_junos": "junipernetworks.junos.junos",
    "juniper": "junipernetworks.junos.junos",
    "vyos": "vyos.vyos.vyos",
    "vyatta_vyos": "vyos.vyos.vyos",
    "mikrotik_routeros": "community.routeros.routeros",
    "dell_os6": "dellemc.os6.os6",
    "dell_os9": "dellemc.os9.os9",
    "dell_os10": "dellemc.os10.os10",
    "extreme_exos": "community.network.exos",
    "ruckus_fastiron": "community.network.icx",
    "cisco_wlc": "community.network.aireos",
}

_DIGITS = re.compile(r"^\d+$")
_BAD_NAME_CHARS = re.compile(r"[\s,\x00-\x1f\x7f]")
_BAD_HOST_CHARS = re.compile(r"[\s/@,\[\]\x00-\x1f\x7f]")
_BRACKETED = re.compile(r"^\[([^\[\]]+)\](?::(\d*))?$")
_NOT_VAR_CHARS = re.compile(r"[^A-Za-z0-9_]")


RowKind = Literal["yaml", "netraven", "sql"]
"""How a row's tags are read: ``yaml`` (names), ``netraven`` (bulk-import CSV/JSON: names or tag ids, ``|``-separated
in a cell), ``sql`` (names from NetRaven's ``tags`` table; an int is a tag row that is missing)."""


class RawRow(TypedDict):
    """One device as a reader found it, before any rule: JSON-serialisable, so the inventory cache stores it.

    ``origin``: where it came from, used in every message (``/inv/devices.csv line 3``,
    ``/inv/devices.json item 0``, ``<DSN without password> devices.id=7``). ``kind``: a
    :data:`RowKind`. ``fields``: the columns or keys exactly as the source had them (a reader
    checks that a device is a mapping; inline devices Ansible parsed are checked by
    :func:`build_device`). ``retyped``: ``[text, type word]`` per tag YAML would have typed but
    the reader kept as the text written (``[["yes", "boolean"], ["2024", "number"]]``).
    """

    origin: str
    kind: RowKind
    fields: Mapping[str, Any]
    retyped: list[list[str]]


def raw_row(origin: str, kind: RowKind, fields: Mapping[str, Any], retyped: list[list[str]] | None = None) -> RawRow:
    """A :class:`RawRow` (``retyped`` defaults to ``[]``)."""
    return {"origin": origin, "kind": kind, "fields": fields, "retyped": retyped if retyped is not None else []}


class DeviceSourceError(ValueError):
    """A source of truth that cannot be turned into an inventory; the message names file/row/field."""


class Warnings:
    """Collect warnings; the same message seen for many devices is reported once with its origins.

    ``add(message, origin)`` records one occurrence; ``render()`` returns one string per distinct
    message, listing at most ``limit`` origins and how many more there were.
    """

    def __init__(self, limit: int = 5) -> None:
        self.limit = limit
        self._seen: dict[str, list[str]] = {}

    def add(self, message: str, origin: str | None = None) -> None:
        """Record ``message`` (once per distinct text) seen at ``origin`` (optional)."""
        origins = self._seen.setdefault(message, [])
        if origin:
            origins.append(origin)

    def render(self) -> list[str]:
        """The collected messages, each as ``message (origin, origin, ... and N more)``."""
        out = []
        for message, origins in self._seen.items():
            if not origins:
                out.append(message)
                continue
            shown = ", ".join(origins[: self.limit])
            more = len(origins) - self.limit
            out.append(f"{message} ({shown}{f', and {more} more' if more > 0 else ''})")
        return out

    def __len__(self) -> int:
        return len(self._seen)


# --- single fields ---------------------------------------------------------------------------

def parse_hostname(value: object, origin: str) -> str:
    """The inventory_hostname from a ``name``/``hostname`` value.

    Numbers become their decimal text; non-ASCII is kept as is. Errors (DeviceSourceError):
    missing/empty, not text, containing whitespace, control characters or ``,`` (an Ansible
    host-pattern separator), or ``/`` or ``\\`` or being ``.``/``..``: a host name names files (the
    backup ``<name>.cfg``, Ansible's fact cache entry), so it must be one plain file name.
    """
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise DeviceSourceError(f"{origin}: missing hostname (field 'name' or 'hostname')")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise DeviceSourceError(f"{origin}: hostname must be text, got {type_word(value)}")
    name = value.strip()
    if _BAD_NAME_CHARS.search(name):
        raise DeviceSourceError(f"{origin}: hostname {name!r} contains whitespace, a control character or ','")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise DeviceSourceError(f"{origin}: hostname {name!r} is not a plain name ('/', '\\\\', '.' or '..'): "
                                "host names name the backup files and fact cache entries")
    return name


def parse_port(value: object, origin: str) -> int | None:
    """A TCP port 1-65535 from an int or digit text; ``None``/empty text -> ``None`` (use the default).

    Errors (DeviceSourceError): booleans, fractions, other text, or a number outside 1-65535.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise DeviceSourceError(f"{origin}: port {value!r} is not a whole number 1-65535")
    if not 1 <= value <= 65535:
        raise DeviceSourceError(f"{origin}: port {value} is outside 1-65535")
    return value


def parse_address(value: object, origin: str) -> tuple[str, int | None]:
    """Split an address into (host, port or None); IPv6 comes back bare, without brackets.

    Accepted: IPv4 ``10.0.0.1``, ``10.0.0.1:2222``; IPv6 ``2001:db8::1``, ``[2001:db8::1]``,
    ``[2001:db8::1]:2222`` (RFC 3986 bracket form), zone ids ``fe80::1%eth0``; DNS names
    (IDN/non-ASCII allowed) with an optional ``:port``. Errors (DeviceSourceError): missing,
    not text, brackets around a non-IPv6, a dotted-number that is no IPv4, bad characters,
    several colons that do not form an IPv6 address, or a bad port.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DeviceSourceError(f"{origin}: missing address (field 'host' or 'ip_address')")
    if not isinstance(value, str):
        raise DeviceSourceError(f"{origin}: address must be text, got {type_word(value)}")
    text = value.strip()
    port_text = None
    bracketed = _BRACKETED.match(text)
    if bracketed:
        text, port_text = bracketed.group(1), bracketed.group(2)
        if not _is_ip(text, version=6):
            raise DeviceSourceError(f"{origin}: [{text}] is not an IPv6 address")
    elif text.count(":") > 1:
        if not _is_ip(text, version=6):
            raise DeviceSourceError(f"{origin}: address {text!r} is not a valid IPv6 address (write [addr]:port for a port)")
    elif ":" in text:
        text, port_text = text.split(":", 1)
    port = None
    if port_text is not None:
        if not _DIGITS.match(port_text):
            raise DeviceSourceError(f"{origin}: address {value!r} has an empty or non-numeric port")
        port = parse_port(port_text, origin)
    if not text or _BAD_HOST_CHARS.search(text):
        raise DeviceSourceError(f"{origin}: address {value!r} contains whitespace or one of / @ , [ ]")
    if re.fullmatch(r"[\d.]+", text) and not _is_ip(text, version=4):
        raise DeviceSourceError(f"{origin}: address {text!r} is not a valid IPv4 address")
    return text, port


def _is_ip(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def address_key(host: str) -> str:
    """Normal form of a host for duplicate detection: compressed IP, or lower-case DNS name sans final dot."""
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host.lower().rstrip(".")


def parse_platform(value: object, origin: str) -> str:
    """The netmiko device_type as given (stripped). Errors: missing, empty or not text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DeviceSourceError(f"{origin}: missing device_type (field 'platform' or 'device_type')")
    if not isinstance(value, str):
        raise DeviceSourceError(f"{origin}: device_type must be text, got {type_word(value)}")
    return value.strip()


# --- tags ------------------------------------------------------------------------------------

def normalise_tag_names(mapping: Mapping | None) -> dict[str, str]:
    """The ``tag_names`` option as ``{id text: name}``; keys may be ints or digit text.

    Errors (DeviceSourceError): a key that is not a whole number, or a name that is empty/not text.
    """
    out: dict[str, str] = {}
    for key, name in (mapping or {}).items():
        key_text = str(key).strip()
        if isinstance(key, bool) or not _DIGITS.match(key_text):
            raise DeviceSourceError(f"tag_names: key {key!r} is not a NetRaven tag id (a whole number)")
        if not isinstance(name, str) or not name:
            raise DeviceSourceError(f"tag_names: the name of tag id {key_text} must be non-empty text")
        out[str(int(key_text))] = name
    return out


def raw_tag_list(value: object, kind: str, origin: str) -> list:
    """The tag values of one row as a list: YAML/SQL lists as they are, a NetRaven CSV/JSON cell split on ``|``.

    ``None``/empty -> ``[]``; a single non-text scalar (``tags: 2024``) -> ``[scalar]``.
    Errors (DeviceSourceError): a mapping; a string outside NetRaven bulk-import files
    (``tags: "core, dc1"`` is never guessed into tags, as the credentials lookup rejects a
    string for a credential's or host's tags; the message shows the list to write instead).
    """
    if value is None or value == "":
        return []
    if isinstance(value, str):
        if kind == "netraven":
            return [part.strip() for part in value.split("|")]
        suggestion = ", ".join(part.strip() for part in value.split(",") if part.strip())
        raise DeviceSourceError(f"{origin}: tags must be a list of tag names, got a string; write tags: [{suggestion}]")
    if isinstance(value, Mapping):
        raise DeviceSourceError(f"{origin}: tags must be a list of tag names, got a mapping")
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def normalise_tags(row: RawRow, tag_names: Mapping[str, str], default_tag: str, warnings: Warnings,
                   origin: str | None = None) -> list[str]:
    """The device's tags as original text, in source order, deduplicated, plus ``default_tag``.

    * kind ``yaml``: the reader already kept unquoted ``yes``/``on``/``2024``/``~`` as the text
      written (listed in ``row["retyped"]``); each gets a warning because YAML 1.1 would have typed it.
    * kind ``netraven`` (bulk-import CSV/JSON): an int or digit text is a NetRaven tag id, resolved
      through ``tag_names``; an id without a name is kept as its digits, with a warning.
    * kind ``sql``: text is a tag name from the ``tags`` table; an int is an association whose tag
      row is missing (resolved through ``tag_names`` if possible, else kept as digits with a warning).
    * anything else that is not text (JSON ``true``, a YAML bool from a config the reader could not
      reload) becomes text with a warning; ``None`` and empty tags are dropped with a warning.
    ``origin`` overrides ``row["origin"]`` in messages (the caller adds the hostname).
    Errors (DeviceSourceError): a tag that is a list or mapping.
    """
    origin, kind = origin or row["origin"], row["kind"]
    for text, yaml_type in row.get("retyped") or ():
        warnings.add(f"tag {text!r} is unquoted YAML that YAML 1.1 reads as a {yaml_type}; "
                     f"kept as the text {text!r} (quote it to silence this warning)", origin)
    seen: dict[str, None] = {}
    for tag in raw_tag_list(row["fields"].get("tags"), kind, origin):
        if isinstance(tag, (list, dict)):
            raise DeviceSourceError(f"{origin}: tag {tag!r} must be text, got {a_type_word(tag)}")
        if tag is None or (isinstance(tag, str) and not tag.strip()):
            warnings.add("empty tag dropped", origin)
            continue
        if _is_tag_id(tag, kind):
            tag_id = str(int(tag))
            if tag_id in tag_names:
                tag = tag_names[tag_id]
            else:
                warnings.add(f"NetRaven tag id {tag_id} has no name (set tag_names or use a SQL source); kept as the text {tag_id!r}", origin)
                tag = tag_id
        elif not isinstance(tag, str):
            text = str(tag).lower() if isinstance(tag, bool) else str(tag)
            warnings.add(f"tag {tag!r} is not text ({type_word(tag)}); kept as the text {text!r}", origin)
            tag = text
        seen.setdefault(tag, None)
    seen.setdefault(default_tag, None)
    return list(seen)


def _is_tag_id(tag: object, kind: str) -> bool:
    """NetRaven tag ids: ints in bulk-import JSON and SQL rows, digit text in bulk-import CSV/JSON."""
    if isinstance(tag, bool) or kind not in ("netraven", "sql"):
        return False
    return isinstance(tag, int) or (kind == "netraven" and isinstance(tag, str) and bool(_DIGITS.match(tag)))


# --- whole rows and the whole set -------------------------------------------------------------

def field_var_suffix(key: str) -> str:
    """The ``netraven_<suffix>`` hostvar suffix for a free field: characters outside ``[A-Za-z0-9_]`` become ``_``."""
    return _NOT_VAR_CHARS.sub("_", str(key))


def _core_value(fields: Mapping, canonical: str, origin: str) -> object:
    """The value of a core field given under any of its aliases; two aliases that disagree are an error."""
    found = [(k, fields[k]) for k in ALIASES[canonical] if k in fields and fields[k] not in (None, "")]
    if len({repr(v) for _key, v in found}) > 1:
        listed = ", ".join(f"{k}={v!r}" for k, v in found)
        raise DeviceSourceError(f"{origin}: conflicting values for {canonical}: {listed}")
    return found[0][1] if found else None


def build_device(row: RawRow, tag_names: Mapping[str, str], default_tag: str, warnings: Warnings) -> dict:
    """One validated device (module docstring shape) from one raw row.

    Errors (DeviceSourceError): missing hostname/address/device_type, bad port, address port that
    contradicts the port field, free-field names that collide once made variable-safe.
    """
    fields, origin = row["fields"], row["origin"]
    if not isinstance(fields, Mapping):
        raise DeviceSourceError(f"{origin}: a device must be a mapping, got {a_type_word(fields)}")
    name = parse_hostname(_core_value(fields, "name", origin), origin)
    origin = f"{origin} ({name})"
    host, address_port = parse_address(_core_value(fields, "host", origin), origin)
    port = parse_port(_core_value(fields, "port", origin), origin)
    if address_port is not None and port is not None and address_port != port:
        raise DeviceSourceError(f"{origin}: the address says port {address_port} but the port field says {port}")
    platform = parse_platform(_core_value(fields, "platform", origin), origin)
    free: dict[str, object] = {}
    origins: dict[str, str] = {}
    for key, value in fields.items():
        if key in _CORE_KEYS or value is None or value == "":
            continue
        suffix = field_var_suffix(key)
        if suffix in origins:
            raise DeviceSourceError(f"{origin}: fields {origins[suffix]!r} and {key!r} would both be netraven_{suffix}")
        origins[suffix] = key
        free[suffix] = value
    return {
        "name": name, "host": host, "port": port or address_port or DEFAULT_PORT, "platform": platform,
        "tags": normalise_tags(row, tag_names, default_tag, warnings, origin), "fields": free, "origin": origin,
    }


def build_devices(rows: Iterable[RawRow], *, tag_names: Mapping[str, str] | None = None, default_tag: str = "default",
                  duplicates: str = "error", warnings: Warnings | None = None, max_errors: int = 20) -> list[dict]:
    """Validate every row and return the devices in source order.

    ``duplicates`` (``error`` | ``warn``) decides what two devices on the same address and port do.
    Two devices with the same hostname are always an error naming both origins.
    Errors (DeviceSourceError): every row problem found, up to ``max_errors`` listed in one message.
    """
    warnings = warnings if warnings is not None else Warnings()
    tag_names = tag_names or {}
    if duplicates not in ("error", "warn"):
        raise DeviceSourceError(f"duplicates must be 'error' or 'warn', got {duplicates!r}")
    devices: list[dict] = []
    errors: list[str] = []
    by_name: dict[str, dict] = {}
    by_address: dict[tuple[str, int], dict] = {}
    for row in rows:
        try:
            device = build_device(row, tag_names, default_tag, warnings)
        except DeviceSourceError as exc:
            errors.append(str(exc))
            continue
        first = by_name.setdefault(device["name"], device)
        if first is not device:
            errors.append(f"duplicate hostname {device['name']!r}: {first['origin']} and {device['origin']}")
            continue
        key = (address_key(device["host"]), device["port"])
        first = by_address.setdefault(key, device)
        if first is not device:
            message = f"{first['origin']} and {device['origin']} both use address {device['host']} port {device['port']}"
            if duplicates == "error":
                errors.append(message + " (set duplicates: warn to allow this)")
                continue
            warnings.add("devices share an address and port (kept, duplicates: warn)", message)
        devices.append(device)
    if errors:
        shown = "\n  ".join(errors[:max_errors])
        more = f"\n  ... and {len(errors) - max_errors} more" if len(errors) > max_errors else ""
        raise DeviceSourceError(f"{len(errors)} problem(s) in the device sources:\n  {shown}{more}")
    return devices


# --- platforms and groups ---------------------------------------------------------------------

def nearest_platforms(name: str, known: Collection[str], count: int = 3) -> list[str]:
    """Up to ``count`` known device_type names closest to ``name`` (difflib ratio, case-insensitive)."""
    lowered = {k.lower(): k for k in known}
    return [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=count, cutoff=0.5)]


def check_platforms(devices: Iterable[Mapping], known: Collection[str], warnings: Warnings) -> None:
    """Warn once per device_type not in ``known`` (netmiko's platform list), naming the nearest names."""
    for device in devices:
        platform = device["platform"]
        if platform not in known:
            near = nearest_platforms(platform, known)
            hint = f"; nearest netmiko names: {', '.join(near)}" if near else ""
            warnings.add(f"device_type {platform!r} is not a netmiko platform{hint}", device["origin"])


def network_os_for(platform: str, extra: Mapping[str, str] | None = None) -> str | None:
    """``ansible_network_os`` for a netmiko device_type from ``extra`` then :data:`NETWORK_OS_MAP`, else None.

    A trailing ``_ssh`` (netmiko's alias suffix) is ignored.
    """
    for table in (extra or {}, NETWORK_OS_MAP):
        for key in (platform, platform[:-4] if platform.endswith("_ssh") else None):
            if key and key in table:
                return table[key]
    return None


def group_conflicts(devices: Iterable[Mapping], group_name: Callable[[str], str], warnings: Warnings) -> None:
    """Warn when distinct tags end up in one group after sanitising (``group_name(tag)`` -> group)."""
    members: dict[str, set[str]] = {}
    for device in devices:
        for tag in device["tags"]:
            members.setdefault(group_name(tag), set()).add(tag)
    for group, tags in members.items():
        if len(tags) > 1:
            warnings.add(f"tags {', '.join(repr(t) for t in sorted(tags))} all become group {group}; "
                         "netraven_tags keeps them apart")
