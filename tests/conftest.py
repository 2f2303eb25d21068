"""Fixtures shared by unit and integration tests.

- ``repo_root``: the checkout (Path).
- ``ansible_env``: an environment dict for subprocesses running ansible-* commands from the venv.
- ``store_url``: a fresh metrics store URL, parametrized over sqlite, json and postgresql.
- ``pg_dsn``: a PostgreSQL DSN whose ``search_path`` is a fresh schema dropped after the test.
  The server comes from ``NETRAVEN_TEST_PG_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
  Unreachable server: skip with the reason on a laptop, fail under ``CI=true``.
"""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository (= collection) root."""
    return REPO_ROOT


@pytest.fixture(autouse=True)
def _isolated_default_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``$XDG_DATA_HOME`` at a fresh folder so no test reads or writes the user's default
    metrics store (``~/.local/share/netraven/metrics.db``); unset ``NETRAVEN_METRICS_STORE``."""
    data_home = tmp_path_factory.mktemp("xdg-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.delenv("NETRAVEN_METRICS_STORE", raising=False)
    return data_home


@pytest.fixture
def ansible_env(tmp_path: Path) -> dict[str, str]:
    """Environment for ansible-playbook/ansible-inventory/ansible-doc subprocesses.

    PATH starts with the interpreter's bin folder (the venv), the collection is found through
    the repo's ansible.cfg, and the local temp/fact folders live under ``tmp_path``.
    """
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_CONFIG"] = str(REPO_ROOT / "ansible.cfg")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(REPO_ROOT / "build" / "collections")
    env["ANSIBLE_LOCAL_TEMP"] = str(tmp_path / "ansible-local")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    return env


def _pg_server_dsn() -> str:
    return os.environ.get("NETRAVEN_TEST_PG_DSN", PG_DEFAULT_DSN)


@pytest.fixture
def pg_dsn():
    """Yield a DSN on the test server whose search_path is a new, empty schema.

    Errors: skips (laptop) or fails (``CI=true``) when psycopg is missing or the server
    does not answer within 5 seconds.
    """
    base = _pg_server_dsn()
    try:
        import psycopg

        conn = psycopg.connect(base, connect_timeout=5, autocommit=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        reason = f"PostgreSQL not reachable at {base}: {exc.__class__.__name__}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    schema = "t_" + uuid.uuid4().hex[:12]
    with conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


STORE_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("json", id="json"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=STORE_BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty metrics store that lives as long as the test, once per backend
    (PostgreSQL through ``pg_dsn``: a fresh schema on the real server)."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path}/metrics.db"
    if request.param == "json":
        return f"json://{tmp_path}/metrics.json"
    return request.getfixturevalue("pg_dsn")
