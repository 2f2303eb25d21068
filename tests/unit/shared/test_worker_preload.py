"""What the action plugins load before ansible-core forks its workers, and what a worker does first.

- The PostgreSQL driver (psycopg) is imported with the action plugin, in the main process, only
  when the environment or ansible.cfg names a PostgreSQL metrics store; an SQLite store (the
  default) never loads it (about 0.09 s of a 20-device backup, bench/README.md P8). A store named
  only by a variable loads the driver in the worker that opens it.
- ``freeze_inherited_heap`` freezes the garbage collector's view of the inherited objects in a
  forked child only, never in the process that calls the plugin directly (a test, ansible-test).

Each case runs in a fresh interpreter through Ansible's own plugin loader.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT.parents[2] if ROOT.parent.name == "netraven" else ROOT / "build" / "collections"

CHILD = """
import json, sys
from ansible.plugins.loader import init_plugin_loader, action_loader
init_plugin_loader([sys.argv[1]])
action_loader.get(sys.argv[2], class_only=True)
from ansible_collections.netraven.core.plugins.module_utils import _metrics_store_sql
before = "psycopg" in sys.modules
opened = None
if len(sys.argv) > 3:  # open the store the worker way (the URL a variable would give)
    from ansible_collections.netraven.core.plugins.module_utils import _metrics_store
    try:
        _metrics_store.open_store(sys.argv[3]).close()
        opened = True
    except _metrics_store.MetricsStoreError:
        opened = False
print(json.dumps({"psycopg_at_import": before, "psycopg_after_open": "psycopg" in sys.modules, "opened": opened}))
"""

FREEZE = """
import gc, json, multiprocessing, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([sys.argv[1]])
from ansible_collections.netraven.core.plugins.plugin_utils import _device_task

def child(queue):
    queue.put((_device_task.freeze_inherited_heap(), gc.get_freeze_count() > 0))

if __name__ == "__main__":
    here = (_device_task.freeze_inherited_heap(), gc.get_freeze_count())
    ctx = multiprocessing.get_context("fork")  # what ansible-core's WorkerProcess uses
    queue = ctx.SimpleQueue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    proc.join(60)
    print(json.dumps({"here": here, "child": queue.get()}))
"""


def _child(code: str, *args: str, **env: str) -> dict:
    full = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), PYTHONPATH=os.pathsep.join(p for p in sys.path if p), **env)
    full.pop("NETRAVEN_METRICS_STORE", None)
    full.update(env)
    proc = subprocess.run([sys.executable, "-c", code, str(COLLECTIONS), *args], env=full, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("action", ["netraven.core.fetch_config", "netraven.core.cli_command"])
def test_default_and_sqlite_stores_never_import_psycopg(action: str, tmp_path: Path) -> None:
    assert _child(CHILD, action)["psycopg_at_import"] is False
    got = _child(CHILD, action, f"sqlite:///{tmp_path / 'm.db'}", NETRAVEN_METRICS_STORE=f"sqlite:///{tmp_path / 'm.db'}")
    assert got == {"psycopg_at_import": False, "psycopg_after_open": False, "opened": True}


def test_postgresql_store_from_the_environment_preloads_the_driver() -> None:
    pytest.importorskip("psycopg")
    got = _child(CHILD, "netraven.core.fetch_config", NETRAVEN_METRICS_STORE="postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    assert got["psycopg_at_import"] is True


def test_postgresql_store_from_ansible_cfg_preloads_the_driver(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[netraven]\nmetrics_store = postgresql://nobody@127.0.0.1:1/none?connect_timeout=1\n", encoding="utf-8")
    assert _child(CHILD, "netraven.core.cli_command", ANSIBLE_CONFIG=str(cfg))["psycopg_at_import"] is True


def test_postgresql_store_from_a_variable_loads_the_driver_when_opened() -> None:
    pytest.importorskip("psycopg")
    got = _child(CHILD, "netraven.core.fetch_config", "postgresql://127.0.0.1:5432/test")
    assert got["psycopg_at_import"] is False
    assert got["psycopg_after_open"] is True
    assert got["opened"] is True, "PostgreSQL on 127.0.0.1:5432 (database test) must be running for this test"


def test_freeze_inherited_heap_only_in_a_forked_child() -> None:
    got = _child(FREEZE)
    assert got["here"] == [False, 0]
    assert got["child"] == [True, True]
