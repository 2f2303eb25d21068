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

import enum
from typing import NamedTuple


class Trait(enum.Flag):
    """What an outcome means; an outcome row carries a combination (``|``) of these.

    ``MOVES_ON``: the next credential may be tried after it (``enable_failed`` only when the task
    allows it). ``LOGGED_IN``: the device accepted the login. ``COUNTED``: it changes the
    credential's counters in the metrics store (all others go to the attempt log only).
    ``CREDENTIAL_FAULT``: the credentials, not the device, were wrong (the report's rejections).
    ``AAA_FAILURE``: a central AAA server (TACACS+/RADIUS) counts it as a failed login of the
    account (what ``_aaa_guard`` adds to a shared account's streak; every ``LOGGED_IN`` outcome
    ends a streak). ``NOTHING_SENT``: no secret left the controller (the attempt log keeps it,
    the credential's counters do not). ``SHARED_MOVES_ON``: the next credential may be tried
    after it when the credential is a shared AAA account (``aaa``): what is locked is the
    account on the AAA server, not the device, so a local account may still log in.
    """

    NONE = 0
    MOVES_ON = enum.auto()
    LOGGED_IN = enum.auto()
    COUNTED = enum.auto()
    CREDENTIAL_FAULT = enum.auto()
    AAA_FAILURE = enum.auto()
    NOTHING_SENT = enum.auto()
    SHARED_MOVES_ON = enum.auto()


class Outcome(NamedTuple):
    """One row of the outcome table: ``word`` (stored and returned), ``message`` (what it means,
    for humans) and ``traits`` (a ``Trait`` combination)."""

    word: str
    message: str
    traits: Trait = Trait.NONE


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
    Outcome(SUCCESS, "logged in", Trait.LOGGED_IN | Trait.COUNTED),
    Outcome(AUTH_REJECTED, "the device rejected this credential",
            Trait.MOVES_ON | Trait.COUNTED | Trait.CREDENTIAL_FAULT | Trait.AAA_FAILURE),
    Outcome(ENABLE_FAILED, "logged in, but the enable secret was refused",
            Trait.LOGGED_IN | Trait.COUNTED | Trait.CREDENTIAL_FAULT),
    Outcome(AUTH_METHOD_UNSUPPORTED, "the device offers no authentication method this credential has",
            Trait.MOVES_ON | Trait.CREDENTIAL_FAULT),
    Outcome(AUTH_TIMEOUT, "no answer to authentication within the auth timeout"),
    Outcome(UNREACHABLE, "the device's SSH service could not be reached"),
    Outcome(SSH_NEGOTIATION_FAILED, "no common SSH algorithm with the device"),
    Outcome(HOSTKEY_UNKNOWN, "no host key is known for the device, so no secret was sent; add it to known_hosts "
                             "(ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts) or set known_hosts_file "
                             "(host variable netraven_known_hosts_file)"),
    Outcome(HOSTKEY_MISMATCH, "the device's host key differs from the known one; no secret was sent"),
    Outcome(PASSWORD_EXPIRED, "logged in, but the device demands a new password"),
    Outcome(LOCKED_OUT, "the device blocks logins (locked out)", Trait.AAA_FAILURE | Trait.SHARED_MOVES_ON),
    Outcome(POST_AUTH_INTERACTION_FAILED, "logged in, then the post-login dialogue failed", Trait.LOGGED_IN),
    Outcome(COMMAND_FAILED, "logged in, then the session failed", Trait.LOGGED_IN),
    Outcome(COMMAND_TIMEOUT, "logged in, then the device did not answer in time", Trait.LOGGED_IN),
    Outcome(COMMAND_REJECTED, "logged in, but the device answered a command with a CLI error", Trait.LOGGED_IN),
    Outcome(AAA_BUDGET_EXHAUSTED, "the shared AAA account's fleet-wide failure budget is spent, so nothing was sent "
                                  "(see netraven_aaa)", Trait.MOVES_ON | Trait.NOTHING_SENT),
)

BY_WORD: dict[str, Outcome] = {row.word: row for row in TABLE}


def having(trait: Trait) -> frozenset[str]:
    """The words of the outcomes that carry ``trait``."""
    return frozenset(row.word for row in TABLE if trait in row.traits)


ALL: tuple[str, ...] = tuple(BY_WORD)
MESSAGES: dict[str, str] = {row.word: row.message for row in TABLE}
# Outcomes after which the next credential may be tried (enable_failed only when the task allows it).
MOVE_ON = having(Trait.MOVES_ON)
# Outcomes in which the credential itself authenticated (the device accepted the login).
LOGGED_IN = having(Trait.LOGGED_IN)
# Outcomes that change a credential's counters in the metrics store; all others go to the log only.
COUNTED = having(Trait.COUNTED)
# Outcomes that mean "the credentials were wrong for this device" (the report's rejections).
CREDENTIAL_FAULT = having(Trait.CREDENTIAL_FAULT)
# Outcomes a central AAA server counts as a failed login of the account (a shared account's streak grows).
AAA_FAILURE = having(Trait.AAA_FAILURE)
# Outcomes of an attempt that sent nothing to the device (no connection, no secret).
NOTHING_SENT = having(Trait.NOTHING_SENT)
# Outcomes after which the next credential may be tried when the credential is a shared AAA account.
SHARED_MOVE_ON = MOVE_ON | having(Trait.SHARED_MOVES_ON)


def moves_on(outcome: str | None, credential: "dict | None" = None, enable_failed: bool = False) -> bool:
    """True when the credential loop may try the next credential after ``outcome`` of ``credential``.

    ``MOVE_ON`` outcomes always; ``SHARED_MOVE_ON`` ones when the credential names an AAA server
    (``aaa``: the shared account, not the device, is locked); ``enable_failed`` when the task
    allows it (``enable_failed`` True).
    """
    if enable_failed and outcome == ENABLE_FAILED:
        return True
    shared = bool(credential and credential.get("aaa"))
    return outcome in (SHARED_MOVE_ON if shared else MOVE_ON)
