# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pieces of the benchmarks in bench/run.py: machine facts, statistics, the lab, Ansible runs.

Nothing here asserts a time. Every helper raises ``BenchError`` (a message naming what failed and
where its log is) when a run does not do what it should, so a broken harness fails loudly.
"""
from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COLLECTIONS = ROOT / "build" / "collections"
RUNNING_CONFIG = ROOT / "lab" / "configs" / "cisco_ios_rtr2811.cfg"

sys.path.insert(0, str(ROOT))  # the lab package lives at the repository root
sys.path.insert(0, str(COLLECTIONS))  # ansible_collections.netraven.core for in-process benchmarks

from lab import control as lab_control  # noqa: E402  pylint: disable=wrong-import-position


class BenchError(RuntimeError):
    """A benchmark could not run as designed (a playbook failed, a device was not backed up...)."""


# --------------------------------------------------------------------------------------------
# Machine, versions, statistics
# --------------------------------------------------------------------------------------------
def load_average() -> float:
    """The 1-minute load average (float) of this machine."""
    return round(os.getloadavg()[0], 2)


def machine() -> dict[str, Any]:
    """``{cores, load_avg_1m, python, platform}`` of the machine running the benchmark."""
    return {"cores": os.cpu_count(), "load_avg_1m": load_average(), "python": platform.python_version(),
            "platform": platform.platform()}


def versions() -> dict[str, str | None]:
    """Installed versions of the packages the figures depend on (None when missing)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("ansible-core", "ansible", "netmiko", "paramiko"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def summary(values: Iterable[float], digits: int = 3) -> dict[str, Any]:
    """``{median, min, max, runs, values}`` of ``values`` (any unit; the caller names it)."""
    vals = [float(v) for v in values]
    if not vals:
        raise BenchError("no measurements to summarise")
    return {"median": round(statistics.median(vals), digits), "min": round(min(vals), digits),
            "max": round(max(vals), digits), "runs": len(vals), "values": [round(v, digits) for v in vals]}


# --------------------------------------------------------------------------------------------
# The lab
# --------------------------------------------------------------------------------------------
CREDENTIALS = [
    {"name": f"bench-c{i}", "username": f"bench{i}", "password": f"Bench-only-c{i}-pw", "priority": 10 * i}
    for i in (1, 2, 3)
]


def lab_spec(name: str, count: int, working: str) -> dict[str, Any]:
    """A lab of ``count`` cisco_ios devices ``d001..`` that accept only credential ``working``.

    cisco_ios because its lab device answers what cisco.ios's cliconf asks on connect
    (``show version`` with version, model and hostname lines, ``terminal length/width``).
    """
    return {
        "name": name,
        "credentials": CREDENTIALS,
        "devices": [{"name": f"d{i:03d}", "platform": "cisco_ios", "accept": [working],
                     "running_config": str(RUNNING_CONFIG)} for i in range(1, count + 1)],
    }


def start_lab(spec: dict[str, Any], work: Path) -> lab_control.RunningLab:
    """Start ``spec`` with its state under ``work/lab``; the caller stops it (``.stop()``)."""
    return lab_control.start(spec, state_dir=work / "lab", watch_pid=os.getpid())


def auth_attempts(running: lab_control.RunningLab) -> dict[str, int]:
    """``{device: number of SSH authentication attempts logged so far}`` (publickey probes excluded)."""
    return {d["name"]: sum(1 for r in running.auth_log(d["name"]) if r.get("method") != "publickey")
            for d in running.devices}


# --------------------------------------------------------------------------------------------
# Ansible
# --------------------------------------------------------------------------------------------
def ansible_env(**extra: str) -> dict[str, str]:
    """Environment for ansible-* subprocesses: this venv first, the repository's ansible.cfg and collections.

    ``collections_scan_sys_path`` (on by default) also finds the collections of the ``ansible``
    package (ansible.netcommon, cisco.ios) for the baselines.
    """
    env = dict(os.environ)
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
    })
    env.pop("NETRAVEN_METRICS_STORE", None)
    env.update(extra)
    return env


def write_netraven_inventory(running: lab_control.RunningLab, folder: Path, working_first: bool = False) -> Path:
    """An inventory folder for netraven.core: a devices source from the lab and the credentials.

    Host keys are not checked (as in the baseline, ``ANSIBLE_HOST_KEY_CHECKING=False``).
    Returns the folder (give it to ``-i``).
    """
    (folder / "group_vars").mkdir(parents=True, exist_ok=True)
    (folder.parent / f"{folder.name}-devices.yml").write_text(running.inventory_yaml(), encoding="utf-8")
    (folder / "lab.netraven.yml").write_text(
        f"plugin: netraven.core.devices\nsource: {folder.parent / (folder.name + '-devices.yml')}\n", encoding="utf-8")
    creds = [dict(c, tags=["default"]) for c in CREDENTIALS]
    if working_first:
        creds.reverse()
    body = {"netraven_credentials": creds, "config_backup_command_options": {"host_key_checking": False}}
    (folder / "group_vars" / "all.yml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return folder


def write_native_inventory(running: lab_control.RunningLab, path: Path) -> Path:
    """A plain YAML inventory of the lab's devices (ansible_host/ansible_port) for the baselines."""
    hosts = {d["name"]: {"ansible_host": d["host"], "ansible_port": d["port"]} for d in running.devices}
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts}}), encoding="utf-8")
    return path


def run_playbook(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> float:
    """Run ``ansible-playbook *args``; return its wall time in seconds.

    Output goes to ``log``. Raises BenchError unless it exits 0.
    """
    return run_logged([str(BIN / "ansible-playbook"), *args], env, log, cwd, f"ansible-playbook {' '.join(args[:1])}")


def run_logged(cmd: list[str], env: dict[str, str], log: Path, cwd: Path, what: str) -> float:
    """Run ``cmd`` with its output in ``log``; its wall time in seconds. Raises BenchError naming
    ``what``, with the log's tail, unless it exits 0."""
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        rc = subprocess.run(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    elapsed = time.perf_counter() - start
    if rc != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchError(f"{what} exited {rc} (log {log}):\n{tail}")
    return elapsed


def profile_playbook(args: list[str], env: dict[str, str], work: Path, tag: str, gil: bool = False) -> dict[str, Any]:
    """Run ``ansible-playbook *args`` once under ``py-spy record --subprocesses``; summarise where time goes.

    ``gil``: sample only the thread holding the GIL (``py-spy --gil``), so a process with a pool
    of threads waiting on sockets (fleet mode) counts its Python CPU, not its thread count.

    Returns ``{"tool", "seconds", "table"}`` (table: Markdown from bench/pyspy_summary.py), or
    ``{"tool": None, "table": reason}`` when py-spy is not installed or cannot attach here.
    """
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if not spy:
        return {"tool": None, "table": "py-spy is not installed (pip install py-spy)"}
    raw, log = work / f"{tag}.pyspy.txt", work / f"{tag}.pyspy.log"
    cmd = [spy, "record", "--subprocesses", *(["--gil"] if gil else []), "--format", "raw", "--rate", "50",
           "--output", str(raw), "--", str(BIN / "ansible-playbook"), *args]
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        rc = subprocess.run(cmd, env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    seconds = time.perf_counter() - start
    if rc != 0 or not raw.exists():
        return {"tool": None, "table": f"py-spy run failed (exit {rc}): "
                + log.read_text(encoding="utf-8", errors="replace")[-300:].replace("\n", " ")}
    import pyspy_summary  # pylint: disable=import-outside-toplevel

    return {"tool": "py-spy " + subprocess.run([spy, "--version"], capture_output=True, text=True, check=False).stdout.split()[-1]
            + (" --gil" if gil else ""),
            "seconds": round(seconds, 2), "table": pyspy_summary.markdown(raw)}
