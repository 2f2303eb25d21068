# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet-wide lockout guard for shared AAA accounts (issue 17, DESIGN.md §3).

A credential that names the central AAA server checking it (``aaa: tacacs-prod``) is a *shared
account*: the server (TACACS+/RADIUS: Cisco ISE, ACS, ClearPass) counts that username's failed
logins across every device and locks it past a threshold. Cisco Secure ACS keeps "failed
attempts since last successful login" per account and disables it past the configured limit
(ACS 5.x user guide, "Authentication settings: failed attempts"); the DISA STIG for Cisco ISE
(CISC-ND-000140 / "ISE must enforce the limit of three consecutive invalid logon attempts by a
user during a 15-minute time period") locks after 3 failures in 15 minutes. The defaults here
are that rule: ``lockout_threshold`` 3, ``window`` 900 s.

The rule this file implements, per account (``account_key``: username at AAA server), counting
like the server (failures since the account's last success, across every device, fork,
fleet-mode thread and job that shares one metrics store):

- ``streak``: failed logins (``_outcomes.AAA_FAILURE``) recorded since the last login
  (``_outcomes.LOGGED_IN``); a streak whose newest failure is older than ``window`` is 0 (the
  server has forgotten it).
- *proven*: the last recorded outcome is a login, at most ``proven_for`` seconds ago (default 60).
  A proven account is admitted at full concurrency (a correct shared account costs no speed). A
  login older than that proves nothing about the password sent now (a vault typo or a rotation
  since the last run): the next attempt is a probe under the unproven rule, and its login proves
  the account again.
- otherwise at most ``budget = lockout_threshold - 1 - headroom - streak`` attempts may be in
  flight (``headroom`` default 1: one failed login left for the humans who log in by hand), so a
  password that is wrong everywhere stops before the server locks the account, whatever the forks.
  The first failure of a proven account makes it unproven at once.

Admission is a reservation written to the metrics store before the password is sent, in one
transaction with the decision (``MetricsStore.aaa_admit``); the outcome settles it
(``aaa_settle``). A reservation lives ``LEASE_S`` seconds at most, and one whose process (same
controller host) is gone is dropped at the next admission. The residual risk: attempts admitted
while the account was proven (within ``proven_for`` seconds of a recorded login) are not bounded,
so a password changed on the AAA server (or in the vault) within ``proven_for`` seconds of a
login can add at most the attempts in flight at that moment to the streak.

Pure logic (``Policy``, ``decide``, ``after``) plus ``Guard``, which a device task uses. Standard
library and this collection's module_utils only (it runs inside modules too).
"""
from __future__ import annotations

import datetime
import math
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ansible_collections.netraven.core.plugins.module_utils import _outcomes

DEFAULT_THRESHOLD = 3
"""Failed logins after which the AAA server locks the account (DISA STIG for Cisco ISE: 3)."""
DEFAULT_WINDOW_S = 900.0
"""Seconds the AAA server keeps counting a streak (DISA STIG for Cisco ISE: 15 minutes)."""
DEFAULT_HEADROOM = 1
"""Failed logins left unused for people who log in by hand with the same account."""
DEFAULT_WAIT_S = 30.0
"""Seconds an attempt waits for attempts in flight to settle before it gives up (skip)."""
LEASE_S = 300.0
"""Seconds after which a reservation that was never settled expires (its process died elsewhere)."""
POLL_S = 0.1
"""Seconds between two admission tries while waiting."""
DEFAULT_PROVEN_FOR_S = 60.0
"""Seconds a recorded login keeps the account proven (full concurrency). Short, because only a
login seen moments ago says the password sent now is right: an older one may predate a rotation
or a vault typo, and a whole fork's worth of wrong passwords would lock the account."""
MIN_WINDOW_S = 60.0
"""The smallest ``window`` accepted: AAA servers count failures over minutes (STIG: 15 minutes);
a window of seconds would forget every failure at once and switch the guard off."""
POLICY_KEYS = ("lockout_threshold", "window", "headroom", "wait", "proven_for")


@dataclass(frozen=True)
class Policy:
    """One AAA server's counting rule: ``lockout_threshold`` (failed logins that lock, >= 2),
    ``window`` (seconds a streak is remembered, >= ``MIN_WINDOW_S``), ``headroom`` (failed logins
    kept for humans, >= 0), ``wait`` (seconds an attempt waits for attempts in flight before it
    is skipped) and ``proven_for`` (seconds a recorded login keeps the account proven).
    ``parse_policies`` enforces the bounds; constructing one directly does not (tests)."""

    lockout_threshold: int = DEFAULT_THRESHOLD
    window: float = DEFAULT_WINDOW_S
    headroom: int = DEFAULT_HEADROOM
    wait: float = DEFAULT_WAIT_S
    proven_for: float = DEFAULT_PROVEN_FOR_S

    @property
    def limit(self) -> int:
        """Failed logins the guard may let the streak reach: ``lockout_threshold - 1 - headroom``."""
        return self.lockout_threshold - 1 - self.headroom


def parse_policies(raw: Any, where: str = "netraven_aaa") -> dict[str, Policy]:
    """``{server: {lockout_threshold, window, headroom, wait, proven_for}}`` (the host variable
    ``netraven_aaa``) as ``{server: Policy}``; missing (or null) keys take the documented defaults.

    Raises ValueError naming ``where``, the server and the field for anything else: not a
    mapping, an unknown key, a value that is not a YAML number (``"3"``, ``true``, nan, inf), a
    ``lockout_threshold`` or ``headroom`` that is not an integer (2.9 is not truncated), a
    threshold below 2, a negative headroom, wait or proven_for, a ``window`` below
    ``MIN_WINDOW_S``, and a threshold/headroom pair that leaves no attempt
    (``lockout_threshold - 1 - headroom`` must be >= 1, else the account could never be tried).
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a mapping of AAA server name to settings, got {type(raw).__name__}")
    out: dict[str, Policy] = {}
    for server, settings in raw.items():
        at = f"{where}.{server}"
        settings = {} if settings is None else settings
        if not isinstance(settings, Mapping):
            raise ValueError(f"{at} must be a mapping with {', '.join(POLICY_KEYS)}")
        unknown = sorted(str(k) for k in settings if k not in POLICY_KEYS)
        if unknown:
            raise ValueError(f"{at}: unknown key(s) {', '.join(unknown)} (known: {', '.join(POLICY_KEYS)})")
        values: dict[str, Any] = {}
        for key in POLICY_KEYS:
            if settings.get(key) is None:
                continue
            values[key] = _setting(at, key, settings[key])
        policy = Policy(**values)
        if policy.limit < 1:
            raise ValueError(f"{at}: lockout_threshold {policy.lockout_threshold} with headroom {policy.headroom} leaves no "
                             f"attempt (lockout_threshold - 1 - headroom must be >= 1); lower headroom or check the threshold")
        out[str(server)] = policy
    return out


_INTEGER_KEYS = {"lockout_threshold": 2, "headroom": 0}
"""Settings that are integers, with their smallest accepted value."""
_SECONDS_KEYS = {"window": MIN_WINDOW_S, "wait": 0.0, "proven_for": 0.0}
"""Settings that are seconds (int or float), with their smallest accepted value."""


def _setting(at: str, key: str, value: Any) -> int | float:
    """One checked setting (see ``parse_policies``); ValueError naming ``at.key`` and the value's type."""
    name = f"{at}.{key}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number (unquoted in YAML), got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if key in _INTEGER_KEYS:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        if value < _INTEGER_KEYS[key]:
            raise ValueError(f"{name} must be >= {_INTEGER_KEYS[key]}, got {value!r}")
        return int(value)
    if value < _SECONDS_KEYS[key]:
        why = " (seconds the AAA server keeps counting failures; a shorter window switches the guard off)" if key == "window" else ""
        raise ValueError(f"{name} must be >= {_SECONDS_KEYS[key]:g}{why}, got {value!r}")
    return float(value)


def account_key(aaa: str, username: str) -> str:
    """The name of a shared account in the store and the report: ``<username>@<aaa server>``."""
    return f"{username}@{aaa}"


# ---------------------------------------------------------------------------------------------
# The pure rule (the store backends call these inside their admission transaction)
# ---------------------------------------------------------------------------------------------

def _age_s(stamp: str | None, now: datetime.datetime) -> float | None:
    """Seconds since a store timestamp (``2026-11-29T08:52:28.123456Z``), None for None."""
    if not stamp:
        return None
    when = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return (now - when).total_seconds()


def effective_streak(row: Mapping[str, Any], window: float, now: datetime.datetime) -> int:
    """The account's streak as the server still counts it: 0 when its newest failure is older than ``window``."""
    age = _age_s(row.get("last_failure"), now)
    if not row.get("streak") or age is None or age > window:
        return 0
    return int(row["streak"])


def is_proven(row: Mapping[str, Any], proven_for: float, now: datetime.datetime) -> bool:
    """True when the account's last recorded outcome is a login, at most ``proven_for`` seconds ago."""
    age = _age_s(row.get("last_success"), now)
    return row.get("last_outcome") == "success" and age is not None and age <= proven_for


def decide(row: Mapping[str, Any], in_flight: int, policy: Policy, now: datetime.datetime) -> dict[str, Any]:
    """Whether one more attempt of the account may go out now.

    ``row``: the account's state (``streak``, ``last_outcome``, ``last_success``,
    ``last_failure``; an empty mapping for an account never seen); ``in_flight``: live
    reservations of the account (every process). Returns ``{"admitted": bool, "proven": bool,
    "streak": int, "budget": int | None, "in_flight": int}`` (``budget`` None when proven).
    """
    streak = effective_streak(row, policy.window, now)
    if is_proven(row, policy.proven_for, now):
        return {"admitted": True, "proven": True, "streak": streak, "budget": None, "in_flight": in_flight}
    budget = policy.limit - streak
    return {"admitted": in_flight < budget, "proven": False, "streak": streak, "budget": budget, "in_flight": in_flight}


def kind_of(outcome: str | None) -> str | None:
    """``success`` for an outcome the AAA server saw as a login, ``failure`` for one it counts as a
    failed login (``_outcomes.AAA_FAILURE``), None when the server decided nothing."""
    if outcome in _outcomes.LOGGED_IN:
        return "success"
    if outcome in _outcomes.AAA_FAILURE:
        return "failure"
    return None


def after(row: Mapping[str, Any], kind: str | None, window: float, ts: str, now: datetime.datetime) -> dict[str, Any]:
    """The account's state after one settled attempt of ``kind`` (see ``kind_of``) at store time ``ts``.

    Returns ``{"streak", "last_outcome", "last_success", "last_failure", "max_streak"}``.
    """
    state: dict[str, Any] = {key: row.get(key) for key in ("last_outcome", "last_success", "last_failure")}
    highest = int(row.get("max_streak") or 0)
    state.update(streak=int(row.get("streak") or 0), max_streak=highest)
    if kind == "success":
        state.update(streak=0, last_outcome="success", last_success=ts)
    elif kind == "failure":
        streak = effective_streak(row, window, now) + 1
        state.update(streak=streak, last_outcome="failure", last_failure=ts, max_streak=max(highest, streak))
    return state


def reservation_dead(reservation: Mapping[str, Any], host: str, now_ts: str) -> bool:
    """True when a reservation can be dropped: its lease ran out, or its process (on this host) is gone."""
    if reservation["expires_at"] < now_ts:
        return True
    return reservation["host"] == host and not pid_alive(int(reservation["pid"]))


def pid_alive(pid: int) -> bool:
    """True when process ``pid`` exists on this host (signal 0)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner() -> dict[str, Any]:
    """Who holds a reservation: ``{"host": hostname, "pid": this process}``."""
    return {"host": socket.gethostname()[:255], "pid": os.getpid()}


# ---------------------------------------------------------------------------------------------
# The guard a device task uses
# ---------------------------------------------------------------------------------------------

class Ticket:
    """One admission decision for one attempt. ``admitted``: the password may be sent.

    ``logged_in()`` (when the device accepted the login) and ``settle(outcome)`` (at the end)
    write the outcome once; both never raise.
    """

    def __init__(self, guard: "Guard", account: str, policy: Policy, decision: dict[str, Any]) -> None:
        self.guard, self.account, self.policy, self.decision = guard, account, policy, decision
        self.admitted = bool(decision.get("admitted"))
        self.reservation = decision.get("id")
        self.settled = not self.admitted

    def logged_in(self) -> None:
        """Settle as a login now (the server has seen the success; the rest of the attempt may take long)."""
        self.settle(_outcomes.SUCCESS)

    def settle(self, outcome: str | None) -> None:
        """Settle the reservation with the attempt's ``outcome`` word (idempotent, never raises)."""
        if self.settled:
            return
        self.settled = True
        self.guard.settle(self, outcome)


class Guard:
    """Admits or refuses attempts of shared AAA accounts against one backend.

    ``backend``: an object with ``aaa_admit(account, policy, holder, device, credential) -> dict``
    and ``aaa_settle(reservation, account, kind, window) -> None`` (a MetricsStore; the caller keeps
    it open and closes it). ``policies``: ``{server: Policy}``; a server without one gets
    ``Policy()``. ``lock``: a ``threading.Lock`` shared by guards that share one backend (fleet
    mode: one guard per host, one store connection). ``warn``: receives one line when the backend fails (the attempt is then not
    admitted: the guard fails closed). Thread-safe: calls to the backend are serialised.
    The guard records what happened for the report: ``skipped`` (list of ``{account, device,
    credential, streak}``) and ``accounts`` (``{account: {"streak", "exhausted"}}``).
    """

    def __init__(self, backend: Any, policies: Mapping[str, Policy] | None = None,
                 warn: Callable[[str], Any] | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, lock: Any = None) -> None:
        self.backend = backend
        self.policies = dict(policies or {})
        self.warn = warn
        self.sleep, self.clock = sleep, clock
        self.holder = owner()
        self.lock = lock if lock is not None else threading.Lock()
        self.skipped: list[dict[str, Any]] = []
        self.accounts: dict[str, dict[str, Any]] = {}

    def policy(self, aaa: str) -> Policy:
        """The policy of AAA server ``aaa`` (defaults when not configured)."""
        return self.policies.get(aaa) or Policy()

    def _call(self, name: str, *args: Any) -> Any:
        with self.lock:
            return getattr(self.backend, name)(*args)

    def admit(self, credential: Mapping[str, Any], device: str) -> Ticket | None:
        """A ticket for one attempt of ``credential`` on ``device``; None when the credential names no AAA server.

        Not admitted at once: while attempts of the account are in flight (they may prove it or
        free budget), tries again every ``POLL_S`` for up to the policy's ``wait`` seconds.
        """
        aaa = credential.get("aaa")
        if not aaa:
            return None
        account = account_key(str(aaa), str(credential.get("username")))
        policy = self.policy(str(aaa))
        deadline = self.clock() + policy.wait
        while True:
            try:
                if self.backend is None:
                    raise RuntimeError("no store could be opened for the guard")
                decision = self._call("aaa_admit", account, policy, self.holder, device, str(credential.get("name")))
            except Exception as exc:  # noqa: BLE001 - fail closed: no store answer, no password sent
                self._tell(f"AAA guard: {account}: could not reserve an attempt, so none is made: {exc}")
                decision = {"admitted": False, "proven": False, "streak": None, "budget": None, "in_flight": 0, "error": True}
            if decision["admitted"] or decision.get("error") or not decision["in_flight"] or self.clock() >= deadline:
                break
            self.sleep(POLL_S)
        ticket = Ticket(self, account, policy, decision)
        seen = self.accounts.setdefault(account, {"account": account, "aaa": str(aaa), "streak": 0, "exhausted": False})
        if decision.get("streak") is not None:
            seen["streak"] = decision["streak"]
        if not ticket.admitted:
            seen["exhausted"] = True
            self.skipped.append({"account": account, "device": device, "credential": credential.get("name"),
                                 "streak": decision.get("streak")})
        return ticket

    def settle(self, ticket: Ticket, outcome: str | None) -> None:
        """Write ``outcome`` for an admitted ticket (use ``Ticket.settle``). Never raises."""
        try:
            state = self._call("aaa_settle", ticket.reservation, ticket.account, kind_of(outcome), ticket.policy.window)
        except Exception as exc:  # noqa: BLE001 - the lease ends the reservation; the job goes on
            self._tell(f"AAA guard: {ticket.account}: could not settle an attempt (its reservation expires in {LEASE_S:g} s): {exc}")
            return
        if isinstance(state, Mapping) and ticket.account in self.accounts:
            self.accounts[ticket.account]["streak"] = int(state.get("streak") or 0)

    def _tell(self, text: str) -> None:
        if self.warn is not None:
            try:
                self.warn(text)
            except Exception:  # noqa: BLE001 - a broken warning channel must not fail the job
                pass

    def summary(self) -> dict[str, Any]:
        """What the run saw: ``{"accounts": [{account, aaa, streak, exhausted}], "skipped": [...]}``."""
        return {"accounts": sorted(self.accounts.values(), key=lambda a: a["account"]), "skipped": list(self.skipped)}
