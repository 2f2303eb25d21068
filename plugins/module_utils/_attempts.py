# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credential retry loop of netraven.core.cli_command and the classification of each attempt.

Read top to bottom:

1. ``plan_attempts`` drops duplicate credentials (same name, or same username + secret) so a
   credential the device rejected is never offered to it twice in one task.
2. ``run_attempts`` tries the candidates in order, one netmiko (paramiko) connection each, except
   that consecutive passwords of one user share a connection (``passwords_per_connection``,
   ``_shared_login``), at most ``max_attempts`` of them, ``attempt_delay`` seconds apart after a
   failure, and stops at the first outcome that is not in ``MOVE_ON`` (DESIGN.md §3, "Lockout guard").
3. ``attempt_one`` walks one connection through its phases (connect -> cli -> enable ->
   commands) and turns what went wrong into one outcome word of ``_outcomes``; in the cli
   phase ``_login_prompts.converse`` answers banners, pagers and questions by rule.
4. ``classify_connect_error`` is the pure rule for the connect phase: netmiko wraps paramiko's
   exceptions (refused, DNS, TCP timeout and negotiation failures all become
   NetmikoTimeoutException; BadAuthenticationType hides under NetmikoAuthenticationException),
   so the chain of ``__cause__``/``__context__`` is inspected and the original class is kept.

No message leaves this file without ``redact`` having removed every secret of every credential.
"""
from __future__ import annotations

import functools
import os
import re
import textwrap
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

try:
    from netmiko import ConnectHandler
    from netmiko.exceptions import ReadTimeout
except ImportError as exc:  # pragma: no cover - reported by the module with missing_required_lib
    ConnectHandler = None  # type: ignore[assignment]
    ReadTimeout = None  # type: ignore[assignment,misc]
    IMPORT_ERROR: ImportError | None = exc
else:
    IMPORT_ERROR = None

from ansible_collections.netraven.core.plugins.module_utils import _cli_errors
from ansible_collections.netraven.core.plugins.module_utils import _credential
from ansible_collections.netraven.core.plugins.module_utils import _login_prompts
from ansible_collections.netraven.core.plugins.module_utils import _outcomes
from ansible_collections.netraven.core.plugins.module_utils import _shared_login
from ansible_collections.netraven.core.plugins.module_utils._exceptions import exception_chain

# A userauth banner or error text that says the account/device blocks logins (the lab says "locked").
LOCKED_RE = re.compile(r"\block(?:ed|out)\b|too many (?:failed|authentication|login) ", re.IGNORECASE)


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait: TCP ``connect``, SSH ``banner``, each ``auth`` answer, CLI ``read``."""

    connect: float = 10.0
    banner: float = 15.0
    auth: float = 20.0
    read: float = 30.0


@dataclass(frozen=True)
class Target:
    """The device: ``host`` (IP or DNS name), ``port``, ``platform`` (netmiko device_type).

    ``host_key_checking`` True: the host key must be known (``~/.ssh/known_hosts`` plus
    ``known_hosts_file``) and match; False: any key is accepted and nothing is written.
    ``enable``: enter privileged mode with the credential's ``enable_secret``.
    ``command_errors``: regular expressions of CLI error lines (``_cli_errors``); None = the
    platform's rules, ``()`` = accept every answer.
    ``login_prompts``: the user's ``_login_prompts.Rule`` tuple, tried before the platform's defaults.
    """

    host: str
    port: int = 22
    platform: str = "cisco_ios"
    host_key_checking: bool = True
    known_hosts_file: str | None = None
    enable: bool = False
    command_errors: tuple[str, ...] | None = None
    login_prompts: tuple = ()


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------
def redact(text: Any, secrets: Iterable[str]) -> str:
    """``text`` as str with each secret replaced by ``********``.

    Longest secrets go first so that a secret containing another one is removed whole.
    """
    out = str(text)
    for secret in secrets:
        out = out.replace(secret, "********")
    return out


# --------------------------------------------------------------------------------------------
# Which credentials may be tried
# --------------------------------------------------------------------------------------------
def plan_attempts(credentials: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split ``credentials`` (in the caller's order) into ``(candidates, not_tried)``.

    A credential is left out when an earlier one has the same ``name``, or the same username
    with the same password and key file: offering it again would only spend one of the
    device's failed-login allowances (DESIGN.md §3, "Lockout guard").
    ``not_tried`` items are ``{"credential": name, "reason": str}``. Pure; raises nothing.
    """
    candidates: list[dict] = []
    not_tried: list[dict] = []
    by_name: set = set()
    by_secret: dict = {}
    for cred in credentials:
        name = cred.get("name")
        identity = (cred.get("username"), cred.get("password"), cred.get("ssh_key_file"))
        if name in by_name:
            not_tried.append({"credential": name, "reason": "duplicate name"})
        elif identity in by_secret:
            not_tried.append({"credential": name, "reason": f"same username and secret as {by_secret[identity]}"})
        else:
            by_name.add(name)
            by_secret[identity] = name
            candidates.append(cred)
    return candidates, not_tried


# --------------------------------------------------------------------------------------------
# Classification of the connect phase
# --------------------------------------------------------------------------------------------
def _is(exc: BaseException, name: str) -> bool:
    """True when ``exc`` is an instance of a class called ``name`` (checked along the MRO)."""
    return any(cls.__name__ == name for cls in type(exc).__mro__)


def classify_connect_error(exc: BaseException, banner: str = "", credential: dict | None = None) -> tuple[str, BaseException]:
    """The outcome word for an exception raised while connecting and authenticating.

    ``exc``: what netmiko's ``establish_connection`` raised; ``banner``: the SSH userauth banner
    the device sent (may be empty); ``credential``: the credential tried (to tell a refused
    keyboard-interactive fallback from a missing method).
    Returns ``(outcome, root)`` where ``root`` is the most specific exception in the chain (its
    class name goes into the attempt's details). Classes are matched by name so that this pure
    rule is testable without paramiko. Raises nothing.
    """
    chain = exception_chain(exc)
    # the exception netmiko wrapped (paramiko's or the socket's), else the last one
    root = next((e for e in chain if not type(e).__name__.startswith("Netmiko")), chain[-1])
    for err in chain:
        text = str(err)
        if "not found in known_hosts" in text:  # paramiko's RejectPolicy: no key known for the host
            return _outcomes.HOSTKEY_UNKNOWN, err
        if _is(err, "BadHostKeyException"):  # a key is known and the device offers another one
            return _outcomes.HOSTKEY_MISMATCH, err
        if _is(err, "IncompatiblePeer") or "Incompatible" in text or "no acceptable" in text:
            return _outcomes.SSH_NEGOTIATION_FAILED, err
        if _is(err, "BadAuthenticationType"):
            if LOCKED_RE.search(banner or ""):
                return _outcomes.LOCKED_OUT, err
            allowed = set(getattr(err, "allowed_types", None) or [])
            if credential and credential.get("password") and "keyboard-interactive" in allowed:
                # paramiko answered the keyboard-interactive prompt with the password and the device
                # refused it; paramiko then re-raises the original BadAuthenticationType.
                return _outcomes.AUTH_REJECTED, err
            return _outcomes.AUTH_METHOD_UNSUPPORTED, err
        if _is(err, "AuthenticationException") and not _is(err, "NetmikoAuthenticationException"):
            if "timeout" in text.lower():
                return _outcomes.AUTH_TIMEOUT, err
            if LOCKED_RE.search(banner or "") or LOCKED_RE.search(text):
                return _outcomes.LOCKED_OUT, err
            return _outcomes.AUTH_REJECTED, err
        if isinstance(err, (OSError, EOFError)):  # refused, DNS, TCP timeout, connection closed
            return _outcomes.UNREACHABLE, root
    # netmiko's own wrappers without a paramiko/socket cause
    text = str(exc)
    if _is(exc, "NetmikoAuthenticationException"):
        if "Authentication timeout" in text:
            return _outcomes.AUTH_TIMEOUT, root
        return (_outcomes.LOCKED_OUT if LOCKED_RE.search(banner or "") else _outcomes.AUTH_REJECTED), root
    # "Error reading SSH protocol banner", "No existing session", TCP problems: the device's sshd
    # did not answer properly; a device problem that more credentials will not fix.
    return _outcomes.UNREACHABLE, root


# --------------------------------------------------------------------------------------------
# One attempt
# --------------------------------------------------------------------------------------------
def connect_params(target: Target, credential: dict, timeouts: Timeouts) -> dict:
    """Keyword arguments for netmiko's ``ConnectHandler`` (with ``auto_connect=False``).

    Password credentials offer only their password: ``allow_agent=False`` and
    ``use_keys=False`` (paramiko's look_for_keys) keep agent and ``~/.ssh`` keys from using up
    the device's MaxAuthTries. Key credentials offer exactly their ``ssh_key_file``: paramiko
    tries ``key_filename`` whatever ``use_keys`` says, and ``use_keys=True`` would add
    ``~/.ssh/id_*`` after it. Pure; raises nothing.
    """
    strict = bool(target.host_key_checking)
    return {
        "device_type": target.platform,
        "host": target.host,
        "port": int(target.port),
        "username": credential.get("username") or "",
        "password": credential.get("password") or None,
        "secret": credential.get("enable_secret") or "",
        "key_file": credential.get("ssh_key_file") or None,
        "use_keys": False,
        "allow_agent": False,
        "ssh_strict": strict,
        "system_host_keys": strict,
        "alt_host_keys": strict and bool(target.known_hosts_file),
        "alt_key_file": (target.known_hosts_file or "") if strict else "",
        "conn_timeout": timeouts.connect,
        "banner_timeout": timeouts.banner,
        "auth_timeout": timeouts.auth,
        "auto_connect": False,
    }


def _close(conn: Any, graceful: bool) -> None:
    """Close a netmiko connection; ``graceful`` = a CLI prompt was reached (send 'exit')."""
    if not graceful:
        conn.paramiko_cleanup()  # no CLI: netmiko's own cleanup would wait for a prompt
    conn.disconnect()  # always: also removes netmiko's log filter for this connection's secrets


def _settle(client: Any, shared: "_shared_login.SharedLogin | None", credential: dict, outcome: str | None) -> None:
    """Hand the connection ``client`` kept open after a rejected password to ``shared``, or close it."""
    kept, client.kept = client.kept, None
    if kept is not None and shared is not None and outcome == _outcomes.AUTH_REJECTED:
        shared.keep(kept, credential)
    elif kept is not None:
        kept.close()


def attempt_one(target: Target, credential: dict, commands: list[str], timeouts: Timeouts,
                shared: "_shared_login.SharedLogin | None" = None, on_login: Callable[[], None] | None = None) -> dict:
    """Try one credential on one device; never raises.

    The SSH connection is fresh (TCP_NODELAY set), or, with ``shared``, the open connection on
    which the previous password of the same user was rejected (``_shared_login``); a connection
    on which this password is rejected is handed to ``shared`` for the next one.

    ``on_login`` is called once the device has accepted the login (the AAA guard settles there,
    before the commands run).

    Returns ``{"outcome", "phase", "exception", "cause", "detail", "stdout"}``: the outcome word,
    the phase that ended the attempt (connect, cli, enable, commands, done), the class names of
    the exception netmiko raised and of its root cause (None on success), the unredacted
    exception text (the caller redacts it) and the outputs of ``commands`` (list of str).
    """
    stdout: list[str] = []
    result: dict[str, Any] = {"outcome": _outcomes.SUCCESS, "phase": "connect", "exception": None, "cause": None,
                              "detail": "", "stdout": stdout}
    reuse = shared.take(credential) if shared is not None else None  # a key credential: None, the kept one closed
    key_file = credential.get("ssh_key_file")
    if key_file and not os.access(os.path.expanduser(key_file), os.R_OK):
        # paramiko would raise an OSError that netmiko reports as a TCP failure; say what it is.
        return dict(result, outcome=_outcomes.AUTH_METHOD_UNSUPPORTED, detail=f"ssh_key_file {key_file} is not readable here")
    client = _shared_login.client(reuse, keep_open=shared is not None and shared.may_keep(credential))
    conn = ConnectHandler(**connect_params(target, credential, timeouts))
    conn._get_ssh_client_instance = lambda: client  # type: ignore[method-assign]  # netmiko's hook for the SSHClient it uses
    graceful = False
    try:
        try:
            conn.establish_connection()
        except Exception as exc:  # noqa: BLE001 - every failure is classified, none escapes
            outcome, root = classify_connect_error(exc, client.userauth_banner, credential)
            _settle(client, shared, credential, outcome)
            return dict(result, outcome=outcome, exception=type(exc).__name__, cause=type(root).__name__, detail=str(root))
        if on_login is not None:
            on_login()

        result["phase"] = "cli"
        talk = _login_prompts.converse(_login_prompts.NetmikoIO(conn),
                                       _login_prompts.rules_for(target.platform, target.login_prompts), timeouts.read)
        if talk.outcome is not None:  # banners, pagers and questions answered by rule (issue 14)
            return dict(result, outcome=talk.outcome, detail=talk.detail)
        conn.write_channel(conn.RETURN)  # the prompt read above is gone: ask for a fresh one
        conn.session_preparation()
        graceful = True

        if target.enable:
            result["phase"] = "enable"
            conn.enable()

        result["phase"] = "commands"
        rules = _cli_errors.rules_for(target.platform, target.command_errors)
        for command in commands:
            output = str(conn.send_command(command, read_timeout=timeouts.read))  # text: no TextFSM parsing asked
            stdout.append(output)
            error = _cli_errors.first_error(output, rules)
            if error is not None:
                return dict(result, outcome=_outcomes.COMMAND_REJECTED, detail=f"{command!r}: {error}")
        result["phase"] = "done"
        return result
    except Exception as exc:  # noqa: BLE001 - after login: the credential worked, the session broke
        if result["phase"] == "enable":  # netmiko: ValueError, or a timeout while the device re-asks
            outcome = _outcomes.ENABLE_FAILED
        elif isinstance(exc, ReadTimeout) or _is(exc, "NetmikoTimeoutException"):
            outcome = _outcomes.COMMAND_TIMEOUT
        else:
            outcome = _outcomes.COMMAND_FAILED
        root = exception_chain(exc)[-1]
        return dict(result, outcome=outcome, exception=type(exc).__name__, cause=type(root).__name__, detail=str(exc))
    finally:
        _close(conn, graceful)
        _settle(client, None, credential, None)


# --------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------
def run_attempts(
    target: Target,
    credentials: list[dict],
    commands: list[str],
    *,
    max_attempts: int = 3,
    attempt_delay: float = 0.0,
    next_on_enable_failed: bool = False,
    timeouts: Timeouts = Timeouts(),
    passwords_per_connection: int = _shared_login.PASSWORDS_PER_CONNECTION,
    on_attempt: Callable[[dict], None] | None = None,
    attempt: Callable[..., dict] = attempt_one,
    sleep: Callable[[float], None] = time.sleep,
    guard: Any = None,
    device: str | None = None,
) -> dict:
    """Try ``credentials`` in order on ``target`` until one works or the guard says stop.

    ``credentials``: list of credential dicts (name, username, password and/or ssh_key_file,
    enable_secret, priority). ``commands``: CLI commands run with the working credential (empty:
    authenticate only). ``max_attempts``: connections at most; ``attempt_delay``: seconds slept
    after a failed attempt before the next. ``passwords_per_connection``: consecutive password
    credentials of one user name share an SSH connection, this many passwords at most (1 = a
    fresh connection each; ``_shared_login``); each password is still one attempt with its own
    record, under the same ``max_attempts``. ``on_attempt`` is called with each attempt record as
    soon as it is known (the module writes it to the metrics store); ``attempt``/``sleep`` are
    seams for unit tests. ``guard``: an ``_aaa_guard.Guard``; a credential naming an AAA server
    (``aaa``) is tried only when the guard admits it on ``device`` (default ``target.host``), else
    it is recorded as ``aaa_budget_exhausted`` (nothing sent, no connection, not one of the
    ``max_attempts``) and the next credential is tried; ``attempt`` then gets ``on_login``. Whether
    the loop moves on after an outcome is ``_outcomes.moves_on`` (``locked_out`` of a credential
    with ``aaa`` moves on: the shared account is locked, not the device).

    Returns ``{"outcome", "credential", "attempts", "not_tried", "stdout"}``: the last attempt's
    outcome (``None`` when no credential could be tried), the public view of the credential that
    logged in (or None), one record per attempt ``{credential, username, outcome, elapsed_ms,
    message, phase, exception, cause}`` with secrets redacted, the credentials not tried and the
    command outputs. Raises nothing for device or credential problems.
    """
    secrets = _credential.secrets_of(credentials)
    candidates, not_tried = plan_attempts(credentials)
    summary: dict = {"outcome": None, "credential": None, "attempts": [], "not_tried": not_tried, "stdout": []}
    shared = _shared_login.SharedLogin(passwords_per_connection)
    if attempt is attempt_one:
        attempt = functools.partial(attempt_one, shared=shared)
    made = 0  # connections or passwords sent (a credential the AAA guard skips sends nothing and does not count)
    for index, cred in enumerate(candidates):
        if made >= max_attempts:
            not_tried.extend({"credential": c.get("name"), "reason": f"max_attempts ({max_attempts}) reached"} for c in candidates[index:])
            break
        ticket = guard.admit(cred, device or target.host) if guard is not None else None
        if ticket is not None and not ticket.admitted:
            record = _skipped(cred, ticket)
            summary["attempts"].append(record)
            summary["outcome"] = record["outcome"]
            if on_attempt is not None:
                on_attempt(record)
            continue
        if made and attempt_delay > 0:
            sleep(attempt_delay)
        made += 1
        started = time.monotonic()
        if ticket is None:
            raw = attempt(target, cred, commands, timeouts)
        else:
            try:
                raw = attempt(target, cred, commands, timeouts, on_login=ticket.logged_in)
            except BaseException:
                ticket.settle(None)  # nothing known: the reservation goes, the streak stays
                raise
            ticket.settle(raw["outcome"])
        record = {
            "credential": cred.get("name"),
            "username": cred.get("username"),
            "outcome": raw["outcome"],
            "elapsed_ms": int((time.monotonic() - started) * 1000),
            "message": redact(_message(raw), secrets),
            "phase": raw["phase"],
            "exception": raw["exception"],
            "cause": raw["cause"],
        }
        summary["attempts"].append(record)
        summary["outcome"] = raw["outcome"]
        if on_attempt is not None:
            on_attempt(record)
        if raw["outcome"] in _outcomes.LOGGED_IN:
            summary["credential"] = _credential.public_view(cred)
            summary["stdout"] = [redact(out, secrets) for out in raw["stdout"]]
        if not _outcomes.moves_on(raw["outcome"], cred, next_on_enable_failed):
            if raw["outcome"] != _outcomes.SUCCESS:
                not_tried.extend({"credential": c.get("name"), "reason": f"stopped after {raw['outcome']} with {cred.get('name')}"}
                                 for c in candidates[index + 1:])
            break
    shared.close()  # a connection still kept after the last rejected password
    return summary


def _skipped(cred: dict, ticket: Any) -> dict:
    """The attempt record of a credential the AAA guard did not admit (nothing was sent)."""
    decision = ticket.decision
    if decision.get("error"):
        why = "the metrics store did not answer"
    else:
        why = (f"streak {decision.get('streak')}, {decision.get('in_flight')} in flight, "
               f"budget {decision.get('budget')} of lockout_threshold {ticket.policy.lockout_threshold}")
    return {
        "credential": cred.get("name"),
        "username": cred.get("username"),
        "outcome": _outcomes.AAA_BUDGET_EXHAUSTED,
        "elapsed_ms": 0,
        "message": f"{_outcomes.MESSAGES[_outcomes.AAA_BUDGET_EXHAUSTED]} ({ticket.account}: {why})",
        "phase": "connect",
        "exception": None,
        "cause": None,
        "aaa_account": ticket.account,
    }


DETAIL_CHARS = 300
"""Details longer than this are cut at a word, with an ellipsis."""


def _message(raw: dict) -> str:
    """One line for humans: what the outcome means plus the root exception (unredacted)."""
    text = _outcomes.MESSAGES.get(raw["outcome"], raw["outcome"])
    detail = textwrap.shorten(str(raw.get("detail") or ""), width=DETAIL_CHARS, placeholder=" …")
    if raw.get("cause"):
        text += f" ({raw['cause']}: {detail})" if detail else f" ({raw['cause']})"
    elif detail:
        text += f" ({detail})"
    return text
