"""Guards found by new-user testing: a CLI error is not a configuration, an inventory that gave no
device fails the run, and a metrics store URL with a password never reaches the output."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from backup_helpers import CANARIES, lab_spec, playbook_env, run_playbook, write_inventory

STORE_PASSWORD = "Canary-pgpw-9f3"


@pytest.mark.lab
def test_user_exec_mode_fails_clearly_and_store_password_stays_hidden(lab, tmp_path: Path, ansible_env: dict) -> None:
    spec = lab_spec()
    spec["devices"] = [d for d in spec["devices"] if d["name"] in ("r1-first", "r7-enable")]
    running = lab(spec)
    # A PostgreSQL store that cannot be reached, with a password in its URL: a warning, never the password.
    store_url = f"postgresql://netraven:{STORE_PASSWORD}@127.0.0.1:1/netraven?connect_timeout=2"
    inv = write_inventory(tmp_path, running, spec, store_url)
    group_vars = inv / "group_vars" / "all.yml"
    data = yaml.safe_load(group_vars.read_text())
    data["config_backup_command_options"]["enable"] = False  # r7-enable stays in user EXEC mode
    group_vars.write_text(yaml.safe_dump(data))

    result = run_playbook(playbook_env(ansible_env, tmp_path), inv, tmp_path, verbosity="-vvv")
    out = result.stdout + result.stderr
    assert result.returncode == 2, out[-4000:]
    assert "command_rejected: r7-enable answered 'show running-config' with an error" in " ".join(out.split())
    assert "netraven_enable=true" in out
    assert not (tmp_path / "backups" / "r7-enable.cfg").exists()
    assert (tmp_path / "backups" / "r1-first.cfg").is_file()
    assert "metrics store" in out  # the store failure is a warning
    assert STORE_PASSWORD not in out
    assert not [c for c in CANARIES.values() if c in out]


def test_inventory_without_devices_fails_the_backup(tmp_path: Path, ansible_env: dict) -> None:
    devices = tmp_path / "devices.yml"
    devices.write_text(yaml.safe_dump({"devices": [
        {"name": "r1", "host": "127.0.0.1", "port": 2201, "platform": "cisco_ios"},
        {"name": "r1", "host": "127.0.0.1", "port": 2202, "platform": "cisco_ios"},  # duplicate: parse error
    ]}))
    inv = tmp_path / "inventory"
    inv.mkdir()
    (inv / "broken.netraven.yml").write_text(f"plugin: netraven.core.devices\nsource: {devices}\n")
    result = run_playbook(playbook_env(ansible_env, tmp_path), inv, tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert "no device matched 'all'" in " ".join(out.split())
