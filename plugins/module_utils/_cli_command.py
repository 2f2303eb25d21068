# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one netraven.core.cli_command task does, shared by its two execution paths.

The action plugin runs it in the controller's worker (the usual case: ``connection: local``), the
module runs it on the host a task is delegated to. Both call the same functions, so both give
the same result, outcomes and store records:

1. ``argument_spec()`` - the options (the credential fields come from ``_credential``);
2. ``check_params(params)`` - what the argument spec cannot say (``None`` when all is well);
3. ``Recorder(params, warn)`` - the metrics store for the task, never failing the device's job;
4. ``run(params, check_mode, record)`` - the credential loop and the task's result dict.

Standard library, netmiko/paramiko (guarded, via ``_attempts``) and this collection's
module_utils only: the module ships this file to remote hosts.
"""
from __future__ import annotations

import os
import re
from typing import Any, Callable

from ansible.module_utils.basic import env_fallback

from ansible_collections.netraven.core.plugins.module_utils import _aaa_guard
from ansible_collections.netraven.core.plugins.module_utils import _attempts
from ansible_collections.netraven.core.plugins.module_utils import _credential
from ansible_collections.netraven.core.plugins.module_utils import _login_prompts
from ansible_collections.netraven.core.plugins.module_utils import _outcomes
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store
from ansible_collections.netraven.core.plugins.module_utils import _shared_login
from ansible_collections.netraven.core.plugins.module_utils._platforms import netmiko_platforms

ENV_FALLBACK = "NETRAVEN_METRICS_STORE"
TIMEOUTS = _attempts.Timeouts()


def argument_spec() -> dict[str, dict[str, Any]]:
    """The argument spec of ``netraven.core.cli_command``; ``metrics_store`` falls back to
    ``$NETRAVEN_METRICS_STORE`` where the task runs."""
    return dict(
        commands=dict(type="list", elements="str", default=[], aliases=["command"]),
        credentials=dict(type="list", elements="dict", options=_credential.argument_spec()),
        host=dict(type="str"),
        port=dict(type="int", default=22),
        platform=dict(type="str"),
        device=dict(type="str"),
        max_attempts=dict(type="int", default=3),
        attempt_delay=dict(type="float", default=0.0),
        passwords_per_connection=dict(type="int", default=_shared_login.PASSWORDS_PER_CONNECTION, no_log=False),
        next_on_enable_failed=dict(type="bool", default=False),
        timeouts=dict(type="dict", default={}, options={
            name: dict(type="float", default=getattr(TIMEOUTS, name)) for name in ("connect", "banner", "auth", "read")
        }),
        host_key_checking=dict(type="bool", default=True, no_log=False),
        known_hosts_file=dict(type="path"),
        enable=dict(type="bool", default=False),
        command_errors=dict(type="list", elements="str"),
        login_prompts=dict(type="list", elements="dict", default=[], options=_login_prompts.RULE_SPEC),
        # a PostgreSQL URL may hold a password
        metrics_store=dict(type="str", no_log=True, fallback=(env_fallback, [ENV_FALLBACK])),
        job_id=dict(type="str"),
        credentials_var=dict(type="str"),
        credentials_file=dict(type="path"),
        order=dict(type="str", choices=["priority", "learned"]),
        aaa=dict(type="dict"),
        learn=dict(type="bool", default=True),
    )


def check_params(params: dict[str, Any]) -> str | None:
    """The first problem with validated ``params`` that the argument spec cannot express, or None.

    The message names the option (and the credential), never a value that could be a secret.
    """
    for field in ("host", "platform"):
        if not params.get(field):
            variable = {"host": "ansible_host", "platform": "netraven_platform"}[field]
            return (f"{field} is required: give it to the task, or set the host variable {variable} "
                    "(netraven.core.devices sets it)")
    if params["platform"] not in (netmiko_platforms() or ()):
        return f"platform {params['platform']!r} is not a netmiko device_type"
    if not 1 <= params["port"] <= 65535:
        return f"port {params['port']} is not between 1 and 65535"
    if params["max_attempts"] < 1:
        return "max_attempts must be at least 1"
    if params["attempt_delay"] < 0:
        return "attempt_delay must not be negative"
    if params.get("passwords_per_connection", _shared_login.PASSWORDS_PER_CONNECTION) < 1:
        return "passwords_per_connection must be at least 1"
    if any(value is not None and value <= 0 for value in params["timeouts"].values()):
        return "timeouts must be positive numbers of seconds"
    for rule in params.get("command_errors") or []:
        try:
            re.compile(rule)
        except re.error as exc:
            return f"command_errors: {rule!r} is not a valid regular expression ({exc})"
    try:
        _login_prompts.parse_rules(params.get("login_prompts"))
    except ValueError as exc:
        return f"{device_name(params)}: {exc}"
    try:
        _aaa_guard.parse_policies(params.get("aaa"), "aaa (host variable netraven_aaa)")
    except ValueError as exc:
        return f"{device_name(params)}: {exc}"
    if params["known_hosts_file"] and not os.path.isfile(params["known_hosts_file"]):
        return f"known_hosts_file {params['known_hosts_file']} does not exist"
    for cred in params["credentials"] or []:
        if _credential.lacks_login_material(cred):
            return f"credential {cred['name']!r} has neither password nor ssh_key_file"
    return None


def device_name(params: dict[str, Any]) -> str:
    """The device's name in the metrics store and messages: ``device``, else ``host``."""
    return params.get("device") or params["host"]


class Recorder:
    """A metrics store for device tasks: ``record(device, attempt)`` writes one attempt record and
    never raises.

    ``url``: the ``metrics_store`` option (None = the default store, ``none`` = off). ``job_id``:
    stored with every attempt; None = AWX's ``JOB_ID``/``AWX_JOB_ID`` where this runs.
    ``warn(text)``: receives one line when the store cannot be opened or written (the URL shown
    without its password). ``learn`` False: a success does not bind the device (option ``learn``).
    Use as a context manager (``close`` is idempotent). Not thread-safe: fleet mode records from
    its main thread.
    """

    def __init__(self, url: str | None, job_id: str | None, warn: Callable[[str], None], learn: bool = True) -> None:
        self.job_id = job_id or _metrics_store.job_id_from_env()
        self.warn = warn
        self.learn = learn
        self.store = _metrics_store.open_store_safely(url, warn=warn)

    def record(self, device: str, attempt: dict[str, Any]) -> None:
        """Write one attempt record (as ``_attempts.run_attempts`` makes it) for ``device``."""
        _metrics_store.record_attempt_safely(
            self.store, device, attempt["credential"], attempt["outcome"], attempt["elapsed_ms"],
            job_id=self.job_id, message=attempt["message"], warn=self.warn, bind=self.learn,
        )

    def close(self) -> None:
        """Close the store (idempotent, never raises)."""
        store, self.store = self.store, None
        if store is not None:
            try:
                store.close()
            except Exception:  # noqa: BLE001 - closing must not fail the job
                pass

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def run_recorded(params: dict[str, Any], *, check_mode: bool, warn: Callable[[str], None]) -> dict[str, Any]:
    """``run`` with the task's own metrics store (``params['metrics_store']``, ``params['job_id']``)
    and, when a credential names an AAA server, the AAA guard on that store (``guard_store``)."""
    learn = params.get("learn", True)
    with Recorder(params.get("metrics_store"), params.get("job_id"), warn, learn=learn) as recorder:
        device = device_name(params)
        scratch = None
        guard = None
        if needs_guard(params.get("credentials")):
            backend = recorder.store
            if backend is None:
                backend = scratch = guard_store("none", warn)
            guard = _aaa_guard.Guard(backend, _aaa_guard.parse_policies(params.get("aaa")), warn=warn)
        try:
            return run(params, check_mode=check_mode, record=lambda attempt: recorder.record(device, attempt), guard=guard)
        finally:
            if scratch is not None:
                scratch.close()


def needs_guard(credentials: Any) -> bool:
    """True when one of ``credentials`` names an AAA server (``aaa``): the task needs the AAA guard."""
    return any(isinstance(c, dict) and c.get("aaa") for c in credentials or [])


SCRATCH_PREFIX = "run-"
"""Scratch store files are ``run-<controller pid>.db`` in ``scratch_folder()``."""


def scratch_folder() -> str:
    """The private folder of the AAA guard's per-run scratch stores: ``<temp>/netraven-aaa-<uid>``,
    created mode 0700. Raises OSError when it exists but is not a folder of this user that only
    this user can open (someone else created the predictable name first)."""
    import tempfile
    import stat
    folder = os.path.join(tempfile.gettempdir(), f"netraven-aaa-{os.getuid()}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OSError(f"{folder} is not a private folder of this user (mode {stat.S_IMODE(info.st_mode):o}); remove it")
    return folder


def scratch_store_url() -> str:
    """The per-run store of the AAA guard when metrics are off: an SQLite file in ``scratch_folder``
    named after the run (``_metrics_store.run_pid``: the controller process), so every fork and thread
    of one ``ansible-playbook`` run shares it; nothing in it is secret."""
    return "sqlite:///" + os.path.join(scratch_folder(), f"{SCRATCH_PREFIX}{_metrics_store.run_pid()}.db").lstrip("/")


def open_scratch_store(warn: Callable[[str], None]) -> Any:
    """Open (creating it, mode 0600, when this process is the run's first) the per-run scratch
    store; None when it cannot be opened (warned). The process that creates it removes the
    scratch stores of runs whose controller process is gone and warns once for the run that the
    guard covers this run only (the metrics store is off)."""
    try:
        url = scratch_store_url()
        path = "/" + url[len("sqlite:///"):]
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
        except FileExistsError:
            pass  # another fork of this run created it
        else:
            remove_stale_scratch(os.path.dirname(path), keep=_metrics_store.run_pid())
            remove_stale_scratch(os.path.dirname(os.path.dirname(path)), keep=_metrics_store.run_pid(),
                                 prefix=f"netraven-aaa-{os.getuid()}-")  # the files of earlier versions (temp folder)
            warn("AAA guard: no metrics store (metrics_store: none, or it could not be opened), so the guard counts the failed logins of "
                 "shared AAA accounts within this run only; runs before it and jobs beside it are not seen "
                 "(set a metrics store to share the count)")
    except OSError as exc:
        warn(f"AAA guard: cannot create its per-run scratch store: {exc}")
        return None
    return _metrics_store.open_store_safely(url, warn=warn)


def remove_stale_scratch(folder: str, keep: int, prefix: str = SCRATCH_PREFIX) -> list[str]:
    """Remove the scratch stores (and their SQLite side files) in ``folder`` named ``<prefix><pid>.db...``
    whose controller process is gone; ``keep``: this run's pid. Returns the names removed; never raises."""
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(prefix):
            continue
        pid_text = name[len(prefix):].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == keep or _aaa_guard.pid_alive(int(pid_text)):
            continue
        try:
            os.unlink(os.path.join(folder, name))
            removed.append(name)
        except OSError:
            pass
    return removed


def guard_store(url: str | None, warn: Callable[[str], None]) -> Any:
    """A store for the AAA guard: the metrics store ``url``, else (metrics off or unavailable) the
    per-run scratch store (``open_scratch_store``); None when neither opens (the guard then admits nothing)."""
    store = None if _metrics_store.is_disabled(url) else _metrics_store.open_store_safely(url, warn=warn)
    if store is None:
        store = open_scratch_store(warn)
    return store


def target_of(params: dict[str, Any]) -> _attempts.Target:
    """The ``_attempts.Target`` described by validated ``params``."""
    return _attempts.Target(
        host=params["host"], port=params["port"], platform=params["platform"],
        host_key_checking=params["host_key_checking"], known_hosts_file=params["known_hosts_file"],
        enable=params["enable"],
        command_errors=None if params.get("command_errors") is None else tuple(params["command_errors"]),
        login_prompts=_login_prompts.parse_rules(params.get("login_prompts")),
    )


def run(params: dict[str, Any], *, check_mode: bool, record: Callable[[dict[str, Any]], None],
        guard: Any = None) -> dict[str, Any]:
    """Run the credential loop for validated ``params`` and return the task's result dict.

    ``check_mode``: log in (a credential probe) but send no command. ``record(attempt)``: called
    with each attempt record as soon as it is known (``Recorder.record``). ``guard``: the
    ``_aaa_guard.Guard`` that admits attempts of shared AAA accounts (None: no guard).
    Returns ``{changed, device, outcome, credential, attempts, not_tried, stdout, stdout_lines}``
    plus ``msg``, and ``failed: True`` unless a credential logged in and every command ran.
    Every text in it is redacted of every credential's secrets. Raises nothing.
    """
    device = device_name(params)
    credentials = params["credentials"] or []
    secrets = _credential.secrets_of(credentials)
    commands = [] if check_mode else list(params["commands"])
    try:
        summary = _attempts.run_attempts(
            target_of(params), credentials, commands,
            max_attempts=params["max_attempts"], attempt_delay=params["attempt_delay"],
            next_on_enable_failed=params["next_on_enable_failed"],
            passwords_per_connection=params.get("passwords_per_connection", _shared_login.PASSWORDS_PER_CONNECTION),
            timeouts=_attempts.Timeouts(**params["timeouts"]), on_attempt=record, guard=guard, device=device,
        )
    except Exception as exc:  # noqa: BLE001 - e.g. netmiko refusing its arguments; never show a secret
        text = f"{device}: could not run the credential loop: {type(exc).__name__}: {exc}"
        return dict(failed=True, changed=False, device=device, msg=_attempts.redact(text, secrets))

    result: dict[str, Any] = dict(
        changed=False, device=device, outcome=summary["outcome"], credential=summary["credential"],
        attempts=summary["attempts"], not_tried=summary["not_tried"], stdout=summary["stdout"],
        stdout_lines=[out.splitlines() for out in summary["stdout"]],
    )
    if summary["outcome"] != _outcomes.SUCCESS:
        return dict(result, failed=True, msg=failure_message(device, summary))
    if check_mode and params["commands"]:
        result["msg"] = (f"check mode: logged in with {summary['credential']['name']}; "
                         f"{len(params['commands'])} command(s) not sent")
    return result


def failure_message(device: str, summary: dict[str, Any]) -> str:
    """One line naming each credential tried with its outcome, for a failed task's ``msg``."""
    if not summary["attempts"]:
        return f"{device}: no credentials to try (none given, or none shares a tag with the device)"
    tried = ", ".join(f"{a['credential']}={a['outcome']}" for a in summary["attempts"])
    last = summary["attempts"][-1]
    if summary["outcome"] in _outcomes.LOGGED_IN:
        text = f"{device}: logged in with {last['credential']}, then {summary['outcome']}: {last['message']}"
    elif summary["outcome"] in _outcomes.MOVE_ON:
        text = f"{device}: no credential worked"
    else:
        text = f"{device}: stopped on {summary['outcome']}: {last['message']}"
    text += f" (attempts: {tried})"
    if summary["not_tried"]:
        text += " (not tried: " + ", ".join(f"{n['credential']}: {n['reason']}" for n in summary["not_tried"]) + ")"
    return text
