"""The README's "Use it on your network" host-key step, run as written against the lab (issue 18, item 4).

The README collects the devices' host keys with ``ssh-keyscan`` into ``known_hosts`` and
points every device at it with ``netraven_known_hosts_file`` in ``group_vars/all``; the file sits
next to the inventory folder (in it, Ansible would try to parse it as an inventory). This runs those
two lines in a project folder (the keyscan line once per lab port: the lab's devices listen on
127.0.0.1 at one port each, where a real network has port 22), then the README's backup command
with host keys checked (the repository's ansible.cfg: ``host_key_checking = True``) and no
``known_hosts_file`` option anywhere else:

- the two scanned devices are backed up;
- a device added after the scan fails as ``hostkey_unknown`` and the lab saw no password from it.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lab.control import start

from backup_helpers import CANARIES, files_containing, lab_spec, playbook_env

pytestmark = [pytest.mark.lab, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
SCANNED = ("r1-first", "r2-second")
NEW = "r3-third"


def readme_commands() -> list[str]:
    """The shell lines of the README's "Use it on your network" bash block (comments dropped)."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Use it on your network", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    joined = block.replace("\\\n", " ")
    return [re.sub(r"\s+#.*$", "", line).strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_readme_host_key_step_checks_host_keys(tmp_path: Path) -> None:
    keyscan, pin, export, playbook = readme_commands()
    assert keyscan.startswith("ssh-keyscan ") and "-p 22" in keyscan and "> known_hosts" in keyscan
    assert pin.startswith("echo ") and "netraven_known_hosts_file" in pin
    assert export.startswith("export NETRAVEN_METRICS_STORE=") and playbook.startswith("ansible-playbook netraven.core.backup")

    spec = lab_spec()
    spec["devices"] = [d for d in spec["devices"] if d["name"] in (*SCANNED, NEW)]
    running = start(spec, state_dir=tmp_path / "lab", watch_pid=os.getpid())
    try:
        inv = tmp_path / "inventory"
        (inv / "group_vars" / "all").mkdir(parents=True)
        devices = [{"name": d["name"], "host": "127.0.0.1", "port": running.port(d["name"]), "platform": d["platform"],
                    "tags": d["tags"]} for d in spec["devices"]]
        (tmp_path / "devices.yml").write_text(yaml.safe_dump({"devices": devices}))
        (inv / "prod.netraven.yml").write_text(f"plugin: netraven.core.devices\nsource: {tmp_path / 'devices.yml'}\n")
        (inv / "group_vars" / "all" / "credentials.yml").write_text(yaml.safe_dump({"netraven_credentials": spec["credentials"]}))
        (tmp_path / "device-addresses.txt").write_text("127.0.0.1\n")

        for name in SCANNED:  # the README's line, at each lab port (appending after the first)
            line = keyscan.replace("-p 22", f"-p {running.port(name)}")
            if name != SCANNED[0]:
                line = line.replace("> known_hosts", ">> known_hosts")
            subprocess.run(["bash", "-c", line], cwd=tmp_path, check=True, capture_output=True, timeout=60)
        subprocess.run(["bash", "-c", pin], cwd=tmp_path, check=True, timeout=60)
        assert (tmp_path / "known_hosts").read_text().count("[127.0.0.1]:") >= 2

        store = f"sqlite:///{tmp_path / 'metrics.db'}"
        args = shlex.split(playbook.replace("\\", ""))
        args = [a for a in args if a != "--ask-vault-pass"]
        args = [a.replace("/srv/backups", str(tmp_path / "backups")).replace("/srv/reports", str(tmp_path / "reports")) for a in args]
        env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
               "ANSIBLE_NOCOLOR": "1", "NETRAVEN_METRICS_STORE": store}
        env.pop("ANSIBLE_HOST_KEY_CHECKING", None)
        proc = subprocess.run([str(Path(sys.executable).parent / args[0]), *args[1:]], cwd=tmp_path,
                              env=playbook_env(env, tmp_path), capture_output=True, text=True, timeout=300, check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 2, out
        assert sorted(p.stem for p in (tmp_path / "backups").glob("*.cfg")) == sorted(SCANNED), out
        assert re.search(rf"{NEW}.*hostkey_unknown", out), out
        assert "Unable to parse" not in out, out
        assert running.auth_log(NEW) == []
        # group_vars hold the passwords in clear here (the README vault-encrypts them): scan what the run wrote
        written = [tmp_path / part for part in ("backups", "reports", "facts") if (tmp_path / part).is_dir()]
        leaks = [hit for folder in written for hit in files_containing(folder, CANARIES.values())]
        leaks += [c for c in CANARIES.values() if c.encode() in (tmp_path / "metrics.db").read_bytes() or c in out]
        assert not leaks, leaks
    finally:
        running.stop()
