# -*- coding: utf-8 -*-
# Copyright (c) netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remove secrets from network device configurations (pure functions, no Ansible state).

``redact_config(text) -> str`` replaces every secret value it recognises with the fixed
marker :data:`REDACTION_MARKER` (``<removed>``) and leaves every other character of the
text as it was: line endings, blank lines, trailing spaces, the secret's type digit
(``enable secret 5 <removed>``) and surrounding quotes (``encrypted-password "<removed>"``).
The function is idempotent: ``redact_config(redact_config(t)) == redact_config(t)``.

How it works: the text is read line by line. Each line is offered to one ordered table of
rules, :data:`RULES`; the first keyword rule whose ``applies`` pattern matches the line (and,
where a rule needs it, whose ``parent`` pattern matches the enclosing block) replaces the
value group of each of its ``values`` patterns. The table's ``every_line`` rules (at its end)
are applied to every line after that: the password of a URL with ``user:password@``
(RFC 3986 section 3.2.1 userinfo; ``boot system ftp://``, ``archive`` ``path``, ``copy``
targets...), crypt-style hashes (``$1$``, ``$5$``, ``$6$``, ``$8$``, ``$9$``) and values on
lines Junos marks ``## SECRET-DATA``. A line in which the rules found nothing, and which no
block-dependent rule applies to, is remembered (``_CLEAN_LINES``), so the next configuration that
has it again (fleet mode: many similar devices in one process) skips the rules for it.

Covered (vendor syntax as documented in the vendors' configuration guides):
Cisco IOS/IOS-XE/NX-OS/ASA and Arista EOS ``enable secret|password``, ``username ...
secret|password``, ``passwd``, SNMP communities and v3 user keys, TACACS+/RADIUS keys
(global, per host, ``server-private``, ``key`` lines in ``tacacs server``/``radius server``/
``aaa-server`` blocks), BGP ``neighbor ... password``, NTP ``authentication-key``, OSPF
``authentication-key``/``message-digest-key``, IS-IS ``isis password``/``area-password``/
``domain-password``/``authentication key``, key-chain ``key-string`` (EIGRP/RIP), HSRP/VRRP
authentication (``standby``, ``vrrp``, ``glbp``, NX-OS ``authentication text``), EIGRP
``authentication mode hmac-sha-256``, OSPFv3 IPsec ``spi`` keys, ``crypto isakmp key`` (and
the ``key`` of a ``crypto isakmp client configuration group``), ``pre-shared-key``, ASA
``failover key`` and ``ldap-login-password``, ``wpa-psk``, WLC ``psk set-key``, line and PPP
``password``, MSDP ``ip msdp password [peer] ADDRESS [TYPE] SECRET``, MPLS LDP ``password
fallback|option``, RADIUS dynamic-author ``server-key``, ``ip nhrp authentication``, DOCSIS
``cable shared-secret``, ``snmp-server mib community-map``; Junos ``encrypted-password``, ``secret``, ``authentication-key``,
``pre-shared-key ascii-text|hexadecimal``, ``simple-password``, ``key "..."``, NTP
``value "..."``, ``snmp community`` names (set and curly formats).

Known limits: a cleartext IOS password containing spaces (``password 0 two words``) keeps
its words after the first; the first word is removed. A URL password containing a raw ``/``
(not percent-encoded) is not recognised.
"""
from __future__ import annotations

import re
from typing import NamedTuple, Optional, Pattern, Sequence

from ansible_collections.netraven.core.plugins.plugin_utils._type_words import type_word

REDACTION_MARKER = "<removed>"
"""The fixed text that replaces every secret value."""

# A value is a double-quoted string (quotes kept) or one whitespace-free token.
_VAL = r'(?P<val>"[^"\n]*"|[^\s"]\S*)'
# Junos values also stop before the statement's ';'.
_JVAL = r'(?P<val>"[^"\n]*"|[^\s";]+)'
# Encryption type words between a keyword and its value (Cisco/Arista/NX-OS).
_TYPE = r"(?:(?:\d{1,2}|sha512|sha256|scrypt|md5|encrypted) )?"


class Rule(NamedTuple):
    """One redaction rule.

    ``applies``: matched with ``search`` against the line; the first rule that applies wins.
    ``values``: patterns whose named group ``val`` is the secret (replaced everywhere it
    matches on the line). ``parent``: when set, the rule only applies inside a block whose
    head line (last non-indented line, or the Junos ``{`` block path) matches it.
    ``every_line``: the rule is not a keyword rule competing for the line; it is applied to
    every line after the keyword rule that won (URL passwords, crypt hashes, SECRET-DATA).
    """

    name: str
    applies: Pattern[str]
    values: Sequence[Pattern[str]]
    parent: Optional[Pattern[str]] = None
    every_line: bool = False


def _rule(name: str, applies: str, *values: str, parent: Optional[str] = None, every_line: bool = False) -> Rule:
    return Rule(
        name,
        re.compile(applies),
        tuple(re.compile(v) for v in values),
        re.compile(parent) if parent else None,
        every_line,
    )


_NOT_NO = r"^(?!\s*no\s)"

RULES: tuple[Rule, ...] = (
    # --- Cisco IOS / IOS-XE / NX-OS / ASA, Arista EOS -------------------------------
    _rule("enable", _NOT_NO + r"\s*enable (?:secret|password)\b",
          r"\benable (?:secret|password) (?:level \d+ )?" + _TYPE + _VAL),
    _rule("username", _NOT_NO + r"\s*username \S+ .*\b(?:secret|password)\b",
          r"(?<![\w-])(?:secret|password) " + _TYPE + _VAL),
    _rule("asa-passwd", r"^\s*passwd ", r"^\s*passwd " + _VAL),
    _rule("aaa-root", r"^\s*aaa root secret ", r"\bsecret " + _TYPE + _VAL),
    _rule("snmp-community", _NOT_NO + r"\s*snmp-server\b.*\bcommunity(?:-map)? ",
          r"\bcommunity(?:-map)? " + _VAL),
    # IOS: snmp-server host ADDRESS [vrf NAME] [informs|traps] [version 1|2c|3 ...] COMMUNITY [udp-port N]
    # (Arista and NX-OS put vrf or use-vrf elsewhere; v3 names a user, not a secret).
    _rule("snmp-host", _NOT_NO + r"\s*snmp-server host ",
          r"^\s*snmp-server host \S+ (?:(?:informs|traps|vrf \S+|version (?:1|2c)) )*"
          r"(?!(?:informs|traps|version|vrf|use-vrf|filter-vrf|source-interface|udp-port|community)\b)"
          r"(?![\d.]+(?:\s|$))(?![0-9a-fA-F:]*:)" + _VAL),
    _rule("snmp-user", _NOT_NO + r"\s*snmp-server user ",
          r"\bauth (?:md5|sha\S*) " + _VAL,
          r"\bpriv (?:(?:aes|des|3des|aes-?\d+|aes\d+)(?: \d+)? )?" + _VAL),
    _rule("tacacs-radius", _NOT_NO + r"\s*(?:tacacs-server|radius-server|server-private)\b.*\bkey ",
          r"\bkey " + _TYPE + _VAL),
    _rule("aaa-block-key", r"^\s+(?:key|pac key) ", r"\bkey " + _TYPE + _VAL,
          parent=r"^(?:tacacs server|radius server|aaa-server|aaa group server|tacacs-server|radius-server|"
                 r"crypto isakmp client configuration group)\b"),
    # RADIUS change of authorization (aaa server radius dynamic-author): [client ADDRESS [vrf NAME]] server-key [TYPE] KEY.
    _rule("radius-server-key", _NOT_NO + r"\s*(?:client \S+ (?:vrf \S+ )?)?server-key ", r"\bserver-key " + _TYPE + _VAL),
    _rule("bgp-neighbor-password", _NOT_NO + r"\s*neighbor \S+ password ",
          r"\bpassword " + _TYPE + _VAL),
    _rule("ntp-key", _NOT_NO + r"\s*ntp authentication-key \d+ ",
          r"\bauthentication-key \d+ \S+ " + _TYPE + _VAL),
    _rule("ospf-md5", r"\bmessage-digest-key \d+ md5 ", r"\bmessage-digest-key \d+ md5 " + _TYPE + _VAL),
    _rule("isis-password", _NOT_NO + r"\s*(?:isis password|area-password|domain-password) ",
          r"\b(?:password|area-password|domain-password) " + _TYPE + _VAL),
    _rule("isis-auth-key", _NOT_NO + r"\s*(?:isis )?authentication key ",
          r"\bauthentication key " + _TYPE + _VAL),
    _rule("key-string", _NOT_NO + r"\s*(?:\S.* )?key-string ", r"\bkey-string " + _TYPE + _VAL),
    _rule("hsrp-vrrp-text", _NOT_NO + r"\s*(?:(?:standby|vrrp|glbp)(?: \d+)? authentication (?:text )?(?!md5)|authentication text )\S",
          r"\bauthentication (?:text )?" + _VAL),
    _rule("eigrp-hmac", _NOT_NO + r"\s*authentication mode hmac-sha-256 ", r"\bhmac-sha-256 " + _TYPE + _VAL),
    _rule("ospfv3-ipsec", _NOT_NO + r"\s*(?:ipv6 ospf|ospfv3)\b.* ipsec spi \d+ ",
          r"\b(?:md5|sha1) " + _TYPE + _VAL,
          r"\besp (?:null|des|3des|aes-cbc(?: \d+)?) " + _TYPE + _VAL),
    _rule("nhrp-auth", _NOT_NO + r"\s*ip nhrp authentication ", r"\bauthentication " + _VAL),
    # IOS: ip msdp [vrf NAME] password peer ADDRESS [TYPE] SECRET; NX-OS: ip msdp password ADDRESS [TYPE] SECRET.
    _rule("msdp-password", _NOT_NO + r"\s*ip msdp (?:vrf \S+ )?password ",
          r"\bpassword (?:peer )?\S+ " + _TYPE + _VAL),
    # MPLS LDP: mpls ldp password fallback [TYPE] SECRET | option N for ACL [TYPE] SECRET ("required" has no value).
    _rule("ldp-password", _NOT_NO + r"\s*mpls ldp (?:vrf \S+ )?password (?:fallback|option) ",
          r"\bpassword (?:fallback|option \d+ for \S+) " + _TYPE + _VAL),
    _rule("cable-shared-secret", _NOT_NO + r"\s*cable shared-secret ", r"\bshared-secret " + _TYPE + _VAL),
    _rule("asa-ldap-login-password", _NOT_NO + r"\s*ldap-login-password ", r"\bldap-login-password " + _VAL),
    _rule("wlc-psk", _NOT_NO + r"\s*security wpa psk set-key ", r"\bset-key (?:ascii|hex) " + _TYPE + _VAL),
    _rule("isakmp-key", _NOT_NO + r"\s*crypto isakmp key ", r"\bkey " + _TYPE + _VAL),
    _rule("config-key", r"^\s*key config-key password-encrypt ", r"password-encrypt " + _VAL),
    _rule("failover-key", _NOT_NO + r"\s*failover key ", r"\bkey " + _TYPE + _VAL),
    # --- Junos (set and curly formats) --------------------------------------------------
    _rule("junos-snmp-community-set", r"^\s*set snmp community ", r"^\s*set snmp community " + _JVAL),
    _rule("junos-snmp-community", r"^\s*community \S+ \{", r"^\s*community " + _JVAL, parent=r"^snmp\b"),
    _rule("junos-ntp-key", r"\bauthentication-key \d+ type \S+ value ", r"\bvalue " + _JVAL),
    _rule("junos-psk", r"\bpre-shared-key (?:ascii-text|hexadecimal) ",
          r"\bpre-shared-key (?:ascii-text|hexadecimal) " + _JVAL),
    _rule("junos-keywords",
          r"(?<![\w-])(?:encrypted-password|secret|authentication-key|simple-password|key|value) \"",
          r"(?<![\w-])(?:encrypted-password|secret|authentication-key|simple-password|key|value) " + _JVAL),
    # Junos-shaped lines only (set lines, or curly statements ending in ';'): an IOS
    # "authentication-key 0 KEY" is handled by ospf-auth-key below.
    _rule("junos-keywords-bare", r"^\s*(?:set .* (?:encrypted-password|authentication-key|simple-password) |"
          r"(?:encrypted-password|authentication-key|simple-password) [^;]*;)",
          r"(?<![\w-])(?:encrypted-password|authentication-key|simple-password) " + _JVAL),
    # --- generic, Cisco-style: pre-shared keys, password/secret keywords ----------------
    _rule("pre-shared-key", _NOT_NO + r".*\bpre-shared-key ",
          r"\bpre-shared-key (?:(?:local|remote|address \S+(?: \S+)? key|hostname \S+ key) )?" + _TYPE + _VAL),
    _rule("ospf-auth-key", _NOT_NO + r".*\bauthentication-key ", r"\bauthentication-key " + _TYPE + _VAL),
    _rule("wpa-psk", _NOT_NO + r"\s*wpa-psk (?:ascii|hex) ", r"\bwpa-psk (?:ascii|hex) " + _TYPE + _VAL),
    # Any other "password X" / "secret X" (line passwords, ppp chap, XR username blocks...), except
    # feature switches and Junos statements (set lines and curly lines; their secrets are quoted
    # and handled above).
    _rule("password-keyword",
          _NOT_NO + r"(?!\s*(?:service|security|feature|password (?:encryption|strength-check|secure-mode|policy|minimum|min-length)|"
          r"aaa |ip ssh|ssh |set )\b)(?!.*[;{]\s*$).*(?<![\w-])(?:password|secret) (?!required\b)",
          r"(?<![\w-])(?:password|secret) " + _TYPE + _VAL),
    # --- every line, after the keyword rule (already-redacted values stay as they are) -----
    # URL userinfo (RFC 3986 3.2.1): scheme://user:PASSWORD@host; the user and the rest stay readable.
    _rule("url-password", r"://[^:@\s/]*:[^\s/]*@", r"://[^:@\s/]*:(?P<val>[^\s/]+)@", every_line=True),
    _rule("crypt-hash", r"\$(?:1|5|6|8|9)\$", r"(?P<val>\$(?:1|5|6|8|9)\$[^\s\"';]+)", every_line=True),
    _rule("junos-secret-data", r"## SECRET-DATA", r'(?P<val>"[^"\n]*")(?=[^"\n]*## SECRET-DATA)', every_line=True),
)

_KEYWORD_RULES = tuple(rule for rule in RULES if not rule.every_line)
_EVERY_LINE_RULES = tuple(rule for rule in RULES if rule.every_line)
_BLOCK_RULES = tuple(rule for rule in _KEYWORD_RULES if rule.parent is not None)

_CLEAN_LINES: set[str] = set()
"""Lines ``redact_line`` left as they were and that no block-dependent rule (``parent``) applies to,
so that they stay as they are in any block: ``redact_config`` skips the rules for them the next
time it meets them, in this process (fleet mode redacts many similar configurations in one
process: the same interface, NTP or logging lines again and again). A line is only added when the
rules found no secret in it, so the set holds what the backups hold. At most ``_CLEAN_LINES_MAX``
lines; past that, nothing more is added."""
_CLEAN_LINES_MAX = 100_000


def _replace_val(pattern: Pattern[str], line: str) -> str:
    """Replace group ``val`` of every match of ``pattern`` in ``line`` by the marker.

    A quoted value keeps its quotes: ``"abc"`` -> ``"<removed>"``.
    """

    def sub(match: "re.Match[str]") -> str:
        start, end = match.span("val")
        value = match.group("val")
        marker = '"%s"' % REDACTION_MARKER if value.startswith('"') else REDACTION_MARKER
        whole_start = match.start()
        text = match.group(0)
        return text[: start - whole_start] + marker + text[end - whole_start:]

    return pattern.sub(sub, line)


def redact_line(line: str, parent: str = "") -> str:
    """Redact one configuration line (without its line ending).

    ``parent``: the head of the enclosing block (Cisco: the last non-indented line;
    Junos curly format: the block path joined by spaces), "" at top level.
    Returns the line with each secret value replaced by :data:`REDACTION_MARKER`. Idempotent:
    a changed line is redacted again until it is stable (a value removed by one rule can make
    another rule apply, e.g. ``password secret secret "$9$x"``); at most ``_PASSES`` passes.
    """
    for _pass in range(_PASSES):
        redacted = _redact_once(line, parent)
        if redacted == line:
            break
        line = redacted
    return line


_PASSES = 4


def _redact_once(line: str, parent: str) -> str:
    """One pass of the rules over ``line``: the first keyword rule that applies, then every-line rules."""
    for rule in _KEYWORD_RULES:
        if rule.parent is not None and not rule.parent.search(parent):
            continue
        if rule.applies.search(line):
            for pattern in rule.values:
                line = _replace_val(pattern, line)
            break
    for rule in _EVERY_LINE_RULES:
        if rule.applies.search(line):
            for pattern in rule.values:
                line = _replace_val(pattern, line)
    return line


def _split_ending(raw: str) -> tuple[str, str]:
    body = raw.rstrip("\r\n")
    return body, raw[len(body):]


def _redact_remembering(line: str, parent: str) -> str:
    """``redact_line(line, parent)``; a line it leaves unchanged goes into ``_CLEAN_LINES`` when no
    block-dependent rule applies to it (under another block such a rule could find a secret)."""
    redacted = redact_line(line, parent)
    if (redacted == line and len(_CLEAN_LINES) < _CLEAN_LINES_MAX
            and not any(rule.applies.search(line) for rule in _BLOCK_RULES)):
        _CLEAN_LINES.add(line)
    return redacted


def redact_config(text: str) -> str:
    """Return ``text`` with every recognised secret value replaced by ``<removed>``.

    ``text``: a whole configuration (``show running-config``, Junos ``show configuration``
    in curly or ``| display set`` format); any line endings. Everything except the secret
    values is kept byte for byte. Idempotent. Never raises on odd input; a non-str input
    raises TypeError.
    """
    if not isinstance(text, str):
        raise TypeError("redact_config expects a str, got %s" % type_word(text))
    out = []
    cisco_parent = ""
    junos_path: list[str] = []
    for raw in text.splitlines(keepends=True):
        body, ending = _split_ending(raw)
        stripped = body.strip()
        if body and not body[0].isspace():
            cisco_parent = body
        parent = " ".join(junos_path) if junos_path else cisco_parent
        out.append((body if body in _CLEAN_LINES else _redact_remembering(body, parent)) + ending)
        # Junos curly format: keep the path of open blocks ("snmp", "system login" ...).
        if stripped.endswith("{") and not stripped.startswith("#"):
            junos_path.append(stripped[:-1].strip())
        elif stripped.startswith("}") and junos_path:
            junos_path.pop()
    return "".join(out)


def count_redactions(original: str, redacted: str) -> int:
    """Number of markers ``redact_config`` added (markers in ``redacted`` minus those in ``original``)."""
    return redacted.count(REDACTION_MARKER) - original.count(REDACTION_MARKER)
