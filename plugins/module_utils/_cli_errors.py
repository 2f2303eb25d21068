# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Answers that are CLI errors, not output: one rule table per platform family.

A device that does not know a command, or refuses it in user EXEC mode, still answers - with an
error line right after the command. The loop (``_attempts``) looks for these lines at the start
of one of the first ``LINES`` lines of each command's output and, on a match, ends the attempt
as ``command_rejected`` (the credential logged in; the command did not run). Wordings, from the
vendors' CLIs (and what ansible.netcommon's terminal plugins match for the same platforms):

- Cisco IOS/IOS-XE/IOS-XR/ASA: ``% Invalid input detected`` (ASA: ``ERROR: % Invalid input``),
  ``% Incomplete command.``, ``% Ambiguous command:``, ``% Unknown command or computer name``;
- Cisco NX-OS: ``% Invalid command at '^' marker.``, ``% Incomplete command``, ``% Ambiguous command``;
- Arista EOS: ``% Invalid input``, ``% Incomplete command``, ``% Ambiguous command``;
- Juniper Junos: ``unknown command.``, ``error: unknown command``, ``syntax error``;
- Huawei VRP, H3C/HPE Comware: ``Error: Unrecognized command found at '^' position.``,
  ``Error: Incomplete command found``, ``Error: Wrong parameter found``.

A platform outside the table gets every rule. A task replaces the rules with its own regular
expressions (``command_errors``), or accepts every answer with an empty list.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

LINES = 4
"""An error is looked for in the first lines of a command's output only (echo and blank lines
come first); further down, a line such as ``% Invalid input`` is a configuration's or a log's
text, not the device's answer."""

_CISCO = (r"(?:ERROR: )?% ?Invalid input", r"% ?Incomplete command", r"% ?Ambiguous command", r"% ?Unknown command",
          r"Unknown command")
_NXOS = (r"% ?Invalid command", r"% ?Invalid input", r"% ?Incomplete command", r"% ?Ambiguous command")
_JUNOS = (r"(?:error: )?unknown command", r"syntax error")
_VRP = (r"Error: ?Unrecognized command", r"Error: ?Incomplete command", r"Error: ?Wrong parameter", r"Error: ?Too many parameters")

RULES: dict[str, tuple[str, ...]] = {
    "cisco_ios": _CISCO, "cisco_xe": _CISCO, "cisco_xr": _CISCO, "cisco_asa": _CISCO,
    "cisco_nxos": _NXOS,
    "arista_eos": _CISCO,
    "juniper_junos": _JUNOS, "juniper": _JUNOS,
    "huawei": _VRP, "huawei_vrpv8": _VRP, "hp_comware": _VRP,
}
"""Regular expressions (matched case-insensitively at the start of a line, after blanks) per netmiko device_type."""

ALL_RULES: tuple[str, ...] = tuple(dict.fromkeys(rule for rules in RULES.values() for rule in rules))
"""The rules for a platform outside ``RULES``."""


def rules_for(platform: str | None, override: Sequence[str] | None = None) -> tuple[str, ...]:
    """The rules to apply: ``override`` when given (``[]`` = none), else the platform's, else ``ALL_RULES``."""
    if override is not None:
        return tuple(override)
    return RULES.get(platform or "", ALL_RULES)


def first_error(output: str, rules: Iterable[str]) -> str | None:
    """The first of the first ``LINES`` lines of ``output`` that starts with a CLI error, or None.

    Each rule is a Python regular expression matched, case-insensitively, at the start of a
    line after leading blanks. Raises ``re.error`` for a malformed rule.
    """
    patterns = [re.compile(r"\s*(?:%s)" % rule, re.IGNORECASE) for rule in rules]
    if not patterns:
        return None
    for line in output.splitlines()[:LINES]:
        if any(pattern.match(line) for pattern in patterns):
            return line.strip()
    return None
