"""The collection's filter files load without their heavy helpers (bench/README.md, P8).

ansible-core loads every filter file of a collection when a template uses any one of its filters
(ansible-core 2.19: ``netraven.core.option_list`` in a role default loads ``credential_report``,
``credential_report_html`` and ``redact_config`` too), in each worker that templates it. So each
filter file imports its helper (the report model, the HTML page, the redaction rules and through
them the metrics store) when the filter is called, not when the file is loaded. Checked in a fresh
interpreter through Ansible's own templating.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT.parents[2] if ROOT.parent.name == "netraven" else ROOT / "build" / "collections"

CHILD = """
import json, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([sys.argv[1]])
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19: every string is a template
    def trust_as_template(text):
        return text
out = Templar(loader=DataLoader(), variables={}).template(trust_as_template("{{ 'a, b' | netraven.core.option_list }}"))
heavy = sorted(m for m in sys.modules
               if m.rsplit(".", 1)[-1] in ("_report", "_report_html", "_redact", "_metrics_store", "_metrics_store_sql")
               or m.split(".")[0] in ("netmiko", "paramiko", "psycopg"))
print(json.dumps({"out": list(out), "heavy": heavy}))
"""


def test_using_one_filter_imports_no_heavy_helper() -> None:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(COLLECTIONS)], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["out"] == ["a", "b"]
    assert got["heavy"] == []
