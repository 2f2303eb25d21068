"""Lab file (YAML) loading and validation.

A lab file has two top-level lists (see docs/docsite/rst/lab.rst for the full format)::

    name: demo                      # optional, default: the file name without extension
    credentials:                    # every credential known in the test world
      - {name: lab-admin, username: admin, password: Lab-Only-1, priority: 10, tags: [core]}
    devices:
      - name: r1
        platform: cisco_ios         # netmiko device_type
        port: auto                  # or an int
        address: 127.0.0.1          # or ::1 (IPv6 loopback)
        tags: [site_a]
        accept: [lab-admin]         # credential names this device accepts
        enable_secret: Lab-Only-En  # optional: start in '>' and require 'enable'
        running_config: configs/cisco_ios_rtr2811.cfg   # relative to the lab file
        behaviours: [normal]        # or e.g. [{slow_auth: 2}, disconnect_after_failed_auth]
        latency_ms: 100             # optional: round trip simulated inside the lab (lab.latency)

``load_lab(path_or_dict)`` returns a :class:`LabSpec`; any problem raises :class:`LabSpecError`
whose message names the file, the device and the field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .platforms import PLATFORMS as PLATFORM_TABLES

PLATFORMS = tuple(PLATFORM_TABLES)
"""The netmiko device_types the lab emulates: those with a command table in :mod:`lab.platforms`."""
FLAG_BEHAVIOURS = ("normal", "keyboard_interactive_only", "publickey_only", "disconnect_after_failed_auth",
                   "password_expired", "banner_ack", "press_any_key", "password_change", "unreachable", "blackhole")
VALUE_BEHAVIOURS = ("slow_auth", "max_auth_tries", "lockout", "banner_ack", "paged_banner", "press_any_key",
                    "password_change")
DEVICE_KEYS = {"name", "platform", "port", "address", "tags", "accept", "enable_secret", "running_config",
               "running_config_text", "hostname", "behaviours", "rotate_host_key", "commands", "fields",
               "latency_ms", "aaa"}
ADDRESSES = ("127.0.0.1", "::1")
"""Where a device may listen: the IPv4 or the IPv6 loopback (the lab never listens off-host)."""
CREDENTIAL_KEYS = {"name", "username", "password", "public_key", "ssh_key_file", "enable_secret",
                   "priority", "tags", "description", "aaa"}
DEFAULT_BANNER_PROMPT = "This is a lab device. Type 'yes' to acknowledge the banner: "
DEFAULT_ANY_KEY_PROMPT = "HP J9773A 2530-24G-PoEP Switch (lab)\nSoftware revision YA.16.10.0009\n\nPress any key to continue"
DEFAULT_PASSWORD_CHANGE_PROMPT = ("Warning: The initial password poses security risks.\n"
                                  "The password needs to be changed. Change now? [Y/N]:")
MAX_LATENCY_MS = 10000
"""The longest round trip a device may simulate (``latency_ms``), in milliseconds."""
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class LabSpecError(ValueError):
    """A lab file or dict is invalid; the message names the source, device and field."""


@dataclass(frozen=True)
class Credential:
    """One credential of the test world (secrets are never logged or printed)."""

    name: str
    username: str
    password: str | None = None
    public_key: str | None = None       # "ssh-ed25519 AAAA..." (type and base64 only are compared)
    ssh_key_file: str | None = None
    enable_secret: str | None = None
    priority: int = 100
    tags: tuple[str, ...] = ()
    aaa: str | None = None               # the lab AAA server whose shared account this is

    def as_dict(self) -> dict[str, Any]:
        """The credential as the netraven.core lookup returns it (secrets included; tests only)."""
        out: dict[str, Any] = {"name": self.name, "username": self.username,
                               "priority": self.priority, "tags": list(self.tags)}
        for key in ("password", "ssh_key_file", "enable_secret", "aaa"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class Behaviours:
    """How a device misbehaves. Times are seconds; counts are attempts."""

    slow_auth: float = 0.0
    keyboard_interactive_only: bool = False
    publickey_only: bool = False
    disconnect_after_failed_auth: bool = False
    max_auth_tries: int | None = None
    lockout_after: int | None = None
    lockout_for: float = 0.0
    password_expired: bool = False
    banner_prompt: str | None = None     # banner_ack: the question asked before the CLI
    banner_answer: str = "yes"
    banner_strict: bool = False          # banner_ack strict: read key by key, close on the first wrong byte
    paged_banner: int = 0                # lines of MOTD shown through the platform's pager
    any_key_prompt: str | None = None    # press_any_key: the text, then any one key continues
    password_change_prompt: str | None = None   # password_change: the [Y/N] question
    password_change_insist: bool = False        # ... and whether N is refused
    unreachable: bool = False
    blackhole: bool = False

    def names(self) -> list[str]:
        """Short names of the active behaviours (``['normal']`` when none), for status output."""
        out = []
        prompts = {"banner_ack": self.banner_prompt, "press_any_key": self.any_key_prompt,
                   "password_change": self.password_change_prompt}
        for flag in FLAG_BEHAVIOURS[1:]:
            if flag in prompts:
                if prompts[flag] is not None:
                    out.append(flag + ("(strict)" if flag == "banner_ack" and self.banner_strict else "")
                               + ("(insist)" if flag == "password_change" and self.password_change_insist else ""))
            elif getattr(self, flag):
                out.append(flag)
        if self.paged_banner:
            out.append(f"paged_banner={self.paged_banner}")
        if self.slow_auth:
            out.append(f"slow_auth={self.slow_auth:g}s")
        if self.max_auth_tries:
            out.append(f"max_auth_tries={self.max_auth_tries}")
        if self.lockout_after:
            out.append(f"lockout={self.lockout_after}x/{self.lockout_for:g}s")
        return out or ["normal"]


@dataclass(frozen=True)
class Device:
    """One fake device. ``port`` is 0 for auto."""

    name: str
    platform: str
    port: int = 0
    address: str = "127.0.0.1"
    tags: tuple[str, ...] = ()
    accept: tuple[str, ...] = ()
    enable_secret: str | None = None
    running_config: str = ""
    hostname: str = ""
    behaviours: Behaviours = field(default_factory=Behaviours)
    rotate_host_key: bool = False
    commands: tuple[tuple[str, str, float], ...] = ()   # (command, output, delay seconds)
    fields: tuple[tuple[str, Any], ...] = ()
    latency_ms: float = 0.0   # round trip simulated inside the lab's SSH server (lab.latency)
    aaa: str | None = None    # the lab AAA server that checks this device's AAA accounts


@dataclass(frozen=True)
class AaaServer:
    """A simulated central AAA server: ``lockout_after`` consecutive failed logins of one account,
    on any device that uses the server, lock the account on all of them for ``lockout_for`` seconds."""

    name: str
    lockout_after: int = 3
    lockout_for: float = 60.0


@dataclass(frozen=True)
class LabSpec:
    """A whole lab: its name, the world's credentials and the devices."""

    name: str
    credentials: tuple[Credential, ...]
    devices: tuple[Device, ...]
    source: str = "<dict>"
    aaa: tuple[AaaServer, ...] = ()

    def credential(self, name: str) -> Credential:
        """The credential called ``name``; KeyError if there is none."""
        for cred in self.credentials:
            if cred.name == name:
                return cred
        raise KeyError(name)

    def device(self, name: str) -> Device:
        """The device called ``name``; KeyError if there is none."""
        for dev in self.devices:
            if dev.name == name:
                return dev
        raise KeyError(name)


def _fail(where: str, msg: str) -> LabSpecError:
    return LabSpecError(f"{where}: {msg}")


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise _fail(where, "must be a list of non-empty strings")
    return tuple(value)


def _number(value: Any, where: str, integer: bool = False, minimum: float = 0) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise _fail(where, f"must be {'an integer' if integer else 'a number'}, got {value!r}")
    if value < minimum:
        raise _fail(where, f"must be >= {minimum}, got {value!r}")
    return value


def _behaviours(raw: Any, where: str) -> Behaviours:
    """Normalise ``behaviours`` (list of names / one-key mappings, or a mapping) to Behaviours."""
    items: list[tuple[str, Any]] = []
    if raw is None:
        raw = []
    if isinstance(raw, (str, dict)):
        raw = [raw]
    if not isinstance(raw, list):
        raise _fail(where, "must be a list of behaviour names or {name: value} mappings")
    for item in raw:
        if isinstance(item, str):
            items.append((item, True))
        elif isinstance(item, dict):
            items.extend(item.items())
        else:
            raise _fail(where, f"unexpected entry {item!r}")
    kw: dict[str, Any] = {}
    for key, value in items:
        at = f"{where}.{key}"
        if key == "normal":
            continue
        if key == "slow_auth":
            kw["slow_auth"] = float(_number(value, at))
        elif key == "max_auth_tries":
            kw["max_auth_tries"] = _number(value, at, integer=True, minimum=1)
        elif key == "lockout":
            if not isinstance(value, dict) or set(value) - {"after", "for"} or "after" not in value:
                raise _fail(at, "must be a mapping {after: n, for: seconds}")
            kw["lockout_after"] = _number(value["after"], at + ".after", integer=True, minimum=1)
            kw["lockout_for"] = float(_number(value.get("for", 60), at + ".for"))
        elif key == "banner_ack":
            if value is True:
                kw["banner_prompt"] = DEFAULT_BANNER_PROMPT
            elif isinstance(value, dict) and not set(value) - {"prompt", "answer", "strict"}:
                kw["banner_prompt"] = str(value.get("prompt", DEFAULT_BANNER_PROMPT))
                kw["banner_answer"] = str(value.get("answer", "yes"))
                if not kw["banner_answer"] or not isinstance(value.get("strict", False), bool):
                    raise _fail(at, "answer must be non-empty and strict true or false")
                kw["banner_strict"] = value.get("strict", False)
            else:
                raise _fail(at, "must be true or a mapping {prompt: text, answer: text, strict: bool}")
        elif key == "paged_banner":
            kw["paged_banner"] = _number(value, at, integer=True, minimum=1)
        elif key == "press_any_key":
            if value is True:
                kw["any_key_prompt"] = DEFAULT_ANY_KEY_PROMPT
            elif isinstance(value, dict) and not set(value) - {"prompt"}:
                kw["any_key_prompt"] = str(value.get("prompt", DEFAULT_ANY_KEY_PROMPT))
            else:
                raise _fail(at, "must be true or a mapping {prompt: text}")
        elif key == "password_change":
            if value is True:
                value = {}
            if not isinstance(value, dict) or set(value) - {"prompt", "insist"} or not isinstance(value.get("insist", False), bool):
                raise _fail(at, "must be true or a mapping {prompt: text, insist: bool}")
            kw["password_change_prompt"] = str(value.get("prompt", DEFAULT_PASSWORD_CHANGE_PROMPT))
            kw["password_change_insist"] = value.get("insist", False)
        elif key in FLAG_BEHAVIOURS:
            if not isinstance(value, bool):
                raise _fail(at, "is a flag: write it as a plain name in the list")
            kw[key] = value
        else:
            known = ", ".join(dict.fromkeys(FLAG_BEHAVIOURS + VALUE_BEHAVIOURS))
            raise _fail(at, f"unknown behaviour (known: {known})")
    if kw.get("unreachable") and kw.get("blackhole"):
        raise _fail(where, "unreachable and blackhole exclude each other")
    if kw.get("keyboard_interactive_only") and kw.get("publickey_only"):
        raise _fail(where, "keyboard_interactive_only and publickey_only exclude each other")
    return Behaviours(**kw)


def _credential(raw: Any, where: str, base: Path) -> Credential:
    if not isinstance(raw, dict):
        raise _fail(where, "must be a mapping")
    unknown = set(raw) - CREDENTIAL_KEYS
    if unknown:
        raise _fail(where, f"unknown field(s) {sorted(unknown)} (known: {sorted(CREDENTIAL_KEYS)})")
    for key in ("name", "username"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _fail(where, f"field '{key}' is required and must be a non-empty string")
    where = f"{where} ({raw['name']})"
    if raw.get("password") is None and raw.get("public_key") is None and raw.get("ssh_key_file") is None:
        raise _fail(where, "needs 'password', 'public_key' or 'ssh_key_file'")
    for key in ("password", "enable_secret", "public_key", "ssh_key_file"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise _fail(f"{where}.{key}", "must be a string")
    public_key = raw.get("public_key")
    key_file = raw.get("ssh_key_file")
    if key_file is not None:
        key_file = str((base / key_file).resolve())
        if public_key is None:
            pub = Path(key_file + ".pub")
            if pub.is_file():
                public_key = pub.read_text(encoding="ascii")
    if public_key is not None:
        if not public_key.startswith(("ssh-", "ecdsa-")) and (base / public_key).is_file():
            public_key = (base / public_key).read_text(encoding="ascii")
        parts = public_key.split()
        if len(parts) < 2:
            raise _fail(f"{where}.public_key", "must be 'TYPE BASE64 [comment]' or a .pub file")
        public_key = f"{parts[0]} {parts[1]}"
    priority = _number(raw.get("priority", 100), f"{where}.priority", integer=True, minimum=-10**9)
    aaa = raw.get("aaa")
    if aaa is not None and (not isinstance(aaa, str) or not aaa):
        raise _fail(f"{where}.aaa", "must be the name of an AAA server of the top-level 'aaa' mapping")
    return Credential(name=raw["name"], username=raw["username"], password=raw.get("password"),
                      public_key=public_key, ssh_key_file=key_file, enable_secret=raw.get("enable_secret"),
                      priority=priority, tags=_str_list(raw.get("tags"), f"{where}.tags"), aaa=aaa)


def _device(raw: Any, where: str, base: Path, cred_names: set[str]) -> Device:
    if not isinstance(raw, dict):
        raise _fail(where, "must be a mapping")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise _fail(where, f"field 'name' must match {NAME_RE.pattern}, got {name!r}")
    where = f"device {name}"
    unknown = set(raw) - DEVICE_KEYS
    if unknown:
        raise _fail(where, f"unknown field(s) {sorted(unknown)} (known: {sorted(DEVICE_KEYS)})")
    platform = raw.get("platform")
    if platform not in PLATFORMS:
        raise _fail(f"{where}.platform", f"must be one of {', '.join(PLATFORMS)}, got {platform!r}")
    port = raw.get("port", "auto")
    if port == "auto" or port is None:
        port = 0
    elif isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise _fail(f"{where}.port", f"must be 'auto' or 1-65535, got {port!r}")
    address = raw.get("address", ADDRESSES[0])
    if address not in ADDRESSES:
        raise _fail(f"{where}.address", f"must be one of {', '.join(ADDRESSES)}, got {address!r}")
    accept = _str_list(raw.get("accept"), f"{where}.accept")
    for cname in accept:
        if cname not in cred_names:
            raise _fail(f"{where}.accept", f"names credential '{cname}' that is not in the top-level credentials list")
    enable_secret = raw.get("enable_secret")
    if enable_secret is not None and (not isinstance(enable_secret, str) or not enable_secret):
        raise _fail(f"{where}.enable_secret", "must be a non-empty string")
    if enable_secret is not None and platform == "juniper_junos":
        raise _fail(f"{where}.enable_secret", "juniper_junos has no enable mode")
    if "running_config" in raw and "running_config_text" in raw:
        raise _fail(where, "give running_config (a file) or running_config_text, not both")
    text = raw.get("running_config_text")
    if "running_config" in raw:
        cfg = base / str(raw["running_config"])
        try:
            text = cfg.read_bytes().decode("utf-8")
        except OSError as exc:
            raise _fail(f"{where}.running_config", f"cannot read {cfg}: {exc.strerror}") from None
    if text is None:
        text = _default_config(name, platform)
    if not isinstance(text, str):
        raise _fail(f"{where}.running_config_text", "must be a string")
    commands = _commands(raw.get("commands"), f"{where}.commands")
    fields = raw.get("fields") or {}
    if not isinstance(fields, dict):
        raise _fail(f"{where}.fields", "must be a mapping of free inventory fields")
    hostname = raw.get("hostname") or name
    rotate = raw.get("rotate_host_key", False)
    if not isinstance(rotate, bool):
        raise _fail(f"{where}.rotate_host_key", "must be true or false")
    latency = float(_number(raw.get("latency_ms", 0), f"{where}.latency_ms"))
    if latency > MAX_LATENCY_MS:
        raise _fail(f"{where}.latency_ms", f"must be <= {MAX_LATENCY_MS} (a round trip in milliseconds), got {latency:g}")
    aaa = raw.get("aaa")
    if aaa is not None and (not isinstance(aaa, str) or not aaa):
        raise _fail(f"{where}.aaa", "must be the name of an AAA server of the top-level 'aaa' mapping")
    return Device(name=name, platform=platform, port=port, address=address, tags=_str_list(raw.get("tags"), f"{where}.tags"),
                  accept=accept, enable_secret=enable_secret, running_config=text, hostname=str(hostname),
                  behaviours=_behaviours(raw.get("behaviours"), f"{where}.behaviours"),
                  rotate_host_key=rotate, commands=commands, fields=tuple(fields.items()), latency_ms=latency, aaa=aaa)


def _aaa_servers(raw: Any, source: str) -> tuple[AaaServer, ...]:
    """The top-level ``aaa`` mapping ``{server: {lockout: {after: n, for: seconds}}}`` as AaaServer tuples."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise LabSpecError(f"{source}: 'aaa' must map AAA server names to {{lockout: {{after: n, for: seconds}}}}")
    out = []
    for name, settings in raw.items():
        at = f"{source}: aaa.{name}"
        settings = settings or {}
        lockout = settings.get("lockout", {}) if isinstance(settings, dict) else None
        if not isinstance(name, str) or not NAME_RE.match(name) or not isinstance(lockout, dict) \
                or set(settings) - {"lockout"} or set(lockout) - {"after", "for"}:
            raise LabSpecError(f"{at}: must be a mapping {{lockout: {{after: n, for: seconds}}}} under a plain name")
        out.append(AaaServer(name=name, lockout_after=_number(lockout.get("after", 3), f"{at}.lockout.after", integer=True, minimum=1),
                             lockout_for=float(_number(lockout.get("for", 60), f"{at}.lockout.for"))))
    return tuple(out)


def _commands(raw: Any, where: str) -> tuple[tuple[str, str, float], ...]:
    """``{command: output}`` or ``{command: {output: text, delay: seconds}}`` -> tuples."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(cmd, str) and cmd.strip() for cmd in raw):
        raise _fail(where, "must map command strings to output strings or {output, delay} mappings")
    out = []
    for cmd, value in raw.items():
        if isinstance(value, str):
            out.append((cmd, value, 0.0))
        elif isinstance(value, dict) and not set(value) - {"output", "delay"} and isinstance(value.get("output", ""), str):
            out.append((cmd, value.get("output", ""), float(_number(value.get("delay", 0), f"{where}.{cmd}.delay"))))
        else:
            raise _fail(f"{where}.{cmd}", "must be an output string or a mapping {output: text, delay: seconds}")
    return tuple(out)


def _default_config(name: str, platform: str) -> str:
    if platform == "juniper_junos":
        return f"set version 21.4R1\nset system host-name {name}\n"
    return f"!\nhostname {name}\n!\nend\n"


def parse_lab(data: Any, source: str = "<dict>", base_dir: Path | str | None = None,
              default_name: str = "lab") -> LabSpec:
    """Validate an already-parsed lab mapping.

    ``base_dir`` resolves relative ``running_config``/key paths (default: the ``lab/`` package
    folder, so ``configs/<file>`` works for dict specs in tests). Raises LabSpecError.
    """
    base = Path(base_dir) if base_dir else Path(__file__).resolve().parent
    if not isinstance(data, dict):
        raise LabSpecError(f"{source}: a lab file must be a mapping with 'credentials' and 'devices'")
    unknown = set(data) - {"name", "credentials", "devices", "aaa"}
    if unknown:
        raise LabSpecError(f"{source}: unknown top-level field(s) {sorted(unknown)}")
    name = data.get("name") or default_name
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise LabSpecError(f"{source}: field 'name' must match {NAME_RE.pattern}, got {name!r}")
    raw_creds = data.get("credentials") or []
    raw_devs = data.get("devices")
    if not isinstance(raw_creds, list):
        raise LabSpecError(f"{source}: 'credentials' must be a list")
    if not isinstance(raw_devs, list) or not raw_devs:
        raise LabSpecError(f"{source}: 'devices' must be a non-empty list")
    try:
        creds = [_credential(c, f"credentials[{i}]", base) for i, c in enumerate(raw_creds)]
        names = [c.name for c in creds]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise LabSpecError(f"credentials: duplicate name(s) {dup}")
        devs = [_device(d, f"devices[{i}]", base, set(names)) for i, d in enumerate(raw_devs)]
        dnames = [d.name for d in devs]
        dup = sorted({n for n in dnames if dnames.count(n) > 1})
        if dup:
            raise LabSpecError(f"devices: duplicate name(s) {dup}")
        servers = _aaa_servers(data.get("aaa"), source)
        known = {a.name for a in servers}
        for item in list(creds) + list(devs):
            if item.aaa is not None and item.aaa not in known:
                raise LabSpecError(f"{item.name}.aaa: names AAA server {item.aaa!r} that is not in the top-level 'aaa' mapping")
        ports = [(d.address, d.port) for d in devs if d.port]  # IPv4 and IPv6 ports are separate
        dup_ports = sorted({port for address, port in ports if ports.count((address, port)) > 1})
        if dup_ports:
            raise LabSpecError(f"devices: port(s) {dup_ports} used twice")
    except LabSpecError as exc:
        raise LabSpecError(f"{source}: {exc}") from None
    return LabSpec(name=name, credentials=tuple(creds), devices=tuple(devs), source=source, aaa=servers)


def load_lab(spec: Any, base_dir: Path | str | None = None) -> LabSpec:
    """Load a lab from a YAML file path, or validate a dict. Raises LabSpecError."""
    if isinstance(spec, LabSpec):
        return spec
    if isinstance(spec, (str, Path)):
        path = Path(spec)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LabSpecError(f"{path}: cannot read: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise LabSpecError(f"{path}: invalid YAML: {exc}") from None
        return parse_lab(data, str(path), base_dir or path.resolve().parent, default_name=_stem(path))
    return parse_lab(spec, "<dict>", base_dir)


def _stem(path: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", path.name.split(".")[0]) or "lab"
    return stem if NAME_RE.match(stem) else "lab"
