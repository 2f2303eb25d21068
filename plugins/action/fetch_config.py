# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of netraven.core.fetch_config: a device's configuration backed up in one task.

Per host (the usual task): the credential loop reads the platform's configuration command
(in this worker when the task runs on the controller, else through the module on the host the
task is delegated to), then, on the controller, ``_backup`` checks the answer (CLI error,
truncation), redacts it and writes it atomically. The result carries metadata only (never the
configuration, unless ``return_content``) and the fact ``netraven_credential``.

Fleet mode (``hosts``, with ``run_once``): the same work for every listed inventory host, in a
bounded thread pool inside this one worker; attempts are recorded from this thread, progress is
shown every ``progress_interval`` seconds, and each host's result is returned under ``hosts``.
A second task with ``fleet_result_var`` then publishes each host's part (its fact, changed, failed),
so the PLAY RECAP and ``--limit @retry`` stay per host.

Heavy imports (netmiko, paramiko, the store backends) happen at the top of this file, once per
playbook run in ansible-core's main process before it forks; nothing connects at import time.
"""
from __future__ import annotations

import datetime
import functools
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any, Callable

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

# Imported here, once per playbook run, before the forks (see the file docstring).
from ansible_collections.netraven.core.plugins.module_utils import _aaa_guard
from ansible_collections.netraven.core.plugins.module_utils import _cli_command
from ansible_collections.netraven.core.plugins.module_utils import _cli_errors
from ansible_collections.netraven.core.plugins.module_utils import _fetch_config
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_json  # noqa: F401 pylint: disable=unused-import
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_sql  # noqa: F401 pylint: disable=unused-import
from ansible_collections.netraven.core.plugins.module_utils import _outcomes
from ansible_collections.netraven.core.plugins.plugin_utils import _backup
from ansible_collections.netraven.core.plugins.plugin_utils import _device_task
from ansible_collections.netraven.core.plugins.plugin_utils import _fleet_pool
from ansible_collections.netraven.core.plugins.plugin_utils._redact import redact_config

logging.getLogger("paramiko").addHandler(logging.NullHandler())  # no transport tracebacks on the console
_device_task.preload()  # once, in the main process before the forks (see its docstring)

display = Display()
MODULE = "netraven.core.fetch_config"
LOOP_SPEC = _cli_command.argument_spec()
SAVE_SPEC = _fetch_config.save_argument_spec()


def _validate(args: dict[str, Any], spec: dict[str, Any], what: str) -> tuple[dict[str, Any], set[str]]:
    """``args`` validated against ``spec`` (types, defaults, choices, fallbacks), with the values
    of its ``no_log`` options. Raises AnsibleActionFail naming ``what`` and the options."""
    result = ArgumentSpecValidator(spec).validate(args)
    if result.error_messages:
        raise AnsibleActionFail(f"{what}: " + "; ".join(result.error_messages))
    return result.validated_parameters, result._no_log_values  # pylint: disable=protected-access


def credential_fact(read: dict[str, Any]) -> dict[str, Any]:
    """The cacheable fact ``netraven_credential`` from the credential loop's result: ``name``,
    ``username``, ``outcome``, ``attempts`` (logins tried: attempts that sent something; a
    credential the AAA guard skipped, ``_outcomes.NOTHING_SENT``, is not one) and ``time``
    (UTC, ISO 8601), plus ``aaa_skipped`` (the shared AAA accounts the guard skipped on this
    device, ``user@server``) and ``aaa_skipped_credentials`` (the names of the credentials it
    skipped) when there are any. No secret."""
    credential = read.get("credential") or {}
    fact = {
        "name": credential.get("name"),
        "username": credential.get("username"),
        "outcome": read.get("outcome") or "not_run",
        "attempts": sum(1 for a in read.get("attempts") or [] if a.get("outcome") not in _outcomes.NOTHING_SENT),
        "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    skipped = sorted({a["aaa_account"] for a in read.get("attempts") or [] if a.get("aaa_account")})
    if skipped:
        fact["aaa_skipped"] = skipped
        fact["aaa_skipped_credentials"] = sorted({str(a["credential"]) for a in read.get("attempts") or []
                                                  if a.get("aaa_account")})
    return fact


def invalid_options(device: str, problem: object) -> dict[str, Any]:
    """The failed result of a host whose options could not be resolved (lookup, validation, its
    backup file name): outcome ``invalid_options``, the message (``problem``: an exception or a
    text) naming the host once. Option errors never carry a secret."""
    text = str(problem)
    text = text if text.startswith(f"{device}:") else f"{device}: {text}"
    return {"failed": True, "changed": False, "outcome": "invalid_options", "msg": f"invalid_options: {text}"}


def internal_error(device: str, why: Exception | str) -> dict[str, Any]:
    """The result of a device whose backup did not end normally: failed, outcome ``internal_error``
    and ``why`` in the message: an exception its job raised (a bug; class and text: the code that
    raised it never puts a secret in an exception), or what happened to its fleet process."""
    reason = f"{type(why).__name__}: {why}" if isinstance(why, Exception) else why
    return {"failed": True, "changed": False, "outcome": "internal_error", "msg": f"internal_error: {device}: {reason}"}


def back_up_one(device: str, loop: dict[str, Any], save: dict[str, Any], read: Callable[[dict[str, Any]], dict[str, Any]],
                *, check_mode: bool, want_diff: bool, facts: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read one device's configuration with ``read(loop_params)`` and save it; the task's result.

    ``loop``: validated credential-loop options without ``commands``; ``save``: validated save
    options. The result is short, so that a failed device prints one line: ``changed``,
    ``outcome``, ``credential`` (public view or None), ``attempts`` (how many logins were
    tried, skipped credentials not counted), ``path``, ``size`` and ``ansible_facts.netraven_credential``; a failed one has
    ``failed`` and a ``msg`` that starts with the failure word (an outcome, ``no_credentials``,
    ``no_command``, ``partial_output``, ``write_failed``) and names each credential tried with its
    outcome, and no facts (Ansible sets none for a failed task; the role's rescue publishes the
    fact from ``credential``, ``outcome`` and ``attempts``). Never the configuration, unless
    ``save['return_content']``. ``facts`` (fleet mode): a dict that receives this device's
    ``netraven_credential`` fact under its name, failed or not (its outcome: the result's).
    Raises nothing for device problems.
    """
    command = _backup.command_for(loop["platform"], save["command"], save["platform_commands"])
    problem = _fetch_config.unsafe_file_name(save, device)
    if problem:
        return invalid_options(device, problem)
    path = _fetch_config.backup_path(save, device)
    if not command:
        return {"failed": True, "changed": False, "outcome": "no_command", "path": path, "msg": (
            f"no_command: {device}: platform '{loop['platform']}' has no configuration command; set the option "
            "command (config_backup_command) or add the platform to platform_commands (config_backup_commands)")}
    result = read(dict(loop, commands=[command]))
    text = (result.pop("stdout", None) or [""])[0]
    for key in ("stdout_lines", "invocation"):
        result.pop(key, None)
    result["path"] = path
    if result.get("failed") and not result.get("outcome"):
        result["outcome"] = "no_credentials"  # no credential to try: the word the message, the fact and the report share
    fact = credential_fact(result)

    if result.get("outcome") == _outcomes.COMMAND_REJECTED:
        line = _cli_errors.first_error(text, _cli_errors.rules_for(loop["platform"], loop.get("command_errors"))) or ""
        result["msg"] = _backup.rejected_message(device, command, line, path)
    elif result.get("failed"):
        result["msg"] = f"{result['outcome']}: {result.get('msg', '')}"
    elif check_mode:
        result["msg"] = f"check mode: logged in with {result['credential']['name']}; configuration not read"
    else:
        marker = save["end_marker"] if save["end_marker"] is not None else _backup.end_marker_for(loop["platform"], save["end_markers"])
        try:
            result.update(_backup.backup(device, text, path, redact=save["redact"], end_marker=marker,
                                         min_size_ratio=save["min_size_ratio"], mode=int(save["mode"], 8),
                                         want_diff=want_diff))
        except OSError as exc:
            result.update(failed=True, outcome="write_failed", msg=f"write_failed: {device}: cannot write {path}: {exc.strerror}")
        if save["return_content"] and not result.get("failed"):
            result["content"] = redact_config(text) if save["redact"] else text
    result["attempts"] = fact["attempts"]  # a count: each credential's outcome is in msg, each attempt in the store
    if fact.get("aaa_skipped"):
        result["aaa_skipped"] = fact["aaa_skipped"]  # for the role's fact of a failed device
        result["aaa_skipped_credentials"] = fact["aaa_skipped_credentials"]
    result.pop("not_tried", None)
    result.pop("device", None)
    if not result.get("failed"):
        result["ansible_facts"] = {"netraven_credential": fact}
    if facts is not None:
        facts[device] = dict(fact, outcome=result.get("outcome") or fact["outcome"])
    return result


def fleet_facts(results: dict[str, dict[str, Any]], facts: dict[str, Any]) -> dict[str, Any]:
    """``{host: netraven_credential fact}`` for every host of a fleet run's ``results``, in their
    order: the fact its backup gave (``facts``), or, for a host refused before any login (options,
    no command), one with that result's outcome and no credential."""
    return {name: facts.get(name) or credential_fact({"outcome": res.get("outcome")}) for name, res in results.items()}


class ActionModule(ActionBase):
    """Back up the inventory host (or, with ``hosts``, a fleet); see the file docstring."""

    TRANSFERS_FILES = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the backup's result for this host, or the fleet's result (see DOCUMENTATION)."""
        _device_task.freeze_inherited_heap()
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        save_args = {key: args.pop(key) for key in list(args) if key in SAVE_SPEC}
        save = _validate(save_args, SAVE_SPEC, MODULE)[0]
        if save["fleet_result_var"] is not None:
            var = save["fleet_result_var"]
            result.update(self._publish(task_vars.get(var), var, task_vars.get("inventory_hostname", "")))
            return result
        problem = _fetch_config.check_save(save)
        if problem is None and save["dir_path"] is None:
            problem = "dir_path is required"
        if problem and save["hosts"]:  # fleet mode: each host fails with the reason (a failed run_once task drops the others)
            result.update(self._refuse_fleet(save["hosts"], f"{MODULE}: {problem}"))
            return result
        if problem:
            raise AnsibleActionFail(f"{MODULE}: {problem}")
        if save["fleet_requested"] and not save["hosts"]:
            result.setdefault("warnings", []).append(
                "config_backup_fleet is true for this host but the role runs per host: the variable chooses the role's "
                "task list when the play is parsed, so set it as an extra var (-e) or a play/role variable, not in the inventory")
        store = _device_task.metrics_store_setting(self._loader, self._templar, task_vars)
        if save["hosts"]:
            try:
                result.update(self._fleet(args, save, store, task_vars))
            except AnsibleActionFail as exc:
                result.update(self._refuse_fleet(save["hosts"], str(exc)))
            return result
        name = task_vars.get("inventory_hostname", "")
        warnings: list[str] = []
        read: Callable[[dict[str, Any]], dict[str, Any]]
        try:
            loop_args = _device_task.loop_options(self, args, name, task_vars, store)
            if _device_task.runs_on_controller(self._connection):
                loop, no_log = _validate(loop_args, LOOP_SPEC, name)
                self._check(loop)
                check_mode = bool(self._play_context.check_mode)
                read = functools.partial(_cli_command.run_recorded, check_mode=check_mode, warn=warnings.append)
            else:
                no_log = set()
                loop = loop_args
                read = self._read_remotely(task_vars)
        except AnsibleActionFail as exc:  # bad input for this host: a result the role and the report understand
            result.update(invalid_options(name, exc))
            return result
        no_log = _device_task.shown_store_url(no_log, loop.get("metrics_store"))
        outcome = back_up_one(name, loop, save, read, check_mode=bool(self._play_context.check_mode),
                              want_diff=bool(self._play_context.diff))
        if warnings:
            outcome.setdefault("warnings", []).extend(warnings)
        result.update(remove_values(outcome, no_log) if no_log else outcome)
        return result

    @staticmethod
    def _check(loop: dict[str, Any]) -> None:
        """``_cli_command.check_params`` as an AnsibleActionFail."""
        problem = _cli_command.check_params(dict(loop, commands=[]))
        if problem:
            raise AnsibleActionFail(problem)

    def _read_remotely(self, task_vars: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """A ``read`` that runs the fetch_config module where the task is delegated (it returns the output)."""
        def read(params: dict[str, Any]) -> dict[str, Any]:
            args = {key: value for key, value in params.items() if key != "commands"}
            args["command"] = params["commands"][0]
            return self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        return read

    # -- fleet mode ------------------------------------------------------------------------

    def _fleet(self, args: dict[str, Any], save: dict[str, Any], store: str | None, task_vars: dict[str, Any]) -> dict[str, Any]:
        """Back up every host of ``save['hosts']`` with ``save['workers']`` threads in all, in one process or
        in ``save['processes']`` forked ones (``_fleet_pool``).

        Every host's options are resolved here first (hostvars, the credentials lookup), then the
        pool starts (bench/README.md, P6B: resolving them alongside the pool's threads was slower). Returns ``{"changed",
        "hosts": {name: result}, "facts": {name: netraven_credential fact}, "failed_hosts": [...],
        "elapsed_s", "devices_per_minute", "processes"}``; never ``failed`` because a device failed. Raises AnsibleActionFail
        when the task does not run on the controller.
        """
        if not _device_task.runs_on_controller(self._connection):
            raise AnsibleActionFail(f"{MODULE}: fleet mode (hosts) runs on the controller; use connection: local")
        check_mode = bool(self._play_context.check_mode)
        want_diff = bool(self._play_context.diff)
        hosts = list(dict.fromkeys(save["hosts"]))
        warnings: list[str] = []
        results: dict[str, dict[str, Any]] = {}
        facts: dict[str, Any] = {}  # each device's netraven_credential
        started = time.monotonic()
        progress = _Progress(len(hosts), save["progress_interval"], started)
        store_url = store if args.get("metrics_store") is None else args["metrics_store"]
        tick_s = min(1.0, save["progress_interval"])

        # Every host's options first, then the pool: resolving them (templating, the lookup) is CPU work
        # in this thread, and alongside 50 or more SSH threads it took twice as long and held back the pool.
        credentials = _device_task.FleetCredentials(self, hosts)
        ready: list[tuple[str, tuple[dict[str, Any], set[str]]]] = []
        for name in hosts:
            try:
                variables = _device_task.variables_of(task_vars, name)
                loop, no_log = _validate(_device_task.loop_options(self, args, name, variables, store, credentials), LOOP_SPEC, name)
                self._check(loop)
            except Exception as exc:  # noqa: BLE001 - one host's bad input fails that host only
                results[name] = invalid_options(name, exc)
                progress.done(failed=True)
                continue
            ready.append((name, (loop, _device_task.shown_store_url(no_log, loop.get("metrics_store")))))

        def run_share(share: Sequence[tuple[str, Any]], on_result: Callable[[str, Any], None], tick: Callable[[int], None],
                      workers: int) -> None:
            """Back up ``share`` in a pool of ``workers`` threads of this process, with this process's own store."""
            guard_lock = threading.Lock()
            guard_store: list[Any] = []  # the AAA guard's own connection, opened for the first host that needs it

            def guard_for(loop: dict[str, Any]) -> _aaa_guard.Guard | None:
                if not _cli_command.needs_guard(loop.get("credentials")):
                    return None
                with guard_lock:
                    if not guard_store:
                        guard_store.append(_cli_command.guard_store(store_url, warnings.append))
                return _aaa_guard.Guard(guard_store[0], _aaa_guard.parse_policies(loop.get("aaa")), warn=warnings.append,
                                        lock=guard_lock)

            def job(name: str, item: tuple[dict[str, Any], set[str]], record: Callable[[dict[str, Any]], None]) -> tuple[dict[str, Any], Any]:
                loop, no_log = item
                guard = guard_for(loop)
                fact: dict[str, Any] = {}

                def read(params: dict[str, Any]) -> dict[str, Any]:
                    return _cli_command.run(params, check_mode=check_mode, record=record, guard=guard)
                result = back_up_one(name, loop, save, read, check_mode=check_mode, want_diff=want_diff, facts=fact)
                return remove_values(result, no_log), fact.get(name)

            learn = boolean(args.get("learn", True), strict=False)
            try:
                with _cli_command.Recorder(store_url, args.get("job_id"), warnings.append, learn=learn) as recorder:
                    _fleet_pool.run_threads(share, job, workers=workers, record=recorder.record, on_result=on_result,
                                            failed=lambda name, exc: (internal_error(name, exc), None), tick=tick, tick_s=tick_s)
            finally:
                for opened in guard_store:
                    if opened is not None:
                        opened.close()

        def collect(name: str, value: tuple[dict[str, Any], Any]) -> None:
            results[name], fact = value
            if fact is not None:
                facts[name] = fact
            progress.done(failed=bool(results[name].get("failed")))

        processes = _fleet_pool.process_count(save["processes"], save["workers"], len(ready), os.cpu_count())
        if processes == 1:
            run_share(ready, collect, progress.maybe_show, save["workers"])
        else:
            def in_child(share: Sequence[tuple[str, Any]], threads: int, send: Callable[[Any], None]) -> None:
                run_share(share, lambda name, value: send(("result", name, value)), lambda _in_flight: None, threads)
                send(("warnings", warnings))

            def on_message(message: Any) -> None:
                if message[0] == "result":
                    collect(message[1], message[2])
                elif message[0] == "warnings":
                    warnings.extend(text for text in message[1] if text not in warnings)

            missing = _fleet_pool.run_processes(_fleet_pool.deal(ready, processes), in_child,
                                                threads=_fleet_pool.split_workers(save["workers"], processes),
                                                on_message=on_message, tick=progress.maybe_show, tick_s=tick_s)
            for name, reason in missing.items():
                collect(name, (internal_error(name, reason), None))
        elapsed = time.monotonic() - started
        failed = sorted(name for name, res in results.items() if res.get("failed"))
        changed = [res for res in results.values() if res.get("changed")]
        results = {name: results[name] for name in hosts if name in results}  # the batch's order, whichever process ended first
        out: dict[str, Any] = {
            # Each host's change is its own, published by a fleet_result_var task, unless no such task runs.
            "changed": bool(save["batch_changes"] and changed),
            "hosts": results,
            "facts": fleet_facts(results, facts),
            "failed_hosts": failed,
            "elapsed_s": round(elapsed, 3),
            "devices_per_minute": round(len(hosts) / elapsed * 60, 1) if elapsed > 0 else None,
            "processes": processes,
            "msg": (f"{len(hosts)} device(s) in {elapsed:.1f} s with {save['workers']} workers"
                    f"{f' in {processes} processes' if processes > 1 else ''}: {len(failed)} failed"),
        }
        if save["batch_changes"] and want_diff:
            out["diff"] = [res["diff"] for res in changed if res.get("diff")]
        if warnings:
            out["warnings"] = warnings
        progress.show(in_flight=0, final=True)
        return out

    @staticmethod
    def _refuse_fleet(hosts: list[str], problem: str) -> dict[str, Any]:
        """A fleet result in which every host failed as ``invalid_options`` with ``problem`` (nothing sent)."""
        results = {name: invalid_options(name, problem) for name in dict.fromkeys(hosts)}
        return {"changed": False, "hosts": results, "facts": fleet_facts(results, {}), "failed_hosts": sorted(results),
                "msg": f"0 device(s) backed up: {problem}"}

    @staticmethod
    def _publish(fleet: Any, var: str, name: str) -> dict[str, Any]:
        """Host ``name``'s part of the fleet result registered as ``var`` (``fleet``: its value for
        this host, read without templating), as this host's own task result."""
        if not isinstance(fleet, dict):
            return {"failed": True, "changed": False, "outcome": "not_run",
                    "msg": f"not_run: {name}: no fleet result in the variable {var!r} (register the fleet task's result under that name)"}
        part = (fleet.get("hosts") or {}).get(name)
        if part is None:
            return {"failed": True, "changed": False, "outcome": "not_run",
                    "msg": f"not_run: {name} is not in the fleet run's hosts (was it in the play batch?)"}
        return dict(part)


class _Progress:
    """Counts finished devices and shows a progress line through Ansible's display every
    ``interval`` seconds (done/failed/in flight, rate, estimated time left)."""

    def __init__(self, total: int, interval: float, started: float) -> None:
        self.total, self.interval, self.started = total, interval, started
        self.finished = self.failed = 0
        self.last_shown = started

    def done(self, failed: bool) -> None:
        """Count one finished device."""
        self.finished += 1
        self.failed += int(failed)

    def maybe_show(self, in_flight: int) -> None:
        """Show a line when ``interval`` seconds passed since the last one."""
        if time.monotonic() - self.last_shown >= self.interval:
            self.show(in_flight)

    def show(self, in_flight: int, final: bool = False) -> None:
        """Show the progress line now."""
        now = time.monotonic()
        self.last_shown = now
        elapsed = max(now - self.started, 1e-6)
        rate = self.finished / elapsed * 60
        line = f"netraven.core.fetch_config: {self.finished}/{self.total} devices done, {self.failed} failed"
        if not final:
            left = (self.total - self.finished) / (self.finished / elapsed) if self.finished else None
            line += f", {in_flight} in flight, {rate:,.0f}/min"
            line += f", about {left:,.0f} s left" if left is not None else ""
        else:
            line += f" in {elapsed:,.1f} s ({rate:,.0f}/min)"
        display.display(line)
