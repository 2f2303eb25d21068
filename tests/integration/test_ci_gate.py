"""The PostgreSQL fixture really reaches the server (and CI refuses to skip it)."""
from __future__ import annotations

import pytest


@pytest.mark.postgres
def test_pg_schema_is_isolated(pg_dsn: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_dsn) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        assert schema.startswith("t_")
        conn.execute("CREATE TABLE probe (x int)")
        conn.execute("INSERT INTO probe VALUES (1)")
        assert conn.execute("SELECT count(*) FROM probe").fetchone()[0] == 1
