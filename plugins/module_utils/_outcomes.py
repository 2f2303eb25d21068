# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The words that classify one credential attempt: one table, everything else derived from it.

The table is the design brief's (DESIGN.md §3, "Outcome of one attempt"). An outcome is stored
and returned as one of these words, never as free text that could carry a secret. The sets the
loop, the store and the report use (``MOVE_ON``, ``LOGGED_IN``, ``COUNTED``, ``CREDENTIAL_FAULT``),
the human messages and the option choices are computed from ``TABLE``; a unit test checks that
every document listing outcomes lists exactly ``ALL``.
"""
from __future__ import annotations

from typing import NamedTuple


class Outcome(NamedTuple):
    """One row of the outcome table.

    ``word``: the stored and returned word. ``message``: what it means, for humans.
    ``moves_on``: the next credential may be tried after it (``enable_failed`` only when the task
    allows it). ``logged_in``: the device accepted the login. ``counted``: it changes the
    credential's counters in the metrics store (all others go to the attempt log only).
    ``credential_fault``: the credentials, not the device, were wrong (the report's rejections).
    ``aaa_failure``: a central AAA server (TACACS+/RADIUS) counts it as a failed login of the
    account (what ``_aaa_guard`` adds to a shared account's streak; every ``logged_in`` outcome
    ends a streak). ``nothing_sent``: no secret left the controller (the attempt log keeps it,
    the credential's counters do not).
    """

    word: str
    message: str
    moves_on: bool = False
    logged_in: bool = False
    counted: bool = False
    credential_fault: bool = False
    aaa_failure: bool = False
    nothing_sent: bool = False


SUCCESS = "success"
AUTH_REJECTED = "auth_rejected"
ENABLE_FAILED = "enable_failed"
AUTH_METHOD_UNSUPPORTED = "auth_method_unsupported"
AUTH_TIMEOUT = "auth_timeout"
UNREACHABLE = "unreachable"
SSH_NEGOTIATION_FAILED = "ssh_negotiation_failed"
HOSTKEY_UNKNOWN = "hostkey_unknown"
HOSTKEY_MISMATCH = "hostkey_mismatch"
PASSWORD_EXPIRED = "password_expired"
LOCKED_OUT = "locked_out"
POST_AUTH_INTERACTION_FAILED = "post_auth_interaction_failed"
COMMAND_FAILED = "command_failed"
COMMAND_TIMEOUT = "command_timeout"
COMMAND_REJECTED = "command_rejected"
AAA_BUDGET_EXHAUSTED = "aaa_budget_exhausted"

TABLE: tuple[Outcome, ...] = (
    Outcome(SUCCESS, "logged in", logged_in=True, counted=True),
    Outcome(AUTH_REJECTED, "the device rejected this credential", moves_on=True, counted=True, credential_fault=True,
            aaa_failure=True),
    Outcome(ENABLE_FAILED, "logged in, but the enable secret was refused", logged_in=True, counted=True, credential_fault=True),
    Outcome(AUTH_METHOD_UNSUPPORTED, "the device offers no authentication method this credential has", moves_on=True,
            credential_fault=True),
    Outcome(AUTH_TIMEOUT, "no answer to authentication within the auth timeout"),
    Outcome(UNREACHABLE, "the device's SSH service could not be reached"),
    Outcome(SSH_NEGOTIATION_FAILED, "no common SSH algorithm with the device"),
    Outcome(HOSTKEY_UNKNOWN, "no host key is known for the device, so no secret was sent; add it to known_hosts "
                             "(ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts) or set known_hosts_file "
                             "(host variable netraven_known_hosts_file)"),
    Outcome(HOSTKEY_MISMATCH, "the device's host key differs from the known one; no secret was sent"),
    Outcome(PASSWORD_EXPIRED, "logged in, but the device demands a new password"),
    Outcome(LOCKED_OUT, "the device blocks logins (locked out)", aaa_failure=True),
    Outcome(POST_AUTH_INTERACTION_FAILED, "logged in, then the post-login dialogue failed", logged_in=True),
    Outcome(COMMAND_FAILED, "logged in, then the session failed", logged_in=True),
    Outcome(COMMAND_TIMEOUT, "logged in, then the device did not answer in time", logged_in=True),
    Outcome(COMMAND_REJECTED, "logged in, but the device answered a command with a CLI error", logged_in=True),
    Outcome(AAA_BUDGET_EXHAUSTED, "the shared AAA account's fleet-wide failure budget is spent, so nothing was sent "
                                  "(see netraven_aaa)", moves_on=True, nothing_sent=True),
)

BY_WORD: dict[str, Outcome] = {row.word: row for row in TABLE}
ALL: tuple[str, ...] = tuple(BY_WORD)
MESSAGES: dict[str, str] = {row.word: row.message for row in TABLE}
# Outcomes after which the next credential may be tried (enable_failed only when the task allows it).
MOVE_ON = frozenset(row.word for row in TABLE if row.moves_on)
# Outcomes in which the credential itself authenticated (the device accepted the login).
LOGGED_IN = frozenset(row.word for row in TABLE if row.logged_in)
# Outcomes that change a credential's counters in the metrics store; all others go to the log only.
COUNTED = frozenset(row.word for row in TABLE if row.counted)
# Outcomes that mean "the credentials were wrong for this device" (the report's rejections).
CREDENTIAL_FAULT = frozenset(row.word for row in TABLE if row.credential_fault)
# Outcomes a central AAA server counts as a failed login of the account (a shared account's streak grows).
AAA_FAILURE = frozenset(row.word for row in TABLE if row.aaa_failure)
# Outcomes of an attempt that sent nothing to the device (no connection, no secret).
NOTHING_SENT = frozenset(row.word for row in TABLE if row.nothing_sent)
