# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only notification callback: where a playbook's time goes, task by task.

Enabled by bench/fleet_scenarios.py through ``ANSIBLE_CALLBACK_PLUGINS`` (this folder) and
``ANSIBLE_CALLBACKS_ENABLED=bench_task_times``; writes ``$BENCH_TASK_TIMES`` (JSON) at the end of
the run: ``{"tasks": [{"name", "action", "seconds" (first start to last host result), "hosts"
(results seen)}], "fleet": [{"elapsed_s", "devices_per_minute", "failed_hosts"}]}`` where
``fleet`` holds the result of every task that returned ``elapsed_s`` (netraven.core.fetch_config's
fleet mode: the fleet task's own time, measured inside the task). It is not part of the collection.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_task_times
type: aggregate
short_description: task times and fleet results for bench/ (not shipped)
description: Writes per-task wall times and fleet-mode task results to the file named by BENCH_TASK_TIMES.
requirements: [enable in callbacks_enabled]
"""


class CallbackModule(CallbackBase):
    """Collect per-task wall times and fleet results; see the file docstring."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._tasks: dict[str, dict[str, Any]] = {}
        self._fleet: list[dict[str, Any]] = []

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        """Remember when the task started."""
        now = time.perf_counter()
        self._tasks.setdefault(task._uuid, {"name": task.get_name(), "action": task.action, "start": now,  # pylint: disable=protected-access
                                            "end": now, "hosts": 0})

    def _result(self, result: Any, *_args: Any, **_kwargs: Any) -> None:
        """Move the task's end to now; keep a fleet result."""
        entry = self._tasks.get(result._task._uuid)  # pylint: disable=protected-access
        if entry is not None:
            entry["end"] = time.perf_counter()
            entry["hosts"] += 1
        body = result._result  # pylint: disable=protected-access
        if isinstance(body, dict) and "elapsed_s" in body and "hosts" in body:
            self._fleet.append({"elapsed_s": body["elapsed_s"], "devices_per_minute": body.get("devices_per_minute"),
                                "devices": len(body.get("hosts") or {}), "failed_hosts": body.get("failed_hosts")})

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = v2_runner_on_unreachable = _result  # type: ignore[assignment]

    def v2_playbook_on_stats(self, stats: Any) -> None:
        """Write the file named by BENCH_TASK_TIMES."""
        path = os.environ.get("BENCH_TASK_TIMES")
        if not path:
            return
        tasks = [{"name": t["name"], "action": t["action"], "seconds": round(t["end"] - t["start"], 4), "hosts": t["hosts"]}
                 for t in self._tasks.values()]
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"tasks": tasks, "fleet": self._fleet}, out, indent=1)
