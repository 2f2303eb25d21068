"""Fixtures for the credentials lookup tests: a NetRaven-shaped world of devices and credentials.

Devices are tagged by site, vendor and role the way NetRaven tags them; the three credentials
are NetRaven's documented example (cisco_admin 10, juniper_admin 20, backup_admin 30).
"""
from __future__ import annotations

import copy

import pytest

NETRAVEN_DEVICES = {
    "nyc-core-01": ["site-nyc", "cisco", "core"],
    "nyc-edge-01": ["site-nyc", "juniper", "edge"],
    "lon-core-01": ["site-lon", "cisco", "core"],
    "lon-fw-01": ["site-lon", "paloalto", "firewall"],
}

NETRAVEN_CREDENTIALS = [
    {"name": "backup_admin", "username": "backup", "ssh_key_file": "/keys/backup", "priority": 30, "tags": ["default"]},
    {"name": "juniper_admin", "username": "jadmin", "password": "Canary-juniper-9f3", "priority": 20, "tags": ["juniper"]},
    {"name": "cisco_admin", "username": "cadmin", "password": "Canary-cisco-9f3", "enable_secret": "Canary-enable-9f3",
     "priority": 10, "tags": ["cisco"]},
]


@pytest.fixture
def netraven_devices() -> dict[str, list[str]]:
    """Device name -> tags (site, vendor, role), without the default tag."""
    return copy.deepcopy(NETRAVEN_DEVICES)


@pytest.fixture
def netraven_credentials() -> list[dict]:
    """A fresh copy of the raw credential list (deliberately not in priority order)."""
    return copy.deepcopy(NETRAVEN_CREDENTIALS)
