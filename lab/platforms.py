"""What each emulated platform looks like: prompts, command table, error texts, paging.

A command table maps a tuple of words to a handler name understood by :mod:`lab.shell`.
Words match by prefix like on the real CLIs (``sh run`` = ``show running-config``);
``<n>`` matches a number and ``<any>`` any word.
Sources for the texts: netmiko's session_preparation patterns for each device_type
(``Pagination disabled``, ``Width set to``, ``Screen length set to``...) and the public
vendor CLI documentation for the error lines.
"""
from __future__ import annotations

from dataclasses import dataclass, field

IOS_LIKE_TABLE: dict[tuple[str, ...], str] = {
    ("enable",): "enable",
    ("disable",): "disable",
    ("terminal", "length", "<n>"): "term_length",
    ("terminal", "width", "<n>"): "term_width",
    ("terminal", "no", "monitor"): "ok",
    ("show", "running-config"): "show_config",
    ("show", "startup-config"): "show_config",
    ("show", "version"): "show_version",
    ("show", "privilege"): "show_privilege",
    ("show", "clock"): "show_clock",
    ("configure", "terminal"): "configure",
    ("write", "memory"): "write_memory",
    ("copy", "running-config", "startup-config"): "write_memory",
    ("end",): "end",
    ("exit",): "exit",
    ("quit",): "exit",
    ("logout",): "exit",
}

ASA_TABLE: dict[tuple[str, ...], str] = {
    **IOS_LIKE_TABLE,
    ("show", "curpriv"): "show_curpriv",
    ("terminal", "pager", "<n>"): "term_length",
    ("login",): "ok",
}

JUNOS_TABLE: dict[tuple[str, ...], str] = {
    ("set", "cli", "screen-length", "<n>"): "term_length",
    ("set", "cli", "screen-width", "<n>"): "term_width",
    ("set", "cli", "complete-on-space", "off"): "complete_on_space",
    ("show", "configuration"): "show_config",
    ("show", "configuration", "|", "display", "set"): "show_config",
    ("show", "version"): "show_version",
    ("show", "system", "uptime"): "show_clock",
    ("configure",): "configure",
    ("exit",): "exit",
    ("quit",): "exit",
}

IOS_VERSION = """Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version 15.1(4)M4, RELEASE SOFTWARE (fc1)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2012 by Cisco Systems, Inc.
Compiled Tue 20-Mar-12 18:57 by prod_rel_team

ROM: System Bootstrap, Version 15.0(1r)M15, RELEASE SOFTWARE (fc1)

{host} uptime is 1 week, 2 days, 3 hours, 4 minutes
System returned to ROM by power-on
System image file is "flash0:c2900-universalk9-mz.SPA.151-4.M4.bin"

Cisco CISCO2911/K9 (revision 1.0) with 491520K/32768K bytes of memory.
Processor board ID LAB0000{serial}
3 Gigabit Ethernet interfaces
DRAM configuration is 64 bits wide with parity enabled.
255K bytes of non-volatile configuration memory.

Configuration register is 0x2102
"""

XE_VERSION = """Cisco IOS XE Software, Version 16.12.04
Cisco IOS Software [Gibraltar], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 16.12.4, RELEASE SOFTWARE (fc5)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2020 by Cisco Systems, Inc.

{host} uptime is 1 week, 2 days, 3 hours, 4 minutes
System image file is "bootflash:packages.conf"

cisco CSR1000V (VXE) processor (revision VXE) with 2072007K/3075K bytes of memory.
Processor board ID LAB0000{serial}
3 Gigabit Ethernet interfaces

Configuration register is 0x2102
"""

NXOS_VERSION = """Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Copyright (C) 2002-2019, Cisco and/or its affiliates.

Software
  BIOS: version
  NXOS: version 9.2(4)
  NXOS image file is: bootflash:///nxos.9.2.4.bin

Hardware
  cisco Nexus9000 9000v Chassis
  Device name: {host}
  bootflash: 3509454 kB

Kernel uptime is 9 day(s), 2 hour(s), 3 minute(s), 4 second(s)
"""

EOS_VERSION = """Arista vEOS
Hardware version:
Serial number: LAB0000{serial}
System MAC address: 5254.00{serial_mac}

Software image version: 4.22.1F
Architecture: i686
Internal build version: 4.22.1F-13062802.4221F
Internal build ID: 0b0a6f11-ae5b-4c2b-b1b1-d59ed3d80a2a

Uptime: 1 weeks, 2 days, 3 hours and 4 minutes
Total memory: 2014520 kB
Free memory: 1231284 kB
"""

ASA_VERSION = """Cisco Adaptive Security Appliance Software Version 9.8(4)20
Firepower Extensible Operating System Version 2.2(2.97)
Device Manager Version 7.9(2)

Compiled on Tue 21-Jul-20 10:36 PDT by builders
System image file is "disk0:/asa984-20-smp-k8.bin"
Config file at boot was "startup-config"

{host} up 9 days 2 hours

Hardware:   ASA5516, 8192 MB RAM, CPU Atom C2000 series 2416 MHz, 1 CPU (8 cores)
Serial Number: LAB0000{serial}
"""

JUNOS_VERSION = """Hostname: {host}
Model: vsrx
Junos: 21.4R1.12
JUNOS Software Release [21.4R1.12]
"""


@dataclass(frozen=True)
class Platform:
    """Look and feel of one netmiko device_type."""

    name: str
    table: dict[tuple[str, ...], str]
    version: str
    more: str = " --More-- "
    has_enable: bool = True
    junos: bool = False
    replies: dict[str, str] = field(default_factory=dict)  # handler -> text printed on success
    invalid_text: str = "% Invalid input detected at '^' marker."
    caret: bool = True
    incomplete_text: str = "% Incomplete command."

    def prompt(self, host: str, user: str, mode: str) -> str:
        """The prompt for mode ``user`` / ``priv`` / ``config`` (Junos: ``user@host> ``)."""
        if self.junos:
            return f"{user}@{host}{'#' if mode == 'config' else '>'} "
        return {"user": f"{host}>", "priv": f"{host}#", "config": f"{host}(config)#"}[mode]

    def reply(self, handler: str, arg: str = "") -> str:
        """Text printed after a successful ``handler`` (e.g. ``Pagination disabled.``)."""
        return self.replies.get(handler, "").format(n=arg)


PLATFORMS: dict[str, Platform] = {
    "cisco_ios": Platform("cisco_ios", IOS_LIKE_TABLE, IOS_VERSION),
    "cisco_xe": Platform("cisco_xe", IOS_LIKE_TABLE, XE_VERSION),
    "cisco_nxos": Platform("cisco_nxos", IOS_LIKE_TABLE, NXOS_VERSION, more="--More--",
                           invalid_text="% Invalid command at '^' marker."),
    "cisco_asa": Platform("cisco_asa", ASA_TABLE, ASA_VERSION, more="<--- More --->",
                          invalid_text="ERROR: % Invalid input detected at '^' marker."),
    "arista_eos": Platform("arista_eos", IOS_LIKE_TABLE, EOS_VERSION, more=" --More-- ",
                           replies={"term_length": "Pagination disabled.", "term_width": "Width set to {n} columns."},
                           invalid_text="% Invalid input", caret=False),
    "juniper_junos": Platform("juniper_junos", JUNOS_TABLE, JUNOS_VERSION, more="---(more)---", has_enable=False,
                              junos=True,
                              replies={"term_length": "Screen length set to {n}", "term_width": "Screen width set to {n}",
                                       "complete_on_space": "Disabling complete-on-space"},
                              invalid_text="unknown command.", incomplete_text="syntax error, expecting <command>."),
}


def _word_matches(pattern: str, word: str) -> bool:
    if pattern == "<n>":
        return word.isdigit()
    if pattern == "<any>":
        return True
    return pattern.startswith(word.lower())


def match(table: dict[tuple[str, ...], str], words: list[str]) -> tuple[str | None, int, bool]:
    """Match ``words`` against ``table``.

    Returns ``(handler, bad_index, incomplete)``: the handler name of the first full match (None
    if there is none); otherwise the index of the first word no command accepts, and whether the
    words are a strict prefix of a known command (``% Incomplete command.``).
    """
    best = 0
    incomplete = False
    for pattern, handler in table.items():
        matched = 0
        for pat, word in zip(pattern, words):
            if not _word_matches(pat, word):
                break
            matched += 1
        if matched == len(words) == len(pattern):
            return handler, -1, False
        if matched == len(words) < len(pattern):
            incomplete = True
        best = max(best, matched)
    return None, min(best, max(len(words) - 1, 0)), incomplete
