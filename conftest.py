"""Repository-wide pytest setup: make ``ansible_collections.netraven.core`` importable.

`make setup` links the checkout to build/collections/ansible_collections/netraven/core;
this puts that folder first on sys.path and in ANSIBLE_COLLECTIONS_PATH so that unit tests,
and the Ansible processes the integration tests start, load the working tree.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
COLLECTIONS = ROOT / "build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "netraven" / "core"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT)

os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS)

# Ansible's collection finder, installed once before any test imports the collection, serves
# ``ansible_collections.netraven.core`` to unit tests exactly as in a play (doc fragments,
# collection metadata, plugin loaders).
from ansible.plugins.loader import init_plugin_loader  # noqa: E402 pylint: disable=wrong-import-position

init_plugin_loader([str(COLLECTIONS)])
os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))

# The device lab (lab/): the `lab` fixture for every test in the repository.
pytest_plugins = ["lab.pytest_plugin"]
