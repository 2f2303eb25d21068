"""Helpers for the AWX tests: the credential type of docs/docsite/rst/awx.rst, rendered the way AWX renders it,
lab specs with canary secrets, inventories and ansible-runner jobs.

Imported by the test modules of this folder (pytest puts the folder on ``sys.path``).
"""
from __future__ import annotations

import os
import re
import stat
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import yaml
from jinja2 import sandbox

REPO = Path(__file__).resolve().parents[3]
AWX_DOC = REPO / "docs" / "docsite" / "rst" / "awx.rst"

# Environment variables a custom credential type may not inject. Source: AWX,
# awx/main/fields.py CredentialTypeInjectorField.validate_env_var_allowed (ENV_BLOCKLIST,
# plus every name starting with ANSIBLE_).
AWX_ENV_BLOCKLIST = frozenset({
    "VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
    "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES",
    "CALLBACK_QUEUE", "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS",
    "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH",
})


def credential_type_from_doc(doc: Path = AWX_DOC) -> tuple[dict, dict]:
    """``(inputs, injectors)``: the two YAML blocks of docs/docsite/rst/awx.rst that follow the RST
    comments ``.. awx-inputs`` and ``.. awx-injectors`` (the exact text a user pastes into AWX).

    A block is the ``.. code-block:: yaml`` directive's indented body, dedented. ValueError if missing.
    """
    text = doc.read_text(encoding="utf-8")
    found = {}
    for marker in ("awx-inputs", "awx-injectors"):
        match = re.search(rf"^\.\. {marker}\n\n\.\. code-block:: yaml\n\n((?:(?:   .*)?\n)+)", text, re.M)
        if not match:
            raise ValueError(f"{doc}: no '.. code-block:: yaml' right after '.. {marker}'")
        found[marker] = yaml.safe_load(textwrap.dedent(match.group(1)))
    return found["awx-inputs"], found["awx-injectors"]


class _Namespace:  # pylint: disable=too-few-public-methods
    """Attribute bag, as AWX's TowerNamespace (``tower.filename`` / ``tower.filename.<label>``)."""


def render_injectors(inputs: dict, injectors: dict, values: dict[str, Any], private_data_dir: Path) -> tuple[dict, dict]:
    """Render a custom credential type for one job as AWX does; return ``(env, files)``.

    Mirrors AWX's ``CredentialType.inject_credential`` (awx/main/models/credential/__init__.py):
    field values that are set (non-empty) form the Jinja namespace, missing booleans are False;
    every ``file`` template is rendered in an ``ImmutableSandboxedEnvironment`` into a new
    ``mkstemp`` file under ``<private_data_dir>/env`` made owner-only (0600), its path exposed as
    ``tower.filename`` (label ``template``) or ``tower.filename.<name>`` (label ``template.<name>``);
    then every ``env`` template is rendered. ``files`` maps the file label to its Path.

    Raises ValueError for a missing required field or an env name AWX refuses to inject.
    """
    fields = {f["id"]: f for f in inputs.get("fields", [])}
    missing = [name for name in inputs.get("required", []) if values.get(name) in (None, "")]
    if missing:
        raise ValueError(f"required credential fields not set: {missing}")
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"values for fields the type does not define: {unknown}")
    tower = _Namespace()
    namespace: dict[str, Any] = {"tower": tower}
    for name, value in values.items():
        if isinstance(value, bool) or value:
            namespace[name] = value
    for name, field in fields.items():
        if field.get("type") == "boolean" and name not in values:
            namespace[name] = False
    env_dir = private_data_dir / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    jinja = sandbox.ImmutableSandboxedEnvironment()
    files: dict[str, Path] = {}
    for label, template in injectors.get("file", {}).items():
        data = jinja.from_string(template).render(**namespace)
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        files[label] = Path(path)
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = _Namespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    env = {}
    for name, template in injectors.get("env", {}).items():
        if name in AWX_ENV_BLOCKLIST or name.startswith("ANSIBLE_"):
            raise ValueError(f"AWX refuses to inject the environment variable {name}")
        env[name] = jinja.from_string(template).render(**namespace)
    return env, files


# --- lab and inventory ------------------------------------------------------------------------

CANARIES = {
    "awx-first": "Canary-awx-first-9f3",
    "awx-second": "Canary-awx-second-9f3",
    "awx-third": "Canary-awx-third-9f3",
}
STORE_CANARY = "Canary-awx-store-9f3"   # the metrics store password (pgpass file only)
DECOY_CANARY = "Canary-awx-decoy-9f3"   # a group_vars credential that must never be tried
SMALL_IOS_CONFIG = "!\nhostname {name}\n!\ninterface Loopback0\n ip address 10.0.0.1 255.255.255.255\n!\nend\n"


def credential_list() -> list[dict]:
    """Three password credentials for every device (tag ``default``), tried first/second/third."""
    return [{"name": name, "username": name.replace("-", "_"), "password": secret, "priority": 10 * (i + 1),
             "tags": ["default"]} for i, (name, secret) in enumerate(CANARIES.items())]


def lab_spec(count: int, name: str = "awx") -> dict:
    """``count`` small cisco_ios devices ``d000``...; device i accepts only credential i % 3, so a
    run in priority order makes (i % 3) + 1 attempts on it and binds it to that credential."""
    creds = credential_list()
    devices = [{"name": f"d{i:03d}", "platform": "cisco_ios", "port": "auto", "tags": ["ios"],
                "accept": [creds[i % 3]["name"]], "running_config_text": SMALL_IOS_CONFIG.format(name=f"d{i:03d}")}
               for i in range(count)]
    return {"name": name, "credentials": creds, "devices": devices}


def expected_credential(device: str) -> str:
    """The credential device ``dNNN`` accepts (see :func:`lab_spec`)."""
    return list(CANARIES)[int(device[1:]) % 3]


def expected_attempts(device: str) -> int:
    """Attempts a priority-ordered run makes on ``dNNN``: failures before it, then the success."""
    return int(device[1:]) % 3 + 1


def write_inventory(folder: Path, running_lab, names: list[str] | None = None, extra_vars: dict | None = None) -> Path:
    """``folder/inventory/lab.netraven.yml`` (netraven.core.devices over ``folder/devices.yml``
    listing ``names``, default every lab device), with ``group_vars/all.yml`` = ``extra_vars``.
    Returns the config file path (what an AWX inventory source points at)."""
    names = names if names is not None else [d["name"] for d in running_lab.devices]
    devices = [{"name": n, "host": "127.0.0.1", "port": running_lab.port(n), "platform": "cisco_ios", "tags": ["ios"]}
               for n in names]
    inv = folder / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "devices.yml").write_text(yaml.safe_dump({"devices": devices}), encoding="utf-8")
    config = inv / "lab.netraven.yml"
    config.write_text("plugin: netraven.core.devices\nsource: devices.yml\n", encoding="utf-8")
    (inv / "group_vars" / "all.yml").write_text(yaml.safe_dump(extra_vars or {}), encoding="utf-8")
    return config


def credential_values(store_url: str) -> dict[str, str]:
    """What a user types into a "NetRaven credential set" credential for these tests."""
    return {"credentials_yaml": yaml.safe_dump(credential_list(), sort_keys=False),
            "metrics_store": store_url, "metrics_store_password": STORE_CANARY}


def ansible_envvars(ansible_env: dict[str, str]) -> dict[str, str]:
    """The ANSIBLE_* settings of the ``ansible_env`` fixture that a runner job needs."""
    return {k: ansible_env[k] for k in ("ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_LOCAL_TEMP",
                                        "ANSIBLE_NOCOLOR", "ANSIBLE_FORCE_COLOR")}


def backup_extravars(folder: Path, running_lab) -> dict[str, Any]:
    """Extra vars of a backup job writing under ``folder`` and checking the lab's host keys."""
    return {"config_backup_dir": str(folder / "backups"), "credential_report_dir": str(folder / "report"),
            "config_backup_command_options": {"known_hosts_file": str(running_lab.known_hosts)}}


def files_containing(root: Path, needles, skip: tuple[Path, ...] = ()) -> list[str]:
    """``"path: needle"`` for every file under ``root`` (binary-safe) holding one of ``needles``."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and path not in skip:
            data = path.read_bytes()
            hits += [f"{path}: {n}" for n in needles if n.encode() in data]
    return hits
