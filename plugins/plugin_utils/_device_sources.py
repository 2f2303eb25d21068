# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers for the netraven.core.devices inventory plugin: files and databases -> raw rows.

Every reader returns a list of raw rows (shape in ``_devices``): plain JSON-serialisable data
with an ``origin`` naming the file and line (or DSN and row id), so the inventory cache can
store them and every later message can point at the source. No Ansible state is used.

Source kinds (:func:`source_kind`):

* ``*.yml`` / ``*.yaml``: a list of devices, or a mapping with a ``devices:`` list. Unquoted
  ``tags`` items and ``name``/``hostname`` values are kept as the text written, so
  ``tags: [yes, on, 2024, ~]`` gives ``"yes", "on", "2024", "~"`` (recorded in ``retyped``).
* ``*.csv``: NetRaven bulk import (``hostname,ip_address,device_type,port,...,tags``), tags ``|``-separated.
* ``*.json``: NetRaven bulk import, a list of such objects (or ``{"devices": [...]}``).
* ``sqlite:///abs/path.db``, ``sqlite:rel/path.db``, ``*.db``/``*.sqlite``/``*.sqlite3``, and
  ``postgresql://...``: NetRaven's tables ``devices``, ``tags``, ``device_tag_association``.

Errors: ``DeviceSourceError`` naming the path, or the DSN without its password.
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import os
import sqlite3
from collections.abc import Mapping
from urllib.parse import quote, urlsplit, urlunsplit

import yaml

from ansible_collections.netraven.core.plugins.plugin_utils._devices import DeviceSourceError
from ansible_collections.netraven.core.plugins.plugin_utils._type_words import a_type_word

_YAML_STR = "tag:yaml.org,2002:str"
_TEXT_KEYS = ("tags", "name", "hostname")
_YAML_TYPE_WORDS = {"bool": "boolean", "int": "number", "float": "number", "null": "null", "timestamp": "date"}
_YAML_SCALAR_WORDS = {"str": "a string", "bool": "a boolean", "int": "a number", "float": "a number", "timestamp": "a date"}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SQL_SUFFIXES = (".db", ".sqlite", ".sqlite3")


# --- locating a source ------------------------------------------------------------------------

def source_kind(spec: str) -> str:
    """``yaml`` | ``csv`` | ``json`` | ``sqlite`` | ``postgresql`` for a ``source`` entry.

    Errors (DeviceSourceError): a URL scheme or file suffix the plugin does not read.
    """
    lowered = spec.lower()
    if lowered.startswith("sqlite:"):
        return "sqlite"
    if lowered.startswith(("postgresql://", "postgres://")):
        return "postgresql"
    if "://" in lowered:
        raise DeviceSourceError(f"source {redact_dsn(spec)}: unknown URL scheme (use sqlite:/// or postgresql://)")
    for suffixes, kind in (((".yml", ".yaml"), "yaml"), ((".csv",), "csv"), ((".json",), "json"), (_SQL_SUFFIXES, "sqlite")):
        if lowered.endswith(suffixes):
            return kind
    raise DeviceSourceError(f"source {spec}: unknown kind (expected .yml/.yaml, .csv, .json, .db/.sqlite or a SQL URL)")


def resolve_path(path: str, base_dir: str) -> str:
    """``path`` with ``~`` expanded, made absolute against ``base_dir`` (the config file's folder)."""
    path = os.path.expanduser(path)
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base_dir, path))


def sqlite_path(spec: str, base_dir: str) -> str:
    """The file behind a SQLite source: ``sqlite:///abs/path`` or ``sqlite:////abs/path`` (absolute; ``sqlite:///~/x`` expands ``~``),
    ``sqlite:rel/path`` (relative to ``base_dir``), or a bare ``*.db`` path. Errors: ``sqlite://host/...``.
    """
    if not spec.lower().startswith("sqlite:"):
        return resolve_path(spec, base_dir)
    rest = spec[len("sqlite:"):].split("?", 1)[0]
    if rest.startswith("///"):
        rest = "/" + rest.lstrip("/")  # sqlite:///abs and SQLAlchemy's sqlite:////abs are both absolute
        return os.path.expanduser(rest[1:]) if rest.startswith("/~") else rest
    if rest.startswith("//"):
        raise DeviceSourceError(f"source {spec}: write sqlite:///absolute/path or sqlite:relative/path")
    return resolve_path(rest, base_dir)


def redact_dsn(dsn: str) -> str:
    """``dsn`` without its password (in the user-info part or a ``password=`` query parameter)."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "<unparsable DSN>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hostport = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{hostport}"
    query = "&".join(p for p in parts.query.split("&") if p.split("=", 1)[0].lower() != "password")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# --- YAML --------------------------------------------------------------------------------------

def _keep_text(node: yaml.Node, found: list) -> None:
    """Re-tag plain scalars (style None, or "" from libyaml) YAML would type (bool/int/float/null/timestamp) as text, recording them."""
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _keep_text(item, found)
    elif isinstance(node, yaml.ScalarNode) and not node.style and node.tag != _YAML_STR:
        kind = node.tag.rsplit(":", 1)[-1]
        if kind in _YAML_TYPE_WORDS:
            found.append([node.value, _YAML_TYPE_WORDS[kind]])
            node.tag = _YAML_STR


def _device_items(root: yaml.Node | None, label: str, allow_list: bool) -> yaml.SequenceNode | None:
    """The node holding the device list: the root sequence, or the value of a top-level ``devices`` key.

    ``None`` for an empty document or ``devices:`` without a value. A device file (``allow_list``)
    whose top level is anything else (a mapping of hosts, say) is an error naming what was found;
    a configuration file (not ``allow_list``) without a ``devices`` key simply has no inline devices.
    """
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null")):
        return None
    if isinstance(root, yaml.SequenceNode) and allow_list:
        return root
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "devices":
                if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null"):
                    return None
                if not isinstance(value, yaml.SequenceNode):
                    raise DeviceSourceError(f"{label} line {value.start_mark.line + 1}: devices must be a list")
                return value
        if not allow_list:
            return None
    raise DeviceSourceError(f"{label}: expected a list of devices or a mapping with a devices: list; found {_node_words(root)}")


def _node_words(node: yaml.Node) -> str:
    """What a YAML node is, for messages: ``a mapping with the key(s) hosts, all``, ``a string``, ``a list``."""
    if isinstance(node, yaml.MappingNode):
        keys = [str(key.value) for key, _value in node.value if isinstance(key, yaml.ScalarNode)]
        return f"a mapping with the key(s) {', '.join(keys)}" if keys else "an empty mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return _YAML_SCALAR_WORDS.get(node.tag.rsplit(":", 1)[-1], "a scalar")


def load_yaml_devices(stream, label: str, allow_list: bool = True) -> list[dict]:
    """Raw rows (kind ``yaml``) from YAML text or a text stream; ``label`` (the path) starts every origin.

    ``allow_list`` accepts a top-level list (device files); configs need a ``devices:`` key.
    Errors (DeviceSourceError): YAML syntax, a device that is not a mapping, a non-list ``devices``,
    a device file whose top level is neither a list nor a mapping with ``devices``.
    """
    loader = _Loader(stream)
    try:
        root = loader.get_single_node()
        seq = _device_items(root, label, allow_list)
        if seq is None:
            return []
        retyped: list[list] = []
        for item in seq.value:
            found: list = []
            if isinstance(item, yaml.MappingNode):
                for key, value in item.value:
                    if isinstance(key, yaml.ScalarNode) and key.value in _TEXT_KEYS:
                        _keep_text(value, found if key.value == "tags" else [])
            retyped.append(found)
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise DeviceSourceError(f"{label}: not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    devices = data if isinstance(data, list) else data.get("devices") or []
    rows = []
    for item, node, found in zip(devices, seq.value, retyped):
        origin = f"{label} line {node.start_mark.line + 1}"
        if not isinstance(item, Mapping):
            raise DeviceSourceError(f"{origin}: a device must be a mapping, got {a_type_word(item)}")
        rows.append({"origin": origin, "kind": "yaml", "fields": item, "retyped": found})
    return rows


def read_yaml(path: str) -> list[dict]:
    """Raw rows from a YAML device file. Errors: unreadable or non-UTF-8 file, bad YAML, wrong top-level shape (path named)."""
    return load_yaml_devices(read_text(path), path)


# --- NetRaven bulk import ----------------------------------------------------------------------

def read_csv(path: str) -> list[dict]:
    """Raw rows (kind ``netraven``) from a NetRaven bulk-import CSV; origins give the starting line.

    Read as RFC 4180 CSV (Python's ``csv`` module in strict mode): CRLF or LF line ends, a UTF-8
    byte-order mark is dropped (Excel's "CSV UTF-8"), quoted cells may span lines.
    Errors (DeviceSourceError, naming the file and line): unreadable or non-UTF-8 file, a quoted
    cell whose closing quote never comes (it would swallow the rows after it), text after a
    closing quote, a row with more cells than the header.
    """
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    rows: list[dict] = []
    line = 0
    try:
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            return []
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise DeviceSourceError(f"{path} line {start}: {len(cells)} cells but the header has {len(header)}")
            rows.append({"origin": f"{path} line {start}", "kind": "netraven",
                         "fields": {h: c.strip() for h, c in zip(header, cells)}, "retyped": []})
    except csv.Error as exc:
        raise DeviceSourceError(f"{path} line {line + 1}: {_csv_problem(exc)}") from None
    return rows


def _csv_problem(exc: csv.Error) -> str:
    """Plain words for the ``csv`` module's strict-mode errors (CPython's ``_csv.c`` messages)."""
    text = str(exc)
    if "unexpected end of data" in text:
        return 'a quoted field is never closed (a " without its closing "); every row after it would be read as part of it'
    if "expected after" in text:
        return 'text after a closing quote (write "" for a quote inside a quoted field)'
    return f"not valid CSV: {text}"


def read_json(path: str) -> list[dict]:
    """Raw rows (kind ``netraven``) from a NetRaven bulk-import JSON list; origins give the item index.

    Errors (DeviceSourceError): unreadable file, bad JSON (with its line), not a list of objects.
    """
    try:
        data = json.loads(read_text(path))
    except ValueError as exc:
        raise DeviceSourceError(f"{path}: not valid JSON: {exc}") from None
    if isinstance(data, Mapping) and "devices" in data:
        data = data["devices"]
    if not isinstance(data, list):
        raise DeviceSourceError(f"{path}: expected a JSON list of devices (or an object with a devices list), got {a_type_word(data)}")
    rows = []
    for index, item in enumerate(data):
        origin = f"{path} item {index}"
        if not isinstance(item, Mapping):
            raise DeviceSourceError(f"{origin}: a device must be an object, got {a_type_word(item)}")
        rows.append({"origin": origin, "kind": "netraven", "fields": dict(item), "retyped": []})
    return rows


def read_text(path: str) -> str:
    """The text of a device file: UTF-8, a leading byte-order mark dropped (``utf-8-sig``), line ends kept.

    Errors (DeviceSourceError): the file cannot be read (the OS reason, once); the bytes are not
    UTF-8 (the line and the first bad byte, with how to fix it).
    """
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        raise DeviceSourceError(f"cannot read device source {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DeviceSourceError(f"{path} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                                "save it as UTF-8 (Excel: CSV UTF-8; iconv -f latin1 -t utf-8)") from None


# --- SQL (NetRaven's schema) ---------------------------------------------------------------------

_DEVICES_SQL = "SELECT * FROM devices ORDER BY id"
_TAGS_SQL = ("SELECT a.device_id, a.tag_id, t.name FROM device_tag_association a "
             "LEFT JOIN tags t ON t.id = a.tag_id ORDER BY a.device_id, a.tag_id")
_TAG_NAMES_SQL = "SELECT id, name FROM tags"


def _connect(spec: str, base_dir: str, timeout: int) -> tuple[object, str, type[Exception]]:
    """(DB-API connection, label for messages, the driver's error base class) for a SQL source; SQLite opens read-only."""
    if source_kind(spec) == "sqlite":
        path = sqlite_path(spec, base_dir)
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise DeviceSourceError(f"cannot read device source {path}: no such readable file")
        try:
            return sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=timeout), path, sqlite3.Error
        except sqlite3.Error as exc:
            raise DeviceSourceError(f"cannot open device source {path}: {exc}") from exc
    label = redact_dsn(spec)
    try:
        import psycopg  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise DeviceSourceError(f"source {label}: the Python library psycopg (3.x) is required for postgresql:// sources") from exc
    try:
        return psycopg.connect(spec, connect_timeout=timeout), label, psycopg.Error
    except psycopg.Error as exc:
        raise DeviceSourceError(f"cannot connect to device source {label}: {_scrub(exc, spec)}") from exc


def _scrub(exc: Exception, dsn: str) -> str:
    """The error text with the DSN's password (if any) cut out."""
    text = str(exc).strip()
    try:
        password = urlsplit(dsn).password
    except ValueError:
        password = None
    return text.replace(password, "***") if password else text


def _plain(value: object) -> object:
    """A SQL value as JSON-serialisable data (timestamps as ISO-8601 text)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def read_sql(spec: str, base_dir: str, timeout: int = 10) -> tuple[list[dict], dict[str, str]]:
    """Raw rows (kind ``sql``) and the ``{tag id: name}`` table from NetRaven's schema.

    Every column of ``devices`` is read (``hostname``, ``ip_address``, ``device_type``, ``port``
    plus free fields such as ``description``, ``id``, ``created_at``); tags come from
    ``device_tag_association`` joined to ``tags`` (in tag id order). Unqualified table names, so a PostgreSQL
    ``search_path`` in the DSN (``options=-csearch_path=...``) picks the schema. An association
    pointing at a missing tag keeps the id as text (and the caller warns via the ``tags`` value).
    Errors (DeviceSourceError): unreachable server, missing file or table; the DSN is shown without its password.
    """
    conn, label, db_error = _connect(spec, base_dir, timeout)
    try:
        cur = conn.cursor()
        cur.execute(_DEVICES_SQL)
        columns = [d[0] for d in cur.description]
        devices = [dict(zip(columns, map(_plain, values))) for values in cur.fetchall()]
        cur.execute(_TAGS_SQL)
        tags: dict[object, list] = {}
        for device_id, tag_id, name in cur.fetchall():
            tags.setdefault(device_id, []).append(name if name is not None else int(tag_id))
        cur.execute(_TAG_NAMES_SQL)
        tag_names = {str(tag_id): name for tag_id, name in cur.fetchall()}
    except db_error as exc:
        raise DeviceSourceError(f"cannot read NetRaven tables from {label}: {_scrub(exc, spec)}") from exc
    finally:
        conn.close()
    rows = []
    for device in devices:
        device["tags"] = tags.get(device.get("id"), [])
        rows.append({"origin": f"{label} devices.id={device.get('id')}", "kind": "sql", "fields": device, "retyped": []})
    return rows, tag_names


# --- one entry of the source option ------------------------------------------------------------

def read_source(spec: str, base_dir: str, timeout: int = 10) -> tuple[list[dict], dict[str, str]]:
    """Raw rows and SQL tag names (``{}`` for files) for one ``source`` entry, paths relative to ``base_dir``."""
    kind = source_kind(spec)
    if kind in ("sqlite", "postgresql"):
        return read_sql(spec, base_dir, timeout)
    path = resolve_path(spec, base_dir)
    reader = {"yaml": read_yaml, "csv": read_csv, "json": read_json}[kind]
    return reader(path), {}


def read_tag_names(spec: str, base_dir: str, timeout: int = 10) -> dict[str, str]:
    """``{tag id: name}`` from the ``tags`` table of a SQL source (for ``tag_names: sqlite:///...``)."""
    if source_kind(spec) not in ("sqlite", "postgresql"):
        raise DeviceSourceError(f"tag_names {spec}: give a mapping of id -> name or a sqlite:/// / postgresql:// URL")
    conn, label, db_error = _connect(spec, base_dir, timeout)
    try:
        cur = conn.cursor()
        cur.execute(_TAG_NAMES_SQL)
        return {str(tag_id): name for tag_id, name in cur.fetchall()}
    except db_error as exc:
        raise DeviceSourceError(f"cannot read the tags table from {label}: {_scrub(exc, spec)}") from exc
    finally:
        conn.close()


def netmiko_platforms() -> frozenset[str] | None:
    """netmiko's device_type names (``netmiko.ssh_dispatcher.CLASS_MAPPER``), or None when netmiko is missing."""
    try:
        from netmiko.ssh_dispatcher import CLASS_MAPPER  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return frozenset(CLASS_MAPPER)
