"""Fixtures for the metrics store tests: one fresh store URL per backend.

``store_url`` is parametrized over sqlite, json and postgresql (the last through the
``pg_dsn`` fixture of tests/conftest.py: a fresh schema on the real server).
"""
from __future__ import annotations

from pathlib import Path

import pytest

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("json", id="json"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def make_store_url(kind: str, tmp_path: Path, request) -> str:
    """A URL of an empty store of ``kind`` that lives as long as the test."""
    if kind == "sqlite":
        return f"sqlite://{tmp_path}/metrics.db"
    if kind == "json":
        return f"json://{tmp_path}/metrics.json"
    return request.getfixturevalue("pg_dsn")


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path: Path) -> str:
    """A fresh store URL, once per backend."""
    return make_store_url(request.param, tmp_path, request)
