# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared documentation of the ``metrics_store`` option (lookups that read or write credential metrics)."""
from __future__ import annotations


class ModuleDocFragment:
    """``extends_documentation_fragment: netraven.core.metrics_store``."""

    DOCUMENTATION = r"""
options:
  metrics_store:
    description:
      - Where credential metrics live, as one URL.
      - V(sqlite:///abs/path/metrics.db) for an SQLite file (WAL mode; safe for many forks on one host),
        V(json:///abs/path/metrics.json) for a JSON file (small setups; every write rewrites the file under a lock),
        V(postgresql://user@host:port/dbname) for PostgreSQL (several controllers or AWX nodes; needs the Python
        package C(psycopg) 3; libpq parameters such as C(sslmode) or C(options=-csearch_path%3Dnetraven) go in the query string).
      - The word V(none) turns metrics off. An empty value (for example an empty E(NETRAVEN_METRICS_STORE)) is an error,
        not the default; unset the variable to use ansible.cfg's setting or the default store.
      - When not set, the per-user SQLite file C(~/.local/share/netraven/metrics.db) is used
        (C($XDG_DATA_HOME/netraven/metrics.db) when E(XDG_DATA_HOME) is set).
      - A password in the URL never appears in messages; prefer C(~/.pgpass) or E(PGPASSWORD) over putting it in the URL.
      - The schema and the meaning of every figure are in the collection's guide
        R(Credential metrics store,ansible_collections.netraven.core.docsite.metrics) (C(docs/docsite/rst/metrics.rst) in the collection).
    type: str
    env:
      - name: NETRAVEN_METRICS_STORE
    ini:
      - section: netraven
        key: metrics_store
    vars:
      - name: netraven_metrics_store
"""
