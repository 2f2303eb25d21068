# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of netraven.core.fetch_config, shared by its module and its action plugin.

``argument_spec()`` = the credential loop's options (``_cli_command``, without ``commands``)
plus ``save_argument_spec()``: where and how the action plugin saves the configuration on the
controller, and fleet mode. The module (on a jump host) only reads; the action plugin saves.
"""
from __future__ import annotations

import os
from typing import Any

from ansible_collections.netraven.core.plugins.module_utils import _cli_command

WORKERS_MAX = 100


def save_argument_spec() -> dict[str, dict[str, Any]]:
    """Options used by the action plugin on the controller (the module accepts and ignores them)."""
    return dict(
        dir_path=dict(type="path"),
        filename=dict(type="str"),
        command=dict(type="str"),
        platform_commands=dict(type="dict", default={}),
        end_markers=dict(type="dict", default={}),
        end_marker=dict(type="str"),
        min_size_ratio=dict(type="float", default=0.5),
        redact=dict(type="bool", default=True),
        mode=dict(type="str", default="0640"),
        return_content=dict(type="bool", default=False),
        hosts=dict(type="list", elements="str"),
        workers=dict(type="int", default=20),
        processes=dict(type="int", default=0),
        progress_interval=dict(type="float", default=10.0),
        batch_changes=dict(type="bool", default=False),
        fleet_result_var=dict(type="str"),
        fleet_requested=dict(type="bool", default=False),
    )


def argument_spec() -> dict[str, dict[str, Any]]:
    """The module's argument spec: the loop's options (without ``commands``) and the save options."""
    spec = {key: value for key, value in _cli_command.argument_spec().items() if key != "commands"}
    spec.update(save_argument_spec())
    return spec


def check_save(save: dict[str, Any]) -> str | None:
    """The first problem with validated save options, or None (names the option, never a value)."""
    if not 1 <= save["workers"] <= WORKERS_MAX:
        return f"workers must be between 1 and {WORKERS_MAX}"
    if save["processes"] < 0:
        return "processes must be 0 (automatic) or a positive number (at most workers are used)"
    if save["progress_interval"] <= 0:
        return "progress_interval must be a positive number of seconds"
    if not 0 <= save["min_size_ratio"] <= 1:
        return "min_size_ratio must be between 0 and 1"
    try:
        int(save["mode"], 8)
    except (TypeError, ValueError):
        return f"mode {save['mode']!r} is not an octal file mode such as '0640'"
    filename = save.get("filename")
    if filename and not plain_file_name(filename):
        return "filename must be a file name, not a path (use dir_path for the folder)"
    return None


def plain_file_name(name: str) -> bool:
    """True when ``name`` is one plain file name: not empty, ``.`` or ``..``, without a path
    separator (``os.sep``, ``os.altsep``) or a NUL byte."""
    separators = [sep for sep in (os.sep, os.altsep) if sep]
    return name not in (".", "..", "") and "\0" not in name and not any(sep in name for sep in separators)


def unsafe_file_name(save: dict[str, Any], device: str) -> str | None:
    """Why the backup file name of ``device`` is refused, or None: it must be one plain name in
    ``dir_path`` (``plain_file_name``). Device names come from a source of truth, so ``../x`` or
    ``a/b`` must never write outside (or below) the backup folder."""
    filename = save.get("filename") or f"{device}.cfg"
    if not plain_file_name(filename):
        return (f"the backup file name {filename!r} is not a plain file name (it holds a path separator, or is "
                "'..'): rename the device, or set the option filename")
    return None


def backup_path(save: dict[str, Any], device: str) -> str:
    """Where the configuration of ``device`` is written: ``dir_path/filename`` (default ``<device>.cfg``)."""
    filename = save.get("filename") or f"{device}.cfg"
    return os.path.join(os.path.realpath(os.path.expanduser(save["dir_path"] or ".")), filename)
