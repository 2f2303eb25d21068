# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the time of an ``ansible-playbook`` run goes, from a py-spy raw profile.

``py-spy record --subprocesses --format raw -o FILE -- ansible-playbook ...`` writes one line per
distinct stack: ``process A:"cmd";process B:"cmd";frame;frame ... COUNT``. This groups the
samples by the process that was running (the controller's main process, its forked workers,
each module's AnsiballZ process) and by what that process was doing (imports, netmiko/paramiko,
templating...), so bench/README.md can say where a missed goal's time goes.

    .venv/bin/python bench/pyspy_summary.py FILE     # prints a Markdown table
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

MODULE_RE = re.compile(r"AnsiballZ_(\w+)\.py")

# (what, substrings of a frame) in order; the first rule with a matching frame wins.
WAIT_LEAVES = ("select (", "_recv (", "sleep", "wait (", "poll (", "acquire", "recv (", "read (",
               "_worker (", "read_all (")
"""Leaf frames that mean the process or thread was blocked (py-spy's idle filter does not drop them
all): ``_worker`` is an idle pool thread at its queue, paramiko's ``read_all`` a socket read."""
MODULE_RULES = [
    ("Python imports (module start-up)", ("_find_and_load",)),
    ("metrics store", ("_metrics_store",)),
    ("netmiko / paramiko (SSH, CLI)", ("netmiko/", "paramiko/")),
]
CONTROLLER_RULES = [
    ("Python imports", ("_find_and_load",)),
    ("netmiko / paramiko (SSH, CLI; fleet threads)", ("netmiko/", "paramiko/")),
    ("metrics store", ("_metrics_store",)),
    # py-spy names a collection file by its base name only, e.g. "ActionModule.run (fetch_config.py:180)"
    ("netraven.core action plugin (options, credentials lookup, checks, write)",
     ("(fetch_config.py:", "(cli_command.py:", "(_device_task.py:", "(_backup.py:", "(_redact.py:", "(_cli_command.py:",
      "(_attempts.py:", "(credentials.py:", "(credential_metrics.py:", "(_fetch_config.py:")),
    ("templating", ("_templating", "/template/")),
    ("starting modules (AnsiballZ build, fork/exec, wait)", ("_execute_module", "_low_level_execute_command", "modify_module")),
    ("persistent connection (network_cli)", ("netcommon", "persistent")),
    ("Ansible's task executor in the fork (set-up, result back to the main process)", ("task_executor.py", "executor/process/worker.py")),
    ("task queue / results / callbacks", ("strategy/", "task_queue_manager", "callback")),
]
MAIN_RULES = [("forking a worker per host and task", ("WorkerProcess.start", "ForkProcess._Popen")), *CONTROLLER_RULES]
"""The main process forks a WorkerProcess per host and task; in the forks themselves every stack
starts inside that fork call, so the rule applies to the main process only."""


def classify(line: str) -> tuple[str, str, int] | None:
    """``(process role, activity, samples)`` of one raw py-spy line; None for a blank line."""
    line = line.strip()
    if not line:
        return None
    stack, _sep, count = line.rpartition(" ")
    frames = stack.split(";")
    procs = [f for f in frames if f.startswith("process ")]
    calls = [f for f in frames if not f.startswith("process ")]
    module = MODULE_RE.search(procs[-1]) if procs else None
    if module:
        role, rules = f"module {module.group(1)}", MODULE_RULES
    elif "ansible-connection" in (procs[-1] if procs else ""):
        role, rules = "ansible-connection (network_cli)", MODULE_RULES
    else:
        role = "controller main process" if len(procs) <= 1 else "controller worker forks"
        rules = MAIN_RULES if len(procs) <= 1 else CONTROLLER_RULES
    if not calls:
        return role, "interpreter start-up (no Python frame yet)", int(count)
    if any(w in calls[-1] for w in WAIT_LEAVES):
        return role, "waiting (select, sleep, pipe, lock)", int(count)
    for what, needles in rules:
        if any(n in f for f in calls for n in needles):
            return role, what, int(count)
    return role, "other", int(count)


def summarise(path: Path) -> tuple[Counter, int]:
    """``(Counter{(role, activity): samples}, total samples)`` of a raw py-spy file."""
    counts: Counter = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        got = classify(line)
        if got:
            counts[got[:2]] += got[2]
    return counts, sum(counts.values())


def markdown(path: Path, top: int = 14) -> str:
    """A Markdown table of the ``top`` (role, activity) pairs by share of samples."""
    counts, total = summarise(path)
    lines = ["| process | doing | share of samples |", "|---|---|---:|"]
    for (role, what), n in counts.most_common(top):
        lines.append(f"| {role} | {what} | {100 * n / max(total, 1):.1f} % |")
    lines.append(f"\n{total} samples (py-spy, all processes, idle excluded).")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(Path(sys.argv[1])))
