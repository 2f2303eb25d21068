"""The credential field table (module_utils/_credential.py FIELDS) is the one description of a
credential: the modules' argument spec, the doc fragment, the lookup's documented return and the
secret handling all follow it, so adding a field is one table line plus its docs (issue 13)."""
from __future__ import annotations

import yaml

from ansible_collections.netraven.core.plugins.doc_fragments.credential_loop import ModuleDocFragment
from ansible_collections.netraven.core.plugins.lookup import credentials as credentials_lookup
from ansible_collections.netraven.core.plugins.module_utils import _cli_command, _credential


def test_the_argument_spec_is_the_table() -> None:
    spec = _credential.argument_spec()
    assert list(spec) == list(_credential.NAMES)
    assert {name for name, entry in spec.items() if entry.get("no_log")} == set(_credential.SECRETS) == {"password", "enable_secret"}
    assert _cli_command.argument_spec()["credentials"]["options"] == spec


def test_the_doc_fragment_documents_each_field_with_its_type() -> None:
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["credentials"]["suboptions"]
    spec = _credential.argument_spec()
    assert list(documented) == list(spec)
    assert {name: doc["type"] for name, doc in documented.items()} == {name: entry["type"] for name, entry in spec.items()}
    for name in _credential.SECRETS:
        assert "Never returned, logged or stored" in documented[name]["description"], name


def test_the_lookup_documents_each_field_it_accepts_and_returns() -> None:
    description = " ".join(yaml.safe_load(credentials_lookup.DOCUMENTATION)["description"])
    assert all(f"C({name})" in description for name in _credential.INPUT_NAMES), description
    returned = yaml.safe_load(credentials_lookup.RETURN)["_raw"]["contains"]
    assert set(returned) == set(_credential.NAMES), sorted(returned)


def test_public_view_and_secrets_follow_the_flags() -> None:
    credential = {"name": "c", "username": "u", "password": "Canary-table-9f3", "enable_secret": "Canary-enable-9f3",
                  "ssh_key_file": "/k", "tags": ["x"]}
    assert _credential.public_view(credential) == {"name": "c", "username": "u", "priority": _credential.DEFAULT_PRIORITY}
    assert _credential.secrets_of([credential]) == ["Canary-enable-9f3", "Canary-table-9f3"]
    assert _credential.lacks_login_material({"name": "c", "password": "", "ssh_key_file": None})
