"""Unit tests of the lookup plugin itself, run through Ansible's real plugin loader, DataLoader and Templar.

What needs a real vault-enabled playbook run (inline !vault values, the -vvvv output) is in
tests/integration/lookup/test_lookup_credentials_playbook.py.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultSecret
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar
from ansible.utils.unsafe_proxy import AnsibleUnsafe, wrap_var

try:  # ansible-core >= 2.19 (data tagging): a string is data unless trusted as a template
    from ansible.template import is_trusted_as_template, trust_as_template
    DATA_TAGGING = True
except ImportError:  # ansible-core < 2.19: every string is a template unless marked unsafe
    DATA_TAGGING = False

    def trust_as_template(value: str) -> str:
        """Before 2.19 a plain string already is a template."""
        return value

    def is_trusted_as_template(value) -> bool:
        """Before 2.19 a string is a template unless it is marked unsafe."""
        return not isinstance(value, AnsibleUnsafe)


def as_data(value: str) -> str:
    """``value`` as a play holds a string that is not a template (plain on 2.19, marked unsafe before)."""
    return value if DATA_TAGGING else wrap_var(value)


CANARY = "Canary-lookup-9f3"
LOOKUP = "netraven.core.credentials"

# Loaded by Ansible's plugin loader through the collection finder (installed by the root conftest), so
# that DOCUMENTATION, with its doc fragments, gives the options exactly as in a play.
_probe = lookup_loader.get(LOOKUP, loader=DataLoader(), templar=Templar(loader=DataLoader()))
credentials_plugin = sys.modules[type(_probe).__module__]


@pytest.fixture
def loader(tmp_path: Path) -> DataLoader:
    data_loader = DataLoader()
    data_loader.set_basedir(str(tmp_path))
    return data_loader


@pytest.fixture
def lookup(loader: DataLoader):
    return lookup_loader.get(LOOKUP, loader=loader, templar=Templar(loader=loader))


@pytest.fixture
def warnings(monkeypatch) -> list[str]:
    """Warnings the lookup shows (the Display itself dedupes repeated messages per process)."""
    seen: list[str] = []
    monkeypatch.setattr(credentials_plugin.display, "warning", lambda msg, *a, **k: seen.append(msg))
    monkeypatch.delenv("NETRAVEN_METRICS_STORE", raising=False)
    monkeypatch.delenv("NETRAVEN_CREDENTIALS_FILE", raising=False)
    return seen


@pytest.fixture
def world(netraven_devices, netraven_credentials, tmp_path: Path) -> dict:
    """Task variables as a play would pass them: the credential list and every host's hostvars.

    backup_admin's key file exists (a missing one is warned about); ``bare`` has no netraven_tags.
    """
    hostvars = {name: {"netraven_tags": tags + ["default"]} for name, tags in netraven_devices.items()}
    hostvars["bare"] = {}
    key = tmp_path / "keys" / "backup"
    key.parent.mkdir()
    key.write_text("not a real key, only its presence is checked\n")
    netraven_credentials[0]["ssh_key_file"] = str(key)
    return {"netraven_credentials": netraven_credentials, "hostvars": hostvars}


def names(result: list[dict]) -> list[str]:
    return [c["name"] for c in result]


def test_one_host_returns_its_ordered_list(lookup, world, warnings) -> None:
    (result,) = lookup.run(["nyc-core-01"], variables=world)
    assert names(result) == ["cisco_admin", "backup_admin"]
    assert result[0] == {"name": "cisco_admin", "username": "cadmin", "password": "Canary-cisco-9f3", "ssh_key_file": None,
                         "enable_secret": "Canary-enable-9f3", "priority": 10, "tags": ["cisco"], "matched_tags": ["cisco"]}
    assert result[1]["password"] is None and result[1]["ssh_key_file"].endswith("/keys/backup")
    assert warnings == []


def test_several_hosts_one_list_each_and_group_lists(lookup, world, warnings) -> None:
    result = lookup.run(["nyc-edge-01", ["lon-fw-01", "bare"]], variables=world)
    assert [names(r) for r in result] == [["juniper_admin", "backup_admin"], ["backup_admin"], ["backup_admin"]]


def test_explicit_tags_instead_of_a_host(lookup, world, warnings) -> None:
    assert [names(r) for r in lookup.run([], variables=world, tags=["juniper", "cisco"])] == [
        ["cisco_admin", "juniper_admin", "backup_admin"]]
    with pytest.raises(AnsibleLookupError, match="not both"):
        lookup.run(["nyc-core-01"], variables=world, tags=["cisco"])
    with pytest.raises(AnsibleLookupError, match="at least one host"):
        lookup.run([], variables=world)


def test_unknown_host_and_bad_host_tags(lookup, world, warnings) -> None:
    with pytest.raises(AnsibleLookupError, match="unknown host 'ghost'"):
        lookup.run(["ghost"], variables=world)
    world["hostvars"]["bad"] = {"netraven_tags": "cisco"}
    with pytest.raises(AnsibleLookupError, match="host 'bad', variable 'netraven_tags': must be a list"):
        lookup.run(["bad"], variables=world)


def test_missing_empty_or_error(lookup, world, warnings) -> None:
    world["netraven_credentials"] = [c for c in world["netraven_credentials"] if c["name"] == "cisco_admin"]
    assert lookup.run(["lon-fw-01"], variables=world) == [[]]
    with pytest.raises(AnsibleLookupError, match=r"no credential matches host 'lon-fw-01' \(tags \['site-lon', 'paloalto'"):
        lookup.run(["lon-fw-01"], variables=world, missing="error")


def test_default_tag_option(lookup, world, warnings) -> None:
    world["hostvars"]["bare"] = {}
    world["netraven_credentials"].append({"name": "all_of_them", "username": "u", "password": "p", "tags": ["all"]})
    assert names(lookup.run(["bare"], variables=world, default_tag="all")[0]) == ["all_of_them"]


def test_credentials_var_renamed_templated_and_undefined(lookup, world, warnings) -> None:
    world["my_creds"] = trust_as_template("{{ netraven_credentials }}")  # an indirection, as group_vars often hold
    del world["hostvars"]["bare"]
    lookup._templar.available_variables = world
    assert names(lookup.run(["lon-core-01"], variables=world, credentials_var="my_creds")[0]) == ["cisco_admin", "backup_admin"]
    with pytest.raises(AnsibleLookupError, match="variable 'nope' is not defined"):
        lookup.run(["lon-core-01"], variables=world, credentials_var="nope")


def test_returned_strings_are_unsafe_and_byte_exact(lookup, world, warnings) -> None:
    tricky = "{{ lookup('pipe','id') }} p{{x}} a{%b {# c #} $HOME 100% 'q' \"d\" ünï"
    world["netraven_credentials"] = [{"name": trust_as_template("weird"), "username": "u", "password": as_data(tricky),
                                      "enable_secret": as_data(tricky), "tags": ["default"]}]
    (result,) = lookup.run(["bare"], variables=world)
    assert result[0]["password"] == tricky and result[0]["enable_secret"] == tricky
    for value in (result[0]["name"], result[0]["password"], result[0]["username"], *result[0]["tags"]):
        assert not is_trusted_as_template(value)
    assert lookup._templar.template(result[0]["password"]) == tricky  # never rendered by a later template


def test_bad_credentials_are_lookup_errors_without_secrets(lookup, world, warnings) -> None:
    world["netraven_credentials"][2]["priority"] = "high"
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(["nyc-core-01"], variables=world)
    text = str(info.value)
    assert "variable 'netraven_credentials'" in text and "credential 'cisco_admin', field 'priority'" in text
    assert "Canary" not in text

    world["netraven_credentials"][2]["priority"] = 10
    world["netraven_credentials"].append(dict(world["netraven_credentials"][0]))
    with pytest.raises(AnsibleLookupError, match="'backup_admin', field 'name': duplicate name") as info:
        lookup.run(["nyc-core-01"], variables=world)


def test_undecrypted_vault_text_is_an_error(lookup, world, warnings) -> None:
    world["netraven_credentials"][2]["password"] = "$ANSIBLE_VAULT;1.1;AES256\n6132383733363032350a62333362313838"
    with pytest.raises(AnsibleLookupError, match="credential 'cisco_admin', field 'password' .*still vault-encrypted") as info:
        lookup.run(["nyc-core-01"], variables=world)
    assert "6132383733" not in str(info.value)
    # a credential that does not match the host is not touched
    assert names(lookup.run(["nyc-edge-01"], variables=world)[0]) == ["juniper_admin", "backup_admin"]


# -- credentials_file --------------------------------------------------------------------------------

def write(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("shape", ["list", "mapping"])
def test_credentials_file_shapes(lookup, world, warnings, tmp_path: Path, shape: str) -> None:
    creds = world.pop("netraven_credentials")
    write(tmp_path / "creds.yml", creds if shape == "list" else {"netraven_credentials": creds, "other": 1})
    # relative to the playbook directory (the loader's basedir)
    assert names(lookup.run(["nyc-edge-01"], variables=world, credentials_file="creds.yml")[0]) == ["juniper_admin", "backup_admin"]


def test_credentials_file_values_are_never_templates(lookup, world, warnings, tmp_path: Path) -> None:
    """On every ansible-core: before 2.19 a loaded string is a template unless marked unsafe."""
    tricky = "p{{x}}%$ {{ lookup('pipe','id') }} {% if %}"
    write(tmp_path / "creds.yml", [{"name": "n{{x}}", "username": "u{{x}}", "password": tricky, "tags": ["default"]}])
    (result,) = lookup.run(["bare"], variables=world, credentials_file=str(tmp_path / "creds.yml"))
    assert (result[0]["name"], result[0]["username"], result[0]["password"]) == ("n{{x}}", "u{{x}}", tricky)
    assert not any(is_trusted_as_template(result[0][key]) for key in ("name", "username", "password"))


def test_credentials_file_from_environment_wins_over_the_variable(lookup, world, warnings, tmp_path: Path, monkeypatch) -> None:
    write(tmp_path / "awx.yml", [{"name": "from_file", "username": "u", "password": CANARY, "tags": ["default"]}])
    monkeypatch.setenv("NETRAVEN_CREDENTIALS_FILE", str(tmp_path / "awx.yml"))
    assert names(lookup.run(["nyc-core-01"], variables=world)[0]) == ["from_file"]


def test_vault_encrypted_credentials_file(lookup, world, warnings, tmp_path: Path, loader: DataLoader, ansible_env) -> None:
    path = write(tmp_path / "vaulted.yml", [{"name": "vaulted", "username": "u", "password": CANARY + " p{{x}}", "tags": ["cisco"]}])
    (tmp_path / "pw").write_text("unit-vault-pw\n")
    subprocess.run(["ansible-vault", "encrypt", "--vault-password-file", str(tmp_path / "pw"), str(path)],
                   check=True, env=ansible_env, capture_output=True)
    assert path.read_text().startswith("$ANSIBLE_VAULT")
    with pytest.raises(AnsibleLookupError, match=r"cannot read credentials_file .*vaulted.yml"):
        lookup.run(["nyc-core-01"], variables=world, credentials_file=str(path))
    loader.set_vault_secrets([("default", VaultSecret(b"unit-vault-pw"))])
    (result,) = lookup.run(["nyc-core-01"], variables=world, credentials_file=str(path))
    assert result[0]["password"] == CANARY + " p{{x}}"
    assert loader._tempfiles == set()  # decrypted in memory (or the temporary copy removed at once)


@pytest.mark.parametrize("content, words", [
    ("", "is empty"),
    ("other: []\n", "mapping with the key 'netraven_credentials'"),
    ("- name: a\n  password: '%s\n  bad: [\n" % CANARY, "cannot read credentials_file"),
    ("- name: a\n  username: u\n  password: %s\n  tags: oops\n" % CANARY, "field 'tags'"),
])
def test_bad_credentials_files(lookup, world, warnings, tmp_path: Path, content: str, words: str) -> None:
    (tmp_path / "bad.yml").write_text(content)
    with pytest.raises(AnsibleLookupError, match=words) as info:
        lookup.run(["nyc-core-01"], variables=world, credentials_file=str(tmp_path / "bad.yml"))
    assert "bad.yml" in str(info.value) and CANARY not in str(info.value)


def test_missing_credentials_file(lookup, world, warnings, tmp_path: Path) -> None:
    with pytest.raises(AnsibleLookupError, match="credentials_file .*absent.yml not found"):
        lookup.run(["nyc-core-01"], variables=world, credentials_file=str(tmp_path / "absent.yml"))


# -- order and the metrics store ---------------------------------------------------------------------

def test_priority_is_the_default_without_a_store(lookup, world, warnings) -> None:
    assert names(lookup.run(["nyc-core-01"], variables=world)[0]) == ["cisco_admin", "backup_admin"]
    assert names(lookup.run(["nyc-core-01"], variables=world, metrics_store="none")[0]) == ["cisco_admin", "backup_admin"]
    assert warnings == []


def test_missing_store_file_is_the_first_run_not_a_warning(lookup, world, warnings, tmp_path: Path) -> None:
    missing = "sqlite:///%s" % (tmp_path / "not-yet" / "metrics.db")
    assert names(lookup.run(["nyc-core-01"], variables=world, metrics_store=missing)[0]) == ["cisco_admin", "backup_admin"]
    assert warnings == []


def test_learned_from_the_default_store_when_none_is_configured(lookup, world, warnings) -> None:
    """Unset metrics_store = the per-user default store (under $XDG_DATA_HOME), which the module records to."""
    from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

    with open_store(None) as store:  # the autouse fixture points $XDG_DATA_HOME at a fresh folder
        store.record_attempt("nyc-core-01", "backup_admin", "success", 12)
    assert names(lookup.run(["nyc-core-01"], variables=world)[0]) == ["backup_admin", "cisco_admin"]
    assert names(lookup.run(["nyc-core-01"], variables=world, metrics_store="none")[0]) == ["cisco_admin", "backup_admin"]
    assert warnings == []


def test_unreadable_store_warns_and_falls_back_to_priority(lookup, world, warnings, tmp_path: Path, monkeypatch) -> None:
    unreadable = tmp_path / "metrics.json"
    unreadable.mkdir()  # a folder where the store file should be: exists, cannot be read
    monkeypatch.setenv("NETRAVEN_METRICS_STORE", "json://%s" % unreadable)  # a configured store: learned is the default
    assert names(lookup.run(["nyc-core-01"], variables=world)[0]) == ["cisco_admin", "backup_admin"]
    assert len(warnings) == 1 and "using priority order" in warnings[0]


def test_learned_with_store_disabled_warns(lookup, world, warnings) -> None:
    assert names(lookup.run(["nyc-core-01"], variables=world, order="learned", metrics_store="none")[0]) == ["cisco_admin", "backup_admin"]
    assert "metrics_store is none" in warnings[0]


def test_learned_order_uses_each_hosts_last_working_credential(lookup, world, warnings, monkeypatch) -> None:
    """The lookup's wiring, with the store's answer injected (the real store: integration test)."""
    asked = []

    def last_working(url, devices):
        asked.append((url, devices))
        return {"nyc-core-01": "backup_admin", "nyc-edge-01": "cisco_admin"}

    monkeypatch.setattr(credentials_plugin, "last_working_names", last_working)
    result = lookup.run(["nyc-core-01", "nyc-edge-01", "lon-core-01"], variables=world, metrics_store="sqlite:///tmp/x.db")
    assert [names(r) for r in result] == [["backup_admin", "cisco_admin"], ["juniper_admin", "backup_admin"], ["cisco_admin", "backup_admin"]]
    assert asked == [("sqlite:///tmp/x.db", ["nyc-core-01", "nyc-edge-01", "lon-core-01"])]
    # an explicit order=priority never asks the store
    lookup.run(["nyc-core-01"], variables=world, metrics_store="sqlite:///tmp/x.db", order="priority")
    assert len(asked) == 1


def test_redact_url() -> None:  # what the learned-order warnings name a store by
    from ansible_collections.netraven.core.plugins.module_utils._metrics_store import redact_url
    assert redact_url("postgresql://nr:Canary-pg-9f3@db:5432/x") == "postgresql://nr@db:5432/x"
    assert redact_url("sqlite:///a/b.db") == "sqlite:///a/b.db"


def test_template_errors_name_the_field_not_the_value(lookup, world, warnings) -> None:
    world["netraven_credentials"][2]["password"] = trust_as_template("Canary-tpl-9f3 {{ undefined_thing }}")
    world["netraven_credentials"][0]["tags"] = trust_as_template("{{ also_undefined }}")
    with pytest.raises(AnsibleLookupError, match=r"credential #0, field 'tags': cannot render it") as info:
        lookup.run(["nyc-core-01"], variables=world)
    world["netraven_credentials"][0]["tags"] = ["default"]
    with pytest.raises(AnsibleLookupError, match=r"credential 'cisco_admin', field 'password' \(for host 'nyc-core-01'\): cannot render") as info:
        lookup.run(["nyc-core-01"], variables=world)
    assert "Canary" not in str(info.value) and "undefined_thing" not in str(info.value)
    # the broken credential does not match a Juniper box: its password is never rendered
    assert names(lookup.run(["nyc-edge-01"], variables=world)[0]) == ["juniper_admin", "backup_admin"]


def test_credentials_file_from_a_variable(lookup, world, warnings, tmp_path: Path) -> None:
    write(tmp_path / "vars-file.yml", {"netraven_credentials": [{"name": "via_var", "username": "u", "ssh_key_file": "/k", "tags": ["cisco"]}]})
    world["netraven_credentials_file"] = str(tmp_path / "vars-file.yml")
    assert names(lookup.run(["nyc-core-01"], variables=world)[0]) == ["via_var"]


def test_store_from_the_netraven_metrics_store_variable(lookup, world, warnings, tmp_path: Path) -> None:
    (tmp_path / "metrics.json").mkdir()  # unreadable: a folder, not a store file
    world["netraven_metrics_store"] = "json://%s" % (tmp_path / "metrics.json")
    assert names(lookup.run(["nyc-core-01"], variables=world)[0]) == ["cisco_admin", "backup_admin"]
    assert len(warnings) == 1 and "using priority order" in warnings[0]


# -- issue 18: warnings for hosts without tags, tag-less credentials, missing keys; clearer errors ----

def test_hosts_without_netraven_tags_warn_with_one_text_per_run(lookup, world, warnings) -> None:
    """Hosts from another inventory get only the default-tag credentials: say so, in one message
    whose text does not vary per host, so Ansible's Display shows it once per run (item 3)."""
    world["hostvars"]["bare2"] = {}
    assert [names(r) for r in lookup.run(["bare", "bare2"], variables=world)] == [["backup_admin"], ["backup_admin"]]
    lookup.run(["bare2"], variables=world)
    assert len(set(warnings)) == 1 and len(warnings) >= 1
    assert "have no netraven_tags" in warnings[0] and "only the credentials tagged 'default'" in warnings[0]
    assert "bare" not in warnings[0]
    warnings.clear()
    lookup.run(["nyc-core-01"], variables=world)
    assert warnings == []


def test_credential_with_empty_tags_warns(lookup, world, warnings) -> None:
    world["netraven_credentials"].append({"name": "forgotten", "username": "u", "password": CANARY, "tags": []})
    assert names(lookup.run(["nyc-core-01"], variables=world)[0]) == ["cisco_admin", "backup_admin"]
    assert warnings == ["netraven.core.credentials: credential 'forgotten' has tags: [] and so matches no device; "
                        "give it [default] to match every device"]


def test_missing_or_unreadable_ssh_key_file_warns_naming_credential_and_path(lookup, world, warnings, tmp_path: Path) -> None:
    missing = tmp_path / "keys" / "gone"
    world["netraven_credentials"][0]["ssh_key_file"] = str(missing)
    world["netraven_credentials"][2]["ssh_key_file"] = str(tmp_path)  # a folder: unreadable as a key
    result = lookup.run(["nyc-core-01"], variables=world)[0]
    assert names(result) == ["cisco_admin", "backup_admin"]  # still returned: the password, if any, may work
    assert sorted(warnings) == sorted([
        "netraven.core.credentials: credential 'backup_admin': ssh_key_file %s does not exist on the controller" % missing,
        "netraven.core.credentials: credential 'cisco_admin': ssh_key_file %s is not a readable file on the controller" % tmp_path,
    ])
    assert not any(CANARY in w or "Canary" in w for w in warnings)


def test_type_errors_say_int_string_mapping(lookup, world, warnings, loader: DataLoader, tmp_path: Path) -> None:
    """Variables Ansible parsed are _AnsibleTagged* values; errors name plain types (item 8)."""
    parsed = loader.load("netraven_credentials:\n  - {name: a, username: u, password: p, priority: high, tags: [default]}\n"
                         "  - {name: b, username: 5, password: p, tags: [default]}\n  - {name: c, username: u, password: p, tags: 'core, dc1'}\n"
                         "other: {name: a}\n", file_name=str(tmp_path / "group_vars.yml"))
    for creds, words in ((parsed["netraven_credentials"][:1], "field 'priority': must be an integer, got string"),
                         (parsed["netraven_credentials"][1:2], "field 'username': must be a string, got int"),
                         (parsed["netraven_credentials"][2:], "field 'tags': must be a list of tag names, got a string"),
                         (parsed["other"], "credentials must be a list of mappings, got mapping")):
        world["netraven_credentials"] = creds
        with pytest.raises(AnsibleLookupError) as info:
            lookup.run(["nyc-core-01"], variables=world)
        assert words in str(info.value) and "Tagged" not in str(info.value)
    with pytest.raises(AnsibleLookupError, match="host names must be non-empty strings, got int$"):
        lookup.run([parsed["netraven_credentials"][1]["username"]], variables=world)


def test_missing_relative_credentials_file_says_where_it_looked(lookup, world, warnings, tmp_path: Path) -> None:
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(["nyc-core-01"], variables=world, credentials_file="secret/creds.yml")
    text = str(info.value)
    assert "credentials_file secret/creds.yml not found; looked for %s, %s" % (
        tmp_path / "files" / "secret" / "creds.yml", tmp_path / "secret" / "creds.yml") in text
    assert "remote_src" not in text and "Unable to retrieve" not in text
    with pytest.raises(AnsibleLookupError, match="credentials_file %s not found$" % (tmp_path / "absent.yml")):
        lookup.run(["nyc-core-01"], variables=world, credentials_file=str(tmp_path / "absent.yml"))


def test_credentials_file_yaml_error_gives_the_line(lookup, world, warnings, tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("- name: a\n  username: u\n  password: '%s\n  tags: [default]\n- name: b\n" % CANARY)
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(["nyc-core-01"], variables=world, credentials_file=str(tmp_path / "bad.yml"))
    text = str(info.value)
    assert "cannot read credentials_file %s: not valid YAML at line 6 column 1" % (tmp_path / "bad.yml") in text
    assert "(the construct starts at line 3)" in text and CANARY not in text
    (tmp_path / "bad.yml").write_text('- name: a\n  username: u\n  password: "Canary\\q-9f3"\n  tags: [default]\n')
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(["nyc-core-01"], variables=world, credentials_file=str(tmp_path / "bad.yml"))
    assert "not valid YAML at line 3 column" in str(info.value) and "'q'" not in str(info.value), str(info.value)


@pytest.mark.parametrize("source", ["option", "env"])
def test_empty_metrics_store_is_an_error_not_the_default_store(lookup, world, warnings, monkeypatch, source: str) -> None:
    """NETRAVEN_METRICS_STORE="" used to mean the default store silently (item 16); now it is reported and
    the lookup falls back to priority order, as for any store it cannot read."""
    from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

    with open_store(None) as store:  # the default store knows a binding that an empty value must not pick up
        store.record_attempt("nyc-core-01", "backup_admin", "success", 12)
    kwargs = {"metrics_store": ""} if source == "option" else {}
    if source == "env":
        monkeypatch.setenv("NETRAVEN_METRICS_STORE", "")
    assert names(lookup.run(["nyc-core-01"], variables=world, **kwargs)[0]) == ["cisco_admin", "backup_admin"]
    assert len(warnings) == 1 and "metrics store URL is empty" in warnings[0] and "using priority order" in warnings[0]


# -- issue 15: tags of hosts from any inventory (tags_vars, tags_from_groups, output=tags) ----------------

def test_tags_vars_first_set_variable_wins(lookup, world, warnings, monkeypatch) -> None:
    """nb_inventory's ``tags`` (slugs) and NetBox/Nautobot tag objects work with tags_vars=[netraven_tags, tags];
    a host with netraven_tags keeps it (the later variable is not read, even when it is malformed)."""
    world["hostvars"]["nb-slugs"] = {"tags": ["juniper", "site-nyc"]}
    world["hostvars"]["nb-objects"] = {"tags": [{"slug": "cisco", "name": "Cisco IOS"}, {"name": "juniper"}]}
    world["hostvars"]["nb-null"] = {"netraven_tags": None, "tags": ["cisco"]}
    world["hostvars"]["both"] = {"netraven_tags": [], "tags": "not read"}
    hosts = ["nb-slugs", "nb-objects", "nb-null", "both", "nyc-core-01"]
    assert [names(r) for r in lookup.run(hosts, variables=world, tags_vars=["netraven_tags", "tags"])] == [
        ["juniper_admin", "backup_admin"], ["cisco_admin", "juniper_admin", "backup_admin"],
        ["cisco_admin", "backup_admin"], ["backup_admin"], ["cisco_admin", "backup_admin"]]
    assert warnings == []
    # default: only netraven_tags is read; the NetBox hosts are untagged and warned about, naming the variable
    assert [names(r) for r in lookup.run(["nb-slugs"], variables=world)] == [["backup_admin"]]
    assert len(warnings) == 1 and "have no netraven_tags" in warnings[0]
    warnings.clear()
    # the variable source (netraven_tags_vars), like the lookup's other options
    world["netraven_tags_vars"] = ["tags"]
    assert names(lookup.run(["nb-slugs"], variables=world)[0]) == ["juniper_admin", "backup_admin"]
    lookup.run(["nyc-core-01"], variables=world)
    assert len(warnings) == 1 and "have no tags" in warnings[0] and "tags_vars" in warnings[0]
    del world["netraven_tags_vars"]
    warnings.clear()
    monkeypatch.setenv("NETRAVEN_TAGS_VARS", "tags")  # the environment source: a comma-separated list
    assert names(lookup.run(["nb-objects"], variables=world)[0]) == ["cisco_admin", "juniper_admin", "backup_admin"]


def test_tags_vars_bad_values_name_host_and_variable(lookup, world, warnings) -> None:
    for value, problem in (("cisco", "must be a list of tag names"), ([{"id": 3}], "item 0 is a mapping without a non-empty slug or name"),
                           (["ok", ""], "item 1 must be a non-empty string or a mapping with slug or name, got an empty string"),
                           ([7], "item 0 must be a non-empty string or a mapping with slug or name, got an int")):
        world["hostvars"]["nb"] = {"tags": value}
        with pytest.raises(AnsibleLookupError) as err:
            lookup.run(["nb"], variables=world, tags_vars=["netraven_tags", "tags"])
        assert "host 'nb', variable 'tags': " + problem in str(err.value)
    with pytest.raises(AnsibleLookupError, match="option tags_vars"):
        lookup.run(["nb"], variables=world, tags_vars=["tags", 3])


def test_tags_from_groups(lookup, world, warnings) -> None:
    """Group names count as tags (added to the variable's tags), ``ungrouped`` never does."""
    world["hostvars"]["grouped"] = {"group_names": ["sites_nyc", "juniper"]}
    world["hostvars"]["lonely"] = {"group_names": ["ungrouped"]}
    world["hostvars"]["mixed"] = {"netraven_tags": ["cisco"], "group_names": ["juniper", "cisco"]}
    result = lookup.run(["grouped", "lonely", "mixed"], variables=world, tags_from_groups=True)
    assert [names(r) for r in result] == [["juniper_admin", "backup_admin"], ["backup_admin"],
                                          ["cisco_admin", "juniper_admin", "backup_admin"]]
    assert result[2][1]["matched_tags"] == ["juniper"]
    assert len(warnings) == 1 and "have no netraven_tags" in warnings[0]  # only 'lonely' has neither
    warnings.clear()
    assert names(lookup.run(["grouped"], variables=world)[0]) == ["backup_admin"]  # off by default
    world["netraven_tags_from_groups"] = True
    assert names(lookup.run(["grouped"], variables=world)[0]) == ["juniper_admin", "backup_admin"]


def test_output_tags_gives_the_matched_tags_without_credentials(lookup, world, warnings) -> None:
    """output=tags: what the report's coverage matrix reads; no credential list is needed."""
    del world["netraven_credentials"]
    world["hostvars"]["nb"] = {"tags": [{"slug": "edge"}], "group_names": ["sites_lon"]}
    assert lookup.run(["nyc-core-01", "nb", "bare"], variables=world, output="tags", tags_vars=["netraven_tags", "tags"],
                      tags_from_groups=True) == [["site-nyc", "cisco", "core", "default"], ["edge", "sites_lon", "default"], ["default"]]
    with pytest.raises(AnsibleLookupError, match="output=tags takes host names"):
        lookup.run([], variables=world, output="tags", tags=["x"])
