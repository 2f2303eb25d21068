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


def _cells(row: str) -> list[str]:
    """A Markdown table row's cells: split on | that are not backslash-escaped (GFM tables)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_list_variables_as_strings_and_markdown_escaping(tmp_path, ansible_env):
    """New-user trial 2 (issue 18 B, C, D): list variables given as -e key=a,b strings are split on
    commas (not iterated as characters); names with | < > _ stay one Markdown cell; the
    credential table says which columns count logins and which count every outcome."""
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    with open_store(url) as store:
        for device, credential, outcome in [
            ("pipe|name", "c<i>1|x", "auth_rejected"), ("pipe|name", "tacacs", "auth_rejected"),
            ("sw1", "tacacs", "success"), ("sw3", "tacacs", "unreachable"), ("sw3", "tacacs", "unreachable"),
        ]:
            store.record_attempt(device, credential, outcome, 12)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.credential_report",
           "-e", f"credential_report_metrics_store={url}", "-e", f"credential_report_dir={tmp_path / 'out'}",
           "-e", "credential_report_fail_on=no_credential_works",
           "-e", "credential_report_known_credentials=tacacs,c<i>1|x,spare",
           "-e", "credential_report_hosts=localhost", "-e", "credential_report_inventory_hosts=localhost",
           "-e", "credential_report_coverage_by=groups"]
    run = subprocess.run(cmd, cwd=tmp_path, env=ansible_env, capture_output=True, text=True, timeout=120, check=False)
    out = run.stdout + run.stderr
    # The gate read one flag, not the characters n, o, _ ...; it fails the play after writing the reports.
    assert run.returncode == 2, out[-3000:]
    assert "unknown fail_on flag" not in out
    assert "credential report: no_credential_works (1 device: pipe|name)" in out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert sorted(c["name"] for c in report["credentials"]) == ["c<i>1|x", "spare", "tacacs"]  # no phantom a, c, s, t
    assert report["summary"]["never_attempted"] == ["spare"]
    assert report["gate"]["fail_on"] == ["no_credential_works"]
    markdown = (tmp_path / "out" / "report.md").read_text()
    lines = markdown.splitlines()
    cred_header = next(line for line in lines if line.startswith("| credential |"))
    columns = len(_cells(cred_header))
    body = lines[lines.index(cred_header) + 2:]
    body = body[:next(i for i, line in enumerate(body) if not line.startswith("|"))]
    cred_rows = {_cells(line)[0]: _cells(line) for line in body}
    assert "c\\<i\\>1\\|x" in cred_rows and len(cred_rows["c\\<i\\>1\\|x"]) == columns
    assert all(len(cells) == columns for cells in cred_rows.values())
    dev_header = next(line for line in lines if line.startswith("| device |"))
    dev_row = next(line for line in lines if line.startswith("| pipe"))
    assert dev_row.startswith("| pipe\\|name | ") and len(_cells(dev_row)) == len(_cells(dev_header))
    assert "- Devices where no credential works: pipe\\|name" in markdown
    assert "<i>" not in markdown  # the name is text, never HTML
    # D: tacacs has 2 counted logins but 4 attempts of every outcome in the window; the table says so.
    assert cred_rows["tacacs"][1] == "2" and cred_rows["tacacs"][8] == "4 / 1"
    assert "attempts (logins)" in cred_header and "all outcomes: attempts / failures" in cred_header
    assert "counts attempts of every outcome" in markdown
