"""Repository-wide pytest setup: make ``ansible_collections.netraven.core`` importable.

`make setup` links the checkout to build/collections/ansible_collections/netraven/core;
this puts that folder first on sys.path and in ANSIBLE_COLLECTIONS_PATH so that unit tests,
and the Ansible processes the integration tests start, load the working tree.

When the checkout already sits at ``.../ansible_collections/netraven/core`` (as ``ansible-test units``
needs it: ``make units`` copies the tree there), ansible-test's own pytest plugin has set up the
collection loader for that tree, and this file leaves sys.path and the environment alone.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
COLLECTIONS = ROOT / "build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "netraven" / "core"

IN_COLLECTION_TREE = (ROOT.parent.name, ROOT.parent.parent.name) == ("netraven", "ansible_collections")

if not IN_COLLECTION_TREE:
    if not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        LINK.symlink_to(ROOT)
    sys.path.insert(0, str(COLLECTIONS))
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS)
os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))

# The device lab (lab/): the `lab` fixture for every test in the repository.
pytest_plugins = ["lab.pytest_plugin"]
