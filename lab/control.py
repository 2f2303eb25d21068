"""Start, stop and inspect labs running as background processes.

State folder layout (default ``lab/state/<lab name>/``)::

    lab.yml           the lab file actually served (dict specs are written here)
    state.json        written once every port listens: pid, started, devices with ports
    inventory.yml     the served inventory as a netraven.core.devices YAML source
    known_hosts       ``[127.0.0.1]:PORT ssh-ed25519 ...`` for every device with a stable key
    auth/<device>.jsonl   the per-device authentication log (see lab.authlog)
    lab.log           the server process's stdout/stderr

A lab started by ``python -m lab up --state-dir DIR`` elsewhere is also recorded in
``lab/state/.elsewhere/`` (one file per lab holding the folder's path), so that ``status`` and
``down`` find it without ``--state-dir``; the record goes when the lab is stopped.

:func:`start` is used by ``python -m lab up`` and the pytest fixture; :class:`RunningLab` is
what both get back.
"""
from __future__ import annotations

import hashlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from .authlog import read_auth_log
from .spec import LabSpec, load_lab

LAB_DIR = Path(__file__).resolve().parent
STATE_ROOT = LAB_DIR / "state"
ELSEWHERE = ".elsewhere"  # under a state root: records of labs whose state folder is somewhere else
HOST = "127.0.0.1"


class LabError(RuntimeError):
    """A lab could not be started, found or stopped; the message says which and why."""


def default_state_dir(name: str) -> Path:
    """``lab/state/<name>`` inside the checkout."""
    return STATE_ROOT / name


def stop_command(name: str, state_dir: Path | str) -> str:
    """The shell command that stops lab ``name`` served from ``state_dir`` (``--state-dir`` unless it is the default)."""
    if Path(state_dir).resolve() == default_state_dir(name).resolve():
        return f"python -m lab down {shlex.quote(name)}"
    return f"python -m lab down --state-dir {shlex.quote(str(state_dir))}"


def _record_path(state_dir: Path, root: Path = STATE_ROOT) -> Path:
    digest = hashlib.sha256(str(state_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    return root / ELSEWHERE / digest


def remember(name: str, state_dir: Path | str, root: Path = STATE_ROOT) -> None:
    """Record a lab whose state folder is not the default one, so :func:`find_labs` finds it."""
    state_dir = Path(state_dir)
    if state_dir.resolve() == (root / name).resolve():
        return
    record = _record_path(state_dir, root)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(str(state_dir.resolve()) + "\n", encoding="utf-8")


def forget(state_dir: Path | str, root: Path = STATE_ROOT) -> None:
    """Remove the record :func:`remember` wrote for ``state_dir`` (if any)."""
    _record_path(Path(state_dir), root).unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def _is_lab_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid_alive(pid)
    return b"lab" in cmdline and b"_serve" in cmdline


class RunningLab:
    """A lab whose server process is (or was) running, read from its state folder.

    Attributes: ``name``, ``state_dir`` (Path), ``pid`` (int), ``spec`` (LabSpec, with the
    credentials' secrets; tests only), ``devices`` (list of inventory dicts).
    """

    def __init__(self, state_dir: Path | str, proc: subprocess.Popen | None = None) -> None:
        self.state_dir = Path(state_dir)
        state_file = self.state_dir / "state.json"
        try:
            self.state = json.loads(state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LabError(f"no running lab in {self.state_dir} (no state.json)") from None
        self.name: str = self.state["name"]
        self.pid: int = self.state["pid"]
        self._proc = proc
        self._spec: LabSpec | None = None

    @property
    def spec(self) -> LabSpec:
        """The served lab spec (parsed from ``lab.yml`` in the state folder)."""
        if self._spec is None:
            self._spec = load_lab(self.state_dir / "lab.yml")
        return self._spec

    @property
    def host(self) -> str:
        """``127.0.0.1``, where devices listen unless their ``address`` is ``::1`` (see :meth:`address`)."""
        return HOST

    def address(self, name: str) -> str:
        """Where device ``name`` listens: ``127.0.0.1`` or ``::1``."""
        return str(self.device(name)["inventory"]["host"])

    @property
    def devices(self) -> list[dict[str, Any]]:
        """Inventory dicts: name, host, port, platform, tags (+ free fields)."""
        return [dict(d["inventory"]) for d in self.state["devices"]]

    def device(self, name: str) -> dict[str, Any]:
        """The state entry of one device (inventory + behaviours + host_key); LabError if unknown."""
        for dev in self.state["devices"]:
            if dev["inventory"]["name"] == name:
                return dev
        raise LabError(f"lab {self.name}: no device named {name!r}")

    def port(self, name: str) -> int:
        """TCP port of device ``name`` (on its address, see :meth:`address`)."""
        return int(self.device(name)["inventory"]["port"])

    def host_key(self, name: str) -> str | None:
        """``'ssh-ed25519 AAAA...'`` of a device (None if it rotates its key)."""
        return self.device(name)["host_key"] or None

    @property
    def known_hosts(self) -> Path:
        """Path of the known_hosts file covering every device with a stable key."""
        return self.state_dir / "known_hosts"

    @property
    def inventory(self) -> dict[str, Any]:
        """The served inventory, ``{'devices': [...]}``."""
        return {"devices": self.devices}

    def inventory_yaml(self) -> str:
        """The served inventory as YAML text (what ``python -m lab up`` prints)."""
        return (self.state_dir / "inventory.yml").read_text(encoding="utf-8")

    def auth_log(self, name: str) -> list[dict[str, Any]]:
        """SSH authentication records of device ``name``, oldest first.

        Each: time, device, username, method (password / keyboard-interactive / publickey),
        accepted, credential (name or None), peer, and for rejections reason and disconnected.
        Enable-secret checks are not in here: see :meth:`enable_log`.
        """
        return [r for r in self._records(name) if r["method"] != "enable"]

    def enable_log(self, name: str) -> list[dict[str, Any]]:
        """Enable-secret checks typed at the CLI of device ``name`` (method ``enable``), oldest first."""
        return [r for r in self._records(name) if r["method"] == "enable"]

    def _records(self, name: str) -> list[dict[str, Any]]:
        self.device(name)
        return read_auth_log(self.state_dir / "auth" / f"{name}.jsonl")

    def aaa(self) -> dict[str, Any]:
        """The lab AAA servers' counters: ``{"servers": {name: {lockout_after, lockout_for}},
        "accounts": {"user@server": {streak, max_streak, failures, successes, locks, locked,
        refused_while_locked}}}`` (empty when the lab has no ``aaa``)."""
        path = self.state_dir / "aaa.json"
        if not path.exists():
            return {"servers": {}, "accounts": {}}
        return json.loads(path.read_text(encoding="utf-8"))

    def credential(self, name: str) -> dict[str, Any]:
        """A world credential as a netraven.core credential dict (with its secrets)."""
        return self.spec.credential(name).as_dict()

    def credentials(self) -> list[dict[str, Any]]:
        """Every world credential as netraven.core credential dicts (with secrets)."""
        return [c.as_dict() for c in self.spec.credentials]

    def netmiko_params(self, device: str, credential: str | None = None, **extra: Any) -> dict[str, Any]:
        """Keyword arguments for ``netmiko.ConnectHandler`` to log in to ``device``.

        ``credential`` defaults to the device's first accepted one; ``extra`` overrides.
        """
        dev = self.spec.device(device)
        cname = credential or (dev.accept[0] if dev.accept else self.spec.credentials[0].name)
        cred = self.spec.credential(cname)
        params: dict[str, Any] = {"device_type": dev.platform, "host": dev.address, "port": self.port(device),
                                  "username": cred.username, "password": cred.password, "use_keys": False,
                                  "allow_agent": False, "conn_timeout": 10, "auth_timeout": 10}
        if dev.enable_secret and cred.enable_secret:
            params["secret"] = cred.enable_secret
        params.update(extra)
        return params

    def running(self) -> bool:
        """Whether the server process is alive."""
        return pid_alive(self.pid)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout`` s) and wait until it is gone."""
        stop_pid(self.pid, timeout, self.state_dir)
        if self._proc is not None:
            self._proc.wait(timeout=timeout)

    def __enter__(self) -> "RunningLab":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def stop_pid(pid: int, timeout: float, state_dir: Path) -> None:
    """End the lab process ``pid`` and mark ``state_dir`` stopped. Raises LabError if it survives."""
    if pid_alive(pid) and _is_lab_process(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        if pid_alive(pid):
            raise LabError(f"lab process {pid} did not stop")
    state_file = state_dir / "state.json"
    if state_file.exists():
        state_file.replace(state_dir / "state.stopped.json")
    forget(state_dir)


def start(spec: Any, state_dir: Path | str | None = None, base_dir: Path | str | None = None,
          timeout: float = 60.0, watch_pid: int | None = None) -> RunningLab:
    """Start a lab in a background process and return once every device port listens.

    ``spec``: a lab file path or a dict (relative files resolve against ``base_dir``, default
    the file's folder or ``lab/``). ``state_dir`` defaults to ``lab/state/<name>``.
    ``watch_pid``: the server exits by itself when that process dies (the fixture passes its own).
    Raises LabSpecError (bad spec) or LabError (already running, port taken, timeout).
    """
    lab = load_lab(spec, base_dir)
    sdir = Path(state_dir) if state_dir else default_state_dir(lab.name)
    sdir.mkdir(parents=True, exist_ok=True)
    old = sdir / "state.json"
    if old.exists():
        pid = json.loads(old.read_text(encoding="utf-8")).get("pid", 0)
        if pid_alive(pid) and _is_lab_process(pid):
            raise LabError(f"lab {lab.name} is already running (pid {pid}, state {sdir}); "
                           f"run '{stop_command(lab.name, sdir)}' first")
        old.unlink()
    for stale in (sdir / "auth").glob("*.jsonl"):
        stale.unlink()
    _write_served_spec(spec, lab, sdir, base_dir)
    cmd = [sys.executable, "-m", "lab", "_serve", str(sdir)]
    if watch_pid:
        cmd += ["--watch-pid", str(watch_pid)]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(LAB_DIR.parent) + os.pathsep + env.get("PYTHONPATH", "")
    with open(sdir / "lab.log", "wb") as log:
        proc = subprocess.Popen(cmd, cwd=str(LAB_DIR.parent), env=env, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not old.exists():
        if proc.poll() is not None:
            tail = (sdir / "lab.log").read_text(encoding="utf-8", errors="replace")[-2000:]
            raise LabError(f"lab {lab.name} failed to start (exit {proc.returncode}); {sdir / 'lab.log'}:\n{tail}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise LabError(f"lab {lab.name} did not become ready within {timeout:g} s (see {sdir / 'lab.log'})")
        time.sleep(0.02)
    return RunningLab(sdir, proc)


def _write_served_spec(spec: Any, lab: LabSpec, sdir: Path, base_dir: Path | str | None) -> None:
    """Write the spec to ``<state>/lab.yml`` with file paths made absolute."""
    if isinstance(spec, (str, Path)):
        data = yaml.safe_load(Path(spec).read_text(encoding="utf-8"))
        base = Path(base_dir) if base_dir else Path(spec).resolve().parent
    else:
        data = _plain(spec)
        base = Path(base_dir) if base_dir else LAB_DIR
    data["name"] = lab.name
    for dev in data.get("devices", []):
        if isinstance(dev, dict) and "running_config" in dev:
            dev["running_config"] = str((base / str(dev["running_config"])).resolve())
    for cred in data.get("credentials", []):
        if isinstance(cred, dict) and cred.get("ssh_key_file"):
            cred["ssh_key_file"] = str((base / cred["ssh_key_file"]).resolve())
        if isinstance(cred, dict) and cred.get("public_key") and (base / cred["public_key"]).is_file():
            cred["public_key"] = str((base / cred["public_key"]).resolve())
    target = sdir / "lab.yml"  # holds the test world's secrets: owner-only from the first byte
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(yaml.safe_dump(data, sort_keys=False))


def _plain(value: Any) -> Any:
    """A deep copy of ``value`` with Paths and tuples turned into str and lists (YAML-safe)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def find_labs(root: Path = STATE_ROOT) -> list[Path]:
    """State folders of running labs: those under ``root``, then those recorded by :func:`remember`.

    A record whose lab is no longer running is removed.
    """
    out = [state.parent for state in sorted(root.glob("*/state.json")) if _running_pid(state)]
    for record in sorted((root / ELSEWHERE).glob("*")):
        try:
            sdir = Path(record.read_text(encoding="utf-8").strip())
        except OSError:
            continue
        if _running_pid(sdir / "state.json"):
            if sdir not in out:
                out.append(sdir)
        else:
            record.unlink(missing_ok=True)
    return out


def _running_pid(state_file: Path) -> int | None:
    """The pid in ``state_file`` when that process is alive, else None."""
    try:
        pid = json.loads(state_file.read_text(encoding="utf-8"))["pid"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if pid_alive(pid) else None


def ports_in_use(ports: list[int], host: str = HOST) -> list[int]:
    """Those of ``ports`` that still accept TCP connections on ``host`` (127.0.0.1 or ::1; should be [])."""
    busy = []
    for port in ports:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                busy.append(port)
    return busy
