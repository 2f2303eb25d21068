# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a device prints between authentication and its first CLI prompt, answered by rule.

Devices talk before they show a prompt: a pager stops a long MOTD at ``--More--``, ProCurve
waits for "Press any key to continue", Huawei asks ``Change now? [Y/N]``, a FortiGate with
``post-login-banner`` waits for ``a`` and drops the session on any other key. This file reads
that text and answers it from an ordered rule table, never with a blind newline to a question.

Read top to bottom:

1. ``Rule`` and ``DEFAULTS``: one table of the rules shipped with the collection, with the
   platforms each applies to; ``parse_rules`` validates the user's rules (the module option
   ``login_prompts``, host variable ``netraven_login_prompts``) and ``rules_for`` puts them in
   front of the platform's defaults.
2. Pure rules on text: ``last_line``, ``is_cli_prompt``, ``is_question`` and ``decide``, which
   says what to do with what the device printed since the last answer.
3. ``converse`` runs the dialogue over a ``DeviceIO`` (``NetmikoIO`` wraps a netmiko
   connection): answer, wait, detect the device closing the session, give up.

``converse`` returns an outcome word of ``_outcomes`` (``None`` when the CLI prompt was
reached): ``post_auth_interaction_failed`` when the device asks something no rule answers or
closes the session, ``password_expired`` when it demands a new password. Its ``detail`` quotes
the device's last line unredacted; the caller (``_attempts.run_attempts``) redacts every message.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ansible_collections.netraven.core.plugins.module_utils import _outcomes

POLL = 0.01
"""Seconds between two reads of the channel while nothing arrives."""
SETTLE = 0.5
"""Seconds of silence after a question no rule answers before the attempt gives up on it."""
NUDGE_AFTER = 3.0
"""Seconds of silence, with nothing recognised on screen, before the one newline is sent."""
MAX_ANSWERS = 200
"""Most answers in one dialogue (a 200-page banner); more is ``post_auth_interaction_failed``."""
QUOTE_CHARS = 160
"""Longest quote of the device's last line in a message."""

# What a device prints instead of its CLI prompt when the password must be changed first
# (the lab's "% Password expired / New Password:", FTD's "You must change your password. Enter
# new password:", netmiko issue #3065).
EXPIRED_RE = re.compile(r"password (?:has )?expired|new password\s*:|must change (?:your |the )?password", re.IGNORECASE)
# A CLI prompt on its own last line: ``r1#``, ``r1>``, ``user@r1> ``, ``FGT (root) # ``,
# ``ProCurve Switch 2810-24G#``, ``<HUAWEI>``, ``[admin@MikroTik] > ``; or a bracketed single word
# such as ``[~HUAWEI]``. At most four words; the first character is no terminator, so banner
# borders like ``#####`` or ``# Authorised access only #`` are not prompts.
PROMPT_RE = re.compile(r"^(?:[^\s#>$%]\S{0,80}(?: \S{1,40}){0,3}\s?[>#$%]|\[\S{1,80}\])\s?$")
# A line that waits for an answer: it ends like a question or offers a choice.
QUESTION_RE = re.compile(r"[?:)\]]\s*$|[\[(]\s*y(?:es)?\s*/\s*no?\s*[\])]", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """One line of the rule table: when the device's last line matches ``pattern``, send ``answer``.

    ``pattern``: a Python regular expression, searched case-insensitively in the last line the
    device printed (where it waits). ``answer``: the text sent; ``newline``: the platform's
    RETURN is sent after it (like ansible.netcommon's ``ansible_terminal_initial_prompt_newline``).
    ``repeat``: the rule answers every time (pagers); otherwise once, and when the device asks
    the same again it ``insists`` and the attempt ends with that outcome word. ``name`` appears
    in messages (``login_prompts[0]`` for the user's rules).
    """

    name: str
    pattern: str
    answer: str = ""
    newline: bool = True
    repeat: bool = False
    insists: str = _outcomes.POST_AUTH_INTERACTION_FAILED

    def search(self, line: str) -> bool:
        """Whether ``pattern`` occurs in ``line`` (case-insensitive)."""
        return re.search(self.pattern, line, re.IGNORECASE) is not None


PAGER = r"(?:<-+|-+)\s*\(?\s*more\b[^-<>]*\)?\s*-+>?\s*$"
"""``--More--``, `` --More-- ``, ``<--- More --->`` (ASA), ``---(more)---``, ``---(more 45%)---``
(Junos), ``---- More ----`` (Huawei, Comware): the pager strings of the platforms in lab/platforms.py
and of netmiko's drivers."""

# name, platforms (None = every platform), pattern, answer, newline, repeat, outcome if the device insists.
# Legal banners ("Press 'a' to accept") are never accepted by default: that is the operator's decision
# (a login_prompts rule). Sources: netmiko's hp_procurve session_preparation ("any key to continue"),
# huawei special_login_handler ("Change now? [Y/N]" -> N), the pager strings above.
DEFAULTS: tuple[tuple[str, tuple[str, ...] | None, str, str, bool, bool, str], ...] = (
    ("pager", None, PAGER, " ", False, True, _outcomes.POST_AUTH_INTERACTION_FAILED),
    ("procurve_pager", ("hp_procurve", "hp_procurve_telnet"), r"-- MORE --, next page: Space", " ", False, True,
     _outcomes.POST_AUTH_INTERACTION_FAILED),
    ("press_any_key", None, r"press any key to continue", "", True, False, _outcomes.POST_AUTH_INTERACTION_FAILED),
    ("password_change", None, r"(?:password|change)[^\n]*[\[(]\s*y(?:es)?\s*/\s*no?\s*[\])]", "N", True, False,
     _outcomes.PASSWORD_EXPIRED),
)


def default_rules(platform: str | None) -> tuple[Rule, ...]:
    """The rows of ``DEFAULTS`` that apply to ``platform`` (a netmiko device_type), as Rules."""
    return tuple(
        Rule(name=f"default {name}", pattern=pattern, answer=answer, newline=newline, repeat=repeat, insists=insists)
        for name, platforms, pattern, answer, newline, repeat, insists in DEFAULTS
        if platforms is None or platform in platforms
    )


RULE_SPEC: dict[str, dict[str, Any]] = dict(
    pattern=dict(type="str", required=True),
    answer=dict(type="str", default="", no_log=False),
    newline=dict(type="bool", default=True),
    repeat=dict(type="bool", default=False),
)
"""The argument spec of one rule (the ``login_prompts`` option's elements)."""


def parse_rules(raw: Iterable[dict] | None, where: str = "login_prompts") -> tuple[Rule, ...]:
    """The user's rules ``[{pattern, answer, newline, repeat}, ...]`` as Rules, in order.

    ``answer`` defaults to ``""``, ``newline`` to true, ``repeat`` to false. Raises ValueError
    naming the field (``login_prompts[1].pattern: ...``) for a missing or empty pattern, a
    pattern that is not a valid regular expression, or a value of the wrong type.
    """
    rules = []
    for index, item in enumerate(raw or []):
        at = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{at}: must be a mapping with pattern and answer, got {type(item).__name__}")
        unknown = sorted(set(item) - {"pattern", "answer", "newline", "repeat"})
        if unknown:
            raise ValueError(f"{at}: unknown key(s) {unknown} (known: pattern, answer, newline, repeat)")
        pattern = item.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise ValueError(f"{at}.pattern: must be a non-empty regular expression")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{at}.pattern: {pattern!r} is not a valid regular expression: {exc}") from None
        answer = item.get("answer")
        answer = "" if answer is None else answer
        if not isinstance(answer, str):
            raise ValueError(f"{at}.answer: must be a string")
        flags: dict[str, bool] = {}
        for key, default in (("newline", True), ("repeat", False)):
            value = item.get(key)
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"{at}.{key}: must be true or false")
            flags[key] = default if value is None else value
        rules.append(Rule(name=at, pattern=pattern, answer=answer, newline=flags["newline"], repeat=flags["repeat"]))
    return tuple(rules)


def rules_for(platform: str | None, user_rules: Iterable[Rule] = ()) -> tuple[Rule, ...]:
    """The rules in the order they are tried: the user's first, then the platform's defaults.

    A user rule matching the same text as a default therefore overrides it.
    """
    return tuple(user_rules) + default_rules(platform)


# --------------------------------------------------------------------------------------------
# Pure rules on what the device printed
# --------------------------------------------------------------------------------------------
def last_line(text: str) -> str:
    """The last non-blank line of ``text``, without control characters or surrounding blanks.

    CR, LF and CRLF end lines; backspaces and other control characters (a pager's erase
    sequence) are dropped.
    """
    for line in reversed(re.split(r"\r\n|\r|\n", text)):
        clean = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", line).strip()
        if clean:
            return clean
    return ""


def is_cli_prompt(line: str) -> bool:
    """Whether ``line`` (a last line, stripped) looks like a CLI prompt (see ``PROMPT_RE``)."""
    return bool(PROMPT_RE.match(line))


def is_question(line: str) -> bool:
    """Whether ``line`` waits for an answer: ends in ``? : ) ]`` or offers ``[Y/N]``-style choices."""
    return bool(QUESTION_RE.search(line))


@dataclass(frozen=True)
class Step:
    """What to do next: ``kind`` is one of the constants below; ``rule`` for ANSWER and INSISTED."""

    kind: str
    line: str = ""
    rule: Rule | None = None


ANSWER, INSISTED, PROMPT, EXPIRED, QUESTION, TEXT, NOTHING = (
    "answer", "insisted", "prompt", "expired", "question", "text", "nothing")


def decide(pending: str, rules: Iterable[Rule], answered: Iterable[str] = ()) -> Step:
    """What the text ``pending`` (printed since the last answer) calls for. Pure.

    In this order, on the last line: the first rule that matches it (INSISTED when it is a
    once-only rule already in ``answered``, else ANSWER); a CLI prompt (PROMPT); a demand for a
    new password anywhere in ``pending`` (EXPIRED); a question no rule answers (QUESTION);
    other text (TEXT); nothing at all (NOTHING).
    """
    line = last_line(pending)
    if not line:
        return Step(NOTHING)
    done = set(answered)
    for rule in rules:
        if rule.search(line):
            return Step(INSISTED if (rule.name in done and not rule.repeat) else ANSWER, line, rule)
    if is_cli_prompt(line):
        return Step(PROMPT, line)
    if EXPIRED_RE.search(pending):
        return Step(EXPIRED, line)
    if is_question(line):
        return Step(QUESTION, line)
    return Step(TEXT, line)


def quote(line: str) -> str:
    """``line`` in double quotes, cut to ``QUOTE_CHARS``."""
    return '"' + (line if len(line) <= QUOTE_CHARS else line[:QUOTE_CHARS] + "...") + '"'


# --------------------------------------------------------------------------------------------
# The dialogue
# --------------------------------------------------------------------------------------------
class DeviceIO:
    """The channel as ``converse`` sees it; ``NetmikoIO`` is the real one.

    ``read() -> str`` returns what arrived since the last call ('' when nothing), ``write(text)``
    sends, ``closed() -> bool`` says the device ended the session, ``newline`` is the text
    sent for Enter.
    """

    newline = "\n"

    def read(self) -> str:  # pragma: no cover - interface
        """What arrived since the last call, '' when nothing."""
        raise NotImplementedError

    def write(self, text: str) -> None:  # pragma: no cover - interface
        """Send ``text``."""
        raise NotImplementedError

    def closed(self) -> bool:  # pragma: no cover - interface
        """Whether the device has closed the session."""
        raise NotImplementedError


class NetmikoIO(DeviceIO):
    """A netmiko connection after ``establish_connection``: its ``read_channel``/``write_channel``
    (linefeeds normalised, ANSI codes stripped when the driver asks), EOF from the paramiko channel."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.newline = conn.RETURN
        self._gone = False

    def read(self) -> str:
        """netmiko's ``read_channel``; a read error counts as the session closing."""
        try:
            return self.conn.read_channel()
        except Exception:  # noqa: BLE001 - netmiko's ReadException, socket errors: the session is gone
            self._gone = True
            return ""

    def write(self, text: str) -> None:
        """netmiko's ``write_channel``."""
        self.conn.write_channel(text)

    def closed(self) -> bool:
        """The channel got EOF or was closed, or its transport died, and no data is left to read."""
        chan = getattr(self.conn, "remote_conn", None)
        if self._gone or chan is None:
            return True
        if chan.recv_ready():
            return False
        transport = chan.get_transport()
        return bool(chan.closed or chan.eof_received or transport is None or not transport.is_active())


@dataclass(frozen=True)
class Conversation:
    """How the dialogue ended: ``outcome`` None = the CLI prompt was reached, else an outcome word;
    ``detail`` says why (quotes the device's last line, unredacted); ``answers`` names the rules
    answered, in order; ``text`` is everything the device printed."""

    outcome: str | None
    detail: str = ""
    answers: tuple[str, ...] = ()
    text: str = ""


def converse(io: DeviceIO, rules: Iterable[Rule], read_timeout: float, *,
             clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Conversation:
    """Read what the device prints after login and answer it by ``rules`` until its CLI prompt.

    ``read_timeout``: seconds to wait for the prompt, counted again after each answer. A rule's
    answer is sent as soon as its pattern shows in the last line. A question no rule answers
    ends the attempt after ``SETTLE`` s of silence, with nothing sent. Only when the device has
    printed nothing a rule or the prompt pattern recognises, and has been silent ``NUDGE_AFTER``
    s, one newline is sent (some devices print their prompt only then). The device closing the
    session is noticed within ``POLL`` s. Outcomes: None (prompt reached),
    ``post_auth_interaction_failed``, ``password_expired``, ``command_timeout`` (silence until
    ``read_timeout``). ``clock``/``sleep`` are seams for unit tests. Raises what ``io`` raises
    on write.
    """
    rules = tuple(rules)
    started = last_data = clock()
    deadline = started + read_timeout
    pending, text = "", ""
    answers: list[str] = []
    nudged = False

    def end(outcome: str | None, detail: str = "") -> Conversation:
        return Conversation(outcome, detail, tuple(answers), text)

    while True:
        chunk = io.read()
        now = clock()
        if chunk:
            pending += chunk
            text += chunk
            last_data = now
        closed = not chunk and io.closed()
        step = decide(pending, rules, answers)
        after = f" after the answer to {answers[-1]}" if answers else ""
        if step.kind == PROMPT:
            return end(None)
        if step.kind == ANSWER and step.rule is not None and not closed:
            if len(answers) >= MAX_ANSWERS:
                return end(_outcomes.POST_AUTH_INTERACTION_FAILED, f"more than {MAX_ANSWERS} answers; last line {quote(step.line)}")
            io.write(step.rule.answer + (io.newline if step.rule.newline else ""))
            answers.append(step.rule.name)
            pending, last_data = "", now
            deadline = max(deadline, now + read_timeout)
            continue
        if step.kind == INSISTED and step.rule is not None:
            return end(step.rule.insists, f"the device asked again{after}: {quote(step.line)}")
        if step.kind == EXPIRED:
            return end(_outcomes.PASSWORD_EXPIRED, f"the device asks for a new password: {quote(step.line)}")
        if closed:
            seen = f"; its last line: {quote(step.line)}" if step.line else " before printing anything"
            return end(_outcomes.POST_AUTH_INTERACTION_FAILED, f"the device closed the session{after}{seen}")
        quiet = now - last_data
        if step.kind == QUESTION and quiet >= SETTLE:
            return end(_outcomes.POST_AUTH_INTERACTION_FAILED, f"no login_prompts rule answers {quote(step.line)}")
        if step.kind in (TEXT, NOTHING) and not nudged and quiet >= NUDGE_AFTER:
            io.write(io.newline)
            nudged, last_data = True, now
            continue
        if now >= deadline:
            if step.kind == NOTHING and not text:
                return end(_outcomes.COMMAND_TIMEOUT, f"no CLI prompt within {read_timeout:g} s: the device printed nothing")
            return end(_outcomes.POST_AUTH_INTERACTION_FAILED, f"no CLI prompt within {read_timeout:g} s{after}; last line {quote(step.line)}")
        if not chunk:
            sleep(POLL)
