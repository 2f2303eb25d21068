"""The SSH side of the lab: one process, one listening socket per device, paramiko servers.

A single selector thread accepts connections on every device port and hands each one to a
paramiko ``Transport`` (its own thread). :class:`DeviceAuth` (a ``paramiko.ServerInterface``)
decides every authentication attempt, applies the device's behaviours and writes the auth log;
the CLI itself is :class:`lab.shell.Shell`, run in one thread per shell channel.

Behaviours (see docs/docsite/rst/lab.rst): ``unreachable`` binds the port without listening (connections are
refused), ``blackhole`` accepts TCP and never sends a byte, the others act during or after
authentication.
"""
from __future__ import annotations

import itertools
import json
import logging
import selectors
import socket
import threading
import time
from pathlib import Path
from typing import Any

import paramiko

from .authlog import AuthLog
from .hostkeys import device_host_key, public_line, random_host_key
from .latency import DelayLine, wrap_if_delayed
from .shell import Shell
from .spec import Credential, Device, LabSpec

LOG = logging.getLogger("lab.server")


class AaaServers:
    """The lab's central AAA servers (lab file ``aaa``): one failure counter per account (AAA server,
    username) shared by every device that uses the server, a lockout on all of them after
    ``lockout_after`` consecutive failures, and the highest streak seen, written to
    ``<state>/aaa.json`` after every change (``RunningLab.aaa``)."""

    def __init__(self, spec: LabSpec, state_dir: Path) -> None:
        self.servers = {a.name: a for a in spec.aaa}
        self.accounts = {(c.aaa, c.username) for c in spec.credentials if c.aaa}
        self.path = state_dir / "aaa.json"
        self.lock = threading.Lock()
        self.state: dict[str, dict[str, Any]] = {}
        if self.servers:
            self._write()

    def account(self, server: str | None, username: str) -> str | None:
        """``username@server`` when ``username`` is an account of AAA ``server``, else None."""
        return f"{username}@{server}" if server and (server, username) in self.accounts else None

    def _entry(self, account: str) -> dict[str, Any]:
        return self.state.setdefault(account, {"streak": 0, "max_streak": 0, "failures": 0, "successes": 0,
                                               "locks": 0, "locked_until": 0.0, "refused_while_locked": 0})

    def locked(self, account: str) -> float:
        """Seconds the account stays locked (0: not locked); a refused login while locked is counted."""
        with self.lock:
            entry = self._entry(account)
            left = entry["locked_until"] - time.monotonic()
            if left <= 0:
                if entry["locked_until"]:
                    entry.update(locked_until=0.0, streak=0)
                return 0.0
            entry["refused_while_locked"] += 1
            self._write()
            return left

    def note(self, account: str, server: str, ok: bool) -> None:
        """Count one login decision of ``account`` (success resets the streak)."""
        rule = self.servers[server]
        with self.lock:
            entry = self._entry(account)
            if ok:
                entry["successes"] += 1
                entry["streak"] = 0
            else:
                entry["failures"] += 1
                entry["streak"] += 1
                entry["max_streak"] = max(entry["max_streak"], entry["streak"])
                if entry["streak"] >= rule.lockout_after and not entry["locked_until"]:
                    entry["locked_until"] = time.monotonic() + rule.lockout_for
                    entry["locks"] += 1
            self._write()

    def _write(self) -> None:
        data = {"servers": {n: {"lockout_after": a.lockout_after, "lockout_for": a.lockout_for} for n, a in self.servers.items()},
                "accounts": {k: {key: v for key, v in e.items() if key != "locked_until"} | {"locked": e["locked_until"] > time.monotonic()}
                             for k, e in self.state.items()}}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)


class DeviceState:  # pylint: disable=too-many-instance-attributes
    """Runtime state of one device: socket, host key, lockout counters, auth log."""

    def __init__(self, spec: LabSpec, device: Device, state_dir: Path, aaa: AaaServers | None = None) -> None:
        self.aaa = aaa if aaa is not None else AaaServers(spec, state_dir)
        self.spec = spec
        self.device = device
        self.log = AuthLog(state_dir / "auth" / f"{device.name}.jsonl")
        self.host_key = device_host_key(device.name)
        self.accepted = [spec.credential(n) for n in device.accept]
        self.lock = threading.Lock()
        self.failures = 0             # consecutive failed logins (for lockout)
        self.locked_until = 0.0       # time.monotonic() deadline
        self.connections = itertools.count(1)  # number of each SSH connection, in the auth log
        self.sock: socket.socket | None = None
        self.port = device.port

    def bind(self) -> None:
        """Bind the device port on its address (127.0.0.1 or ::1), listening unless ``unreachable``."""
        address = self.device.address
        sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
        if not self.device.behaviours.unreachable:  # a bound, non-listening socket must stay exclusive
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, self.device.port))
        except OSError as exc:
            sock.close()
            where = f"[{address}]" if ":" in address else address
            raise OSError(exc.errno, f"device {self.device.name}: cannot bind {where}:{self.device.port}: {exc.strerror}") from None
        if not self.device.behaviours.unreachable:
            sock.listen(64)
            sock.setblocking(False)
        self.sock = sock
        self.port = sock.getsockname()[1]

    def locked(self) -> float:
        """Seconds of lockout left (0 when not locked)."""
        with self.lock:
            left = self.locked_until - time.monotonic()
            if left <= 0 and self.locked_until:
                self.locked_until, self.failures = 0.0, 0
            return max(left, 0.0)

    def note_result(self, ok: bool) -> None:
        """Count a login result toward the lockout rule."""
        beh = self.device.behaviours
        with self.lock:
            if ok:
                self.failures = 0
                return
            self.failures += 1
            if beh.lockout_after and self.failures >= beh.lockout_after and not self.locked_until:
                self.locked_until = time.monotonic() + beh.lockout_for

    def identify(self, username: str, secret: str, kind: str = "password") -> Credential | None:
        """The world credential with this username and secret (accepted ones first), or None."""
        pool = list(self.accepted) + [c for c in self.spec.credentials if c not in self.accepted]
        for cred in pool:
            if cred.username == username and getattr(cred, kind) == secret:
                return cred
        return None

    def public_key_line(self) -> str:
        """known_hosts key text (``ssh-ed25519 AAAA...``); empty for rotating devices."""
        return "" if self.device.rotate_host_key else public_line(self.host_key)


class DeviceAuth(paramiko.ServerInterface):
    """Authentication and channel policy for one SSH connection to one device."""

    def __init__(self, state: DeviceState, transport: paramiko.Transport, peer: str) -> None:
        self.st = state
        self.beh = state.device.behaviours
        self.transport = transport
        self.peer = peer
        self.conn_failures = 0
        self.connection = next(state.connections)
        self.closing = False          # past max_auth_tries: no further request is judged
        self.username = ""
        self.credential: Credential | None = None
        self.locked_banner_sent = False

    # ---- authentication -------------------------------------------------------------------
    def get_allowed_auths(self, username: str) -> str:
        if self.beh.keyboard_interactive_only:
            return "keyboard-interactive"
        if self.beh.publickey_only:
            return "publickey"
        return "publickey,keyboard-interactive,password"

    def get_banner(self) -> tuple[str | None, str | None]:
        left = self.st.locked()
        if left:
            self.locked_banner_sent = True
            return (_locked_banner(left), "en-US")
        return (None, None)

    def check_auth_password(self, username: str, password: str) -> int:
        if self.beh.keyboard_interactive_only or self.beh.publickey_only:
            return self._decide("password", username, None, reason="method_not_allowed")
        return self._decide("password", username, self.st.identify(username, password))

    def check_auth_interactive(self, username: str, submethods: str) -> Any:
        if self.beh.publickey_only:
            return self._decide("keyboard-interactive", username, None, reason="method_not_allowed")
        self.username = username
        return paramiko.InteractiveQuery("", "", ("Password: ", False))

    def check_auth_interactive_response(self, responses: Any) -> Any:
        secret = responses[0] if responses else ""
        return self._decide("keyboard-interactive", self.username, self.st.identify(self.username, secret))

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if self.beh.keyboard_interactive_only:
            return self._decide("publickey", username, None, reason="method_not_allowed")
        return self._decide("publickey", username, self.st.identify(username, public_line(key), "public_key"))

    def _decide(self, method: str, username: str, cred: Credential | None, reason: str | None = None) -> int:
        if self.closing:  # the connection is being closed after its last allowed failure
            self.transport.close()
            return paramiko.AUTH_FAILED
        if self.beh.slow_auth:
            time.sleep(self.beh.slow_auth)
        account = self.st.aaa.account(self.st.device.aaa, username) if reason is None else None
        if account is not None:
            return self._decide_aaa(method, username, cred, account)
        left = self.st.locked()
        if left:
            reason = "locked"
            self._send_locked_banner(left)
        elif reason is None and cred is not None and cred in self.st.accepted:
            self.username, self.credential = username, cred
            self.st.log.record(device=self.st.device.name, username=username, method=method, accepted=True,
                               credential=cred.name, peer=self.peer, connection=self.connection)
            self.st.note_result(True)
            return paramiko.AUTH_SUCCESSFUL
        if reason is None:
            reason = "not_accepted" if cred is not None else "wrong_secret"
        drop = False
        if reason != "method_not_allowed":  # a method the device does not offer is no failed login
            if reason != "locked":
                self.st.note_result(False)
            self.conn_failures += 1
            drop = self.beh.disconnect_after_failed_auth or (
                self.beh.max_auth_tries is not None and self.conn_failures >= self.beh.max_auth_tries)
        self.st.log.record(device=self.st.device.name, username=username, method=method, accepted=False,
                           credential=cred.name if cred else None, peer=self.peer, reason=reason,
                           disconnected=drop, connection=self.connection)
        if drop:
            self._close_after_answer()
        return paramiko.AUTH_FAILED

    def _decide_aaa(self, method: str, username: str, cred: Credential | None, account: str) -> int:
        """The central AAA server decides: locked account, accepted (the device accepts the
        credential), or a failure counted for the account on every device that uses the server."""
        server = str(self.st.device.aaa)
        left = self.st.aaa.locked(account)
        if left:
            self._send_locked_banner(left)
            reason = "aaa_locked"
        elif cred is not None and cred in self.st.accepted:
            self.st.aaa.note(account, server, True)
            self.username, self.credential = username, cred
            self.st.log.record(device=self.st.device.name, username=username, method=method, accepted=True,
                               credential=cred.name, peer=self.peer, aaa=account, connection=self.connection)
            return paramiko.AUTH_SUCCESSFUL
        else:
            self.st.aaa.note(account, server, False)
            reason = "not_accepted" if cred is not None else "wrong_secret"
        self.st.log.record(device=self.st.device.name, username=username, method=method, accepted=False,
                           credential=cred.name if cred else None, peer=self.peer, reason=reason, aaa=account,
                           disconnected=False, connection=self.connection)
        return paramiko.AUTH_FAILED

    def _close_after_answer(self) -> None:
        """Send this failure, then SSH_MSG_DISCONNECT and close, in order, as Dropbear does at its
        limit: paramiko's server does exactly that after its 10th failure (``auth_fail_count``)."""
        self.closing = True
        handler = getattr(self.transport, "auth_handler", None)
        if handler is not None and hasattr(handler, "auth_fail_count"):
            handler.auth_fail_count = max(handler.auth_fail_count, 9)
        else:  # pragma: no cover - a paramiko without the counter: close a moment after the answer
            threading.Timer(0.05, self.transport.close).start()

    def _send_locked_banner(self, left: float) -> None:
        """Lockout began during this connection: send the banner now (RFC 4252 5.4 allows it)."""
        if self.locked_banner_sent:
            return
        self.locked_banner_sent = True
        msg = paramiko.Message()
        msg.add_byte(paramiko.common.cMSG_USERAUTH_BANNER)
        msg.add_string(_locked_banner(left))
        msg.add_string("en-US")
        self.transport._send_message(msg)  # pylint: disable=protected-access

    def check_enable(self, typed: str) -> bool:
        """Check an ``enable`` secret typed in the CLI; logged with method ``enable``."""
        ok = typed == self.st.device.enable_secret
        cred = None
        for c in self.st.spec.credentials:
            if c.enable_secret is not None and c.enable_secret == typed:
                cred = c
                break
        self.st.log.record(device=self.st.device.name, username=self.username, method="enable", accepted=ok,
                           credential=cred.name if cred else None, peer=self.peer, connection=self.connection,
                           **({} if ok else {"reason": "wrong_secret"}))
        return ok

    # ---- channels ---------------------------------------------------------------------------
    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, channel, term, width, height, pixelwidth, pixelheight, modes) -> bool:  # noqa: D102  # pylint: disable=too-many-arguments
        return True

    def check_channel_window_change_request(self, channel, width, height, pixelwidth, pixelheight) -> bool:  # noqa: D102  # pylint: disable=too-many-arguments
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        shell = Shell(channel, self.st.device, self.username, self.check_enable)
        threading.Thread(target=shell.run, args=(self.beh,), name=f"shell-{self.st.device.name}", daemon=True).start()
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        if self.beh.password_expired or self.beh.banner_prompt is not None or self.beh.password_change_prompt is not None:
            return False
        shell = Shell(channel, self.st.device, self.username, self.check_enable)
        threading.Thread(target=shell.run_exec, args=(command.decode("utf-8", "replace"),), daemon=True).start()
        return True


def _locked_banner(left: float) -> str:
    return f"% User account locked: too many failed login attempts. Try again in {int(left) + 1} seconds.\r\n"


class LabServer:
    """All devices of one lab in this process.

    ``start()`` binds every port (raises OSError if one is taken) and starts the accept thread;
    ``stop()`` closes listeners, held blackhole sockets and live SSH sessions.
    """

    def __init__(self, spec: LabSpec, state_dir: Path) -> None:
        self.spec = spec
        self.aaa = AaaServers(spec, state_dir)
        self.devices = [DeviceState(spec, d, state_dir, self.aaa) for d in spec.devices]
        self._sel = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._transports: set[paramiko.Transport] = set()
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._delay = DelayLine() if any(d.latency_ms for d in spec.devices) else None

    def start(self) -> None:
        """Bind all ports, then accept in a background thread."""
        for st in self.devices:
            st.bind()
            if not st.device.behaviours.unreachable:
                self._sel.register(st.sock, selectors.EVENT_READ, st)
        self._thread = threading.Thread(target=self._loop, name="lab-accept", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for key, _events in self._sel.select(timeout=0.2):
                st: DeviceState = key.data
                try:
                    conn, addr = st.sock.accept()
                except (BlockingIOError, OSError):
                    continue
                self._handle(st, conn, f"{addr[0]}:{addr[1]}")

    def _handle(self, st: DeviceState, conn: socket.socket, peer: str) -> None:
        if st.device.behaviours.blackhole:
            with self._lock:
                self._held.append(conn)
            return
        conn.setblocking(True)
        try:
            transport = paramiko.Transport(wrap_if_delayed(self._delay, conn, st.device.latency_ms))
            transport.add_server_key(random_host_key() if st.device.rotate_host_key else st.host_key)
            transport.start_server(event=threading.Event(), server=DeviceAuth(st, transport, peer))
        except Exception as exc:  # noqa: BLE001 - a broken client must not stop the lab  # pylint: disable=broad-except
            LOG.warning("device %s: connection from %s failed: %s", st.device.name, peer, exc)
            conn.close()
            return
        with self._lock:
            self._transports = {t for t in self._transports if t.is_active()}
            self._transports.add(transport)

    def stop(self) -> None:
        """Stop accepting and close every socket and session of the lab."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        with self._lock:
            for t in self._transports:
                t.close()
            for s in self._held:
                s.close()
        if self._delay is not None:
            self._delay.stop()
        for st in self.devices:
            if st.sock is not None:
                st.sock.close()
            st.log.close()
        self._sel.close()
