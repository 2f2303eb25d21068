# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The words that classify one credential attempt, shared by the module, the store and reports.

The table is the design brief's (DESIGN.md §3, "Outcome of one attempt"). An outcome is stored
and returned as one of these words, never as free text that could carry a secret.
"""
from __future__ import annotations

SUCCESS = "success"
AUTH_REJECTED = "auth_rejected"
ENABLE_FAILED = "enable_failed"
AUTH_METHOD_UNSUPPORTED = "auth_method_unsupported"
AUTH_TIMEOUT = "auth_timeout"
UNREACHABLE = "unreachable"
SSH_NEGOTIATION_FAILED = "ssh_negotiation_failed"
HOSTKEY_MISMATCH = "hostkey_mismatch"
PASSWORD_EXPIRED = "password_expired"
LOCKED_OUT = "locked_out"
POST_AUTH_INTERACTION_FAILED = "post_auth_interaction_failed"
COMMAND_FAILED = "command_failed"
COMMAND_TIMEOUT = "command_timeout"

ALL = (
    SUCCESS, AUTH_REJECTED, ENABLE_FAILED, AUTH_METHOD_UNSUPPORTED, AUTH_TIMEOUT, UNREACHABLE,
    SSH_NEGOTIATION_FAILED, HOSTKEY_MISMATCH, PASSWORD_EXPIRED, LOCKED_OUT, POST_AUTH_INTERACTION_FAILED,
    COMMAND_FAILED, COMMAND_TIMEOUT,
)

# Outcomes after which the next credential may be tried (enable_failed only when the task allows it).
MOVE_ON = frozenset({AUTH_REJECTED, AUTH_METHOD_UNSUPPORTED})
# Outcomes in which the credential itself authenticated (the device accepted the login).
# post_auth_interaction_failed: logged in, then a banner or question no rule answers (issue 14).
LOGGED_IN = frozenset({SUCCESS, ENABLE_FAILED, POST_AUTH_INTERACTION_FAILED, COMMAND_FAILED, COMMAND_TIMEOUT})
# Outcomes that change a credential's counters in the metrics store; all others go to the log only.
COUNTED = frozenset({SUCCESS, AUTH_REJECTED, ENABLE_FAILED})
