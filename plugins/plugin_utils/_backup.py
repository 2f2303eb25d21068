# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Saving a device's configuration on the controller: checks, redaction and an atomic write.

Used by the action plugin netraven.core.fetch_config after the credential loop read the
configuration (in the worker, or through the module on a jump host). Read top to bottom:

1. ``PLATFORMS``: per netmiko device_type, the command that prints the configuration and a
   regular expression a complete configuration ends with (one table; options override it);
2. ``check_output``: is the answer a truncated configuration (``partial_output``)? Pure;
   returns the failure word and message, or None (a CLI error instead of a configuration is
   found by the credential loop itself: ``command_rejected``, see ``module_utils._cli_errors``);
3. ``backup``: redact, then ``_files.save``: compare with the previous file, write atomically
   (temporary file in the target folder, fsync, ``os.replace``, mode), say whether it changed.

Failure words and their messages are the ones the config_backup role has always used, so
playbooks that match on them keep working.
"""
from __future__ import annotations

import os
import re
from typing import Any, NamedTuple

from ansible_collections.netraven.core.plugins.plugin_utils._files import save
from ansible_collections.netraven.core.plugins.plugin_utils._redact import redact_config

COMMAND_REJECTED = "command_rejected"
PARTIAL_OUTPUT = "partial_output"


class Platform(NamedTuple):
    """How to back up one netmiko device_type: its ``command`` and the ``end_marker`` (a Python
    regular expression searched in the output; empty = checked by size only)."""

    command: str
    end_marker: str = ""


_IOS_END = r"(?m)^end\s*\Z"
_JUNOS_SET = "show configuration | display set"
_JUNOS_END = r"(?m)(^(set|deactivate|activate|protect) \S.*|^\})\s*\Z"

PLATFORMS: dict[str, Platform] = {
    "cisco_ios": Platform("show running-config", _IOS_END),
    "cisco_xe": Platform("show running-config", _IOS_END),
    "cisco_xr": Platform("show running-config", _IOS_END),
    "cisco_nxos": Platform("show running-config"),
    "cisco_asa": Platform("show running-config", r"(?m)^:? ?end\s*\Z"),
    "arista_eos": Platform("show running-config", _IOS_END),
    "juniper_junos": Platform(_JUNOS_SET, _JUNOS_END),
    "juniper": Platform(_JUNOS_SET, _JUNOS_END),
}


def command_for(platform: str | None, command: str | None, overrides: dict[str, str] | None = None) -> str | None:
    """The configuration command: ``command`` if given, else ``overrides[platform]``, else the
    ``PLATFORMS`` entry; None when the platform has none."""
    if command:
        return command
    if overrides and platform in overrides:
        return overrides[platform]
    entry = PLATFORMS.get(platform or "")
    return entry.command if entry else None


def end_marker_for(platform: str | None, overrides: dict[str, str] | None = None) -> str:
    """The end marker of ``platform`` (``overrides`` first, then ``PLATFORMS``); '' = none."""
    if overrides and platform in overrides:
        return overrides[platform] or ""
    entry = PLATFORMS.get(platform or "")
    return entry.end_marker if entry else ""


def rejected_message(device: str, command: str, error_line: str, path: str) -> str:
    """The failure message of a configuration command the device answered with a CLI error
    (typically a device still in user EXEC mode); names the line, never configuration text."""
    return (f"{COMMAND_REJECTED}: {device} answered '{command}' with an error ({error_line}). If the device needs "
            f"privileged mode, set netraven_enable=true for it (and an enable_secret on its credential); "
            f"{path} was not written")


def check_output(device: str, text: str, *, size: int, path: str, previous_size: int | None,
                 end_marker: str = "", min_size_ratio: float = 0.5) -> tuple[str, str] | None:
    """Why ``text`` (the device's configuration) must not be saved, or None.

    Returns ``(partial_output, message)`` when the text is empty, lacks ``end_marker`` (a
    regular expression), or the content to save (``size`` bytes, after redaction) is smaller
    than ``min_size_ratio`` times ``previous_size`` bytes (the size of the file at ``path``).
    Pure; raises ``re.error`` for a bad marker.
    """
    minimum = int(previous_size * min_size_ratio) if previous_size else 0
    no_marker = bool(end_marker) and not re.search(end_marker, text)
    if not text or no_marker or size < minimum:
        details = f"{size} bytes"
        if no_marker:
            details += ", no end marker"
        if previous_size is not None:
            details += f", previous backup {previous_size} bytes"
        return PARTIAL_OUTPUT, (
            f"{PARTIAL_OUTPUT}: the configuration read from {device} looks truncated ({details}); {path} was not written")
    return None


def previous_size(path: str) -> int | None:
    """Size in bytes of the file at ``path``, or None when there is none."""
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None


def backup(device: str, text: str, path: str, *, redact: bool = True, end_marker: str = "",
           min_size_ratio: float = 0.5, mode: int = 0o640, check_mode: bool = False,
           want_diff: bool = False) -> dict[str, Any]:
    """Check, redact and save one device's configuration ``text``.

    Returns ``{"failed": True, "outcome": word, "msg": message}`` when ``check_output`` refuses the
    text (the previous file is left untouched), else ``{"changed", "path", "size", "redacted"}``
    plus ``diff`` (only when ``want_diff`` and the file changed; never for unredacted content).
    Raises OSError when the file cannot be written.
    """
    content = redact_config(text) if redact else text
    problem = check_output(device, text, size=len(content.encode("utf-8", "surrogateescape")), path=path,
                           previous_size=previous_size(path), end_marker=end_marker, min_size_ratio=min_size_ratio)
    if problem is not None:
        return {"failed": True, "outcome": problem[0], "msg": problem[1]}
    saved = save(path, content, mode=mode, check_mode=check_mode, want_diff=want_diff and redact)
    result: dict[str, Any] = {"changed": saved.changed, "path": path, "size": saved.size, "redacted": redact}
    if saved.diff is not None:
        result["diff"] = saved.diff
    return result
