"""`ansible-playbook netraven.core.credential_report` on its own, over a real SQLite store."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store


def test_report_playbook_reads_the_store(tmp_path, ansible_env):
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    with open_store(url) as store:
        for device, credential, outcome in [
            ("sw1", "tacacs", "success"), ("sw2", "tacacs", "auth_rejected"), ("sw2", "old-local", "auth_rejected"),
            ("sw3", "tacacs", "unreachable"), ("sw4", "old-local", "auth_rejected"), ("sw4", "tacacs", "success"),
        ]:
            store.record_attempt(device, credential, outcome, 12)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.credential_report",
           "-e", f"credential_report_metrics_store={url}", "-e", f"credential_report_dir={tmp_path / 'out'}",
           "-e", '{"credential_report_known_credentials": ["tacacs", "old-local", "spare"]}']
    run = subprocess.run(cmd, cwd=tmp_path, env=ansible_env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    creds = {c["name"]: c for c in report["credentials"]}
    assert (creds["tacacs"]["attempts"], creds["tacacs"]["successes"], creds["tacacs"]["failures"]) == (3, 2, 1)
    assert creds["old-local"]["flags"] == ["never_successful"]
    assert creds["spare"]["flags"] == ["never_attempted"] and creds["spare"]["attempts"] == 0
    assert report["summary"]["no_credential_works"] == ["sw2"]  # sw3 is unreachable, sw4 worked with tacacs
    assert report["summary"]["run_attempts"] is None  # no run facts: the report ran on its own
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert markdown.startswith("# Credential report\n\nGenerated 20") and "by the role netraven.core.credential_report.\n" in markdown
    assert re.search(r"^\| old-local \| 2 \| 0 \| 2 \| 0 \| 0\.00 \| - \| 20\S+ \| 2 / 2 \| never_successful \|$", markdown, re.M)
    assert "- Devices where no credential works: sw2" in markdown
    assert "devices where no credential works: sw2" in run.stdout
    assert any(line.split()[:4] == ["tacacs", "3", "2", "1"] for line in run.stdout.replace('"', "").splitlines()
               if line.strip().startswith("tacacs"))
