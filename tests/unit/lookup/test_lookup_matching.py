"""Unit tests for plugins/plugin_utils/_matching.py: validation, tag matching and ordering rules."""
from __future__ import annotations

import pytest

from ansible_collections.netraven.core.plugins.plugin_utils import _matching as m
from ansible_collections.netraven.core.plugins.plugin_utils._matching import CredentialError

CANARY = "Canary-matching-9f3"


def cred(name: str, priority: int = 100, tags: list[str] | None = None, **extra) -> dict:
    item = {"name": name, "username": "u", "password": CANARY, "priority": priority, "tags": tags or ["default"]}
    item.update(extra)
    return item


# -- validation -----------------------------------------------------------------------------------

def test_normalise_fills_defaults_and_copies() -> None:
    raw = [{"name": "a", "username": "u", "password": CANARY, "tags": ["x", "x", "y"]}]
    out = m.normalise_credentials(raw)
    assert out == [{"name": "a", "username": "u", "password": CANARY, "ssh_key_file": None, "enable_secret": None,
                    "priority": 100, "tags": ["x", "y"]}]
    assert raw[0]["tags"] == ["x", "x", "y"]  # input untouched


def test_key_only_password_only_and_both_are_valid() -> None:
    out = m.normalise_credentials([
        {"name": "k", "username": "u", "ssh_key_file": "/k", "tags": ["default"]},
        {"name": "p", "username": "u", "password": "p", "tags": ["default"]},
        {"name": "b", "username": "u", "password": "p", "ssh_key_file": "/k", "enable_secret": "e", "tags": ["default"],
         "description": "both"},
    ])
    assert [c["name"] for c in out] == ["k", "p", "b"]
    assert out[0]["password"] is None and out[2]["description"] == "both"
    assert "description" not in out[0]


@pytest.mark.parametrize("bad, field, words", [
    ({"name": "a", "password": CANARY, "tags": ["default"]}, "username", "required"),
    ({"name": "a", "username": "", "password": CANARY, "tags": ["default"]}, "username", "required"),
    ({"name": "a", "username": "u", "tags": ["default"]}, "password", "password or an ssh_key_file"),
    ({"name": "a", "username": "u", "password": "", "ssh_key_file": None, "tags": ["default"]}, "password", "ssh_key_file"),
    ({"name": "a", "username": "u", "password": CANARY, "priority": True, "tags": ["default"]}, "priority", "integer, got bool"),
    ({"name": "a", "username": "u", "password": CANARY, "priority": "10", "tags": ["default"]}, "priority", "integer, got string"),
    ({"name": "a", "username": "u", "password": CANARY, "priority": 1.5, "tags": ["default"]}, "priority", "integer, got float"),
    ({"name": "a", "username": "u", "password": CANARY, "tags": "default"}, "tags", "list of tag names"),
    ({"name": "a", "username": "u", "password": CANARY, "tags": ["ok", 3]}, "tags", "item 1"),
    ({"name": "a", "username": "u", "password": CANARY, "tags": ["ok", ""]}, "tags", "item 1"),
    ({"name": "a", "username": "u", "password": CANARY}, "tags", "required"),
    ({"name": "a", "username": "u", "password": 123456789, "tags": ["default"]}, "password", "quote it"),
    ({"name": "a", "username": ["u"], "password": CANARY, "tags": ["default"]}, "username", "got list"),
])
def test_bad_credential_names_credential_and_field(bad: dict, field: str, words: str) -> None:
    with pytest.raises(CredentialError) as info:
        m.normalise_credentials([bad])
    assert info.value.field == field
    assert info.value.credential == "'a'"
    text = str(info.value)
    assert "credential 'a'" in text and repr(field) in text and words in text
    assert CANARY not in text and "123456789" not in text


def test_unknown_field_is_rejected_not_dropped() -> None:
    with pytest.raises(CredentialError, match=r"credential 'a': unknown field\(s\) enable_secert"):
        m.normalise_credentials([cred("a", enable_secert=CANARY)])


def test_missing_name_is_named_by_index() -> None:
    with pytest.raises(CredentialError) as info:
        m.normalise_credentials([cred("a"), {"username": "u", "password": CANARY, "tags": ["x"]}])
    assert info.value.credential == "#1" and info.value.field == "name"
    assert CANARY not in str(info.value)


def test_duplicate_names_name_both_items() -> None:
    with pytest.raises(CredentialError, match=r"credential 'a', field 'name': duplicate name \(items #0 and #2\)") as info:
        m.normalise_credentials([cred("a"), cred("b"), cred("a", password="Canary-dup-9f3")])
    assert "Canary" not in str(info.value)


@pytest.mark.parametrize("raw", [None, "x", {"name": "a"}, [["a"]]])
def test_wrong_shapes(raw) -> None:
    with pytest.raises(CredentialError):
        m.normalise_credentials(raw)


def test_opaque_secret_types_are_accepted_without_inspection() -> None:
    class Vaulted:  # stands in for an ansible vault value: not a str, never converted here
        def __str__(self) -> str:
            raise AssertionError("must not be decrypted")

    secret = Vaulted()
    out = m.normalise_credentials([cred("a", password=secret, enable_secret=secret)], secret_types=(Vaulted,))
    assert out[0]["password"] is secret and out[0]["enable_secret"] is secret
    with pytest.raises(CredentialError, match="got Vaulted"):
        m.normalise_credentials([cred("a", password=secret)])


def test_credential_error_is_a_value_error() -> None:
    assert issubclass(CredentialError, ValueError)


# -- matching --------------------------------------------------------------------------------------

def test_match_needs_one_shared_tag_and_reports_matched_tags() -> None:
    creds = m.normalise_credentials([cred("a", tags=["x", "y", "z"]), cred("b", tags=["q"]), cred("c", tags=["Z"])])
    out = m.match_credentials(creds, ["z", "x"])
    assert [(c["name"], c["matched_tags"]) for c in out] == [("a", ["x", "z"])]  # credential's tag order; case-sensitive
    assert "matched_tags" not in creds[0]  # copies
    out[0]["tags"].append("mutated")
    assert creds[0]["tags"] == ["x", "y", "z"]


def test_every_device_carries_the_default_tag() -> None:
    creds = m.normalise_credentials([cred("everywhere", tags=["default"]), cred("other", tags=["site-x"])])
    assert [c["name"] for c in m.match_credentials(creds, [])] == ["everywhere"]
    assert [c["name"] for c in m.match_credentials(creds, ["site-x"])] == ["everywhere", "other"]
    # a configured default tag replaces `default`
    assert [c["name"] for c in m.match_credentials(creds, ["any"], default_tag="all")] == []
    assert m.device_tag_set(["a", "a"], "all") == ["a", "all"]


def test_no_match_is_empty() -> None:
    assert m.match_credentials(m.normalise_credentials([cred("a", tags=["x"])]), ["y"]) == []
    assert m.match_credentials([], ["y"]) == []


# -- ordering --------------------------------------------------------------------------------------

def test_priority_order_ties_by_name() -> None:
    creds = m.normalise_credentials([cred("b", 10), cred("c", 5), cred("a", 10), cred("d")])
    assert [c["name"] for c in m.order_credentials(creds)] == ["c", "a", "b", "d"]
    assert [c["name"] for c in m.order_credentials(creds, "priority", last_working="d")] == ["c", "a", "b", "d"]


def test_learned_puts_last_working_first_then_priority() -> None:
    creds = m.normalise_credentials([cred("b", 10), cred("c", 5), cred("a", 10), cred("d")])
    assert [c["name"] for c in m.order_credentials(creds, "learned", last_working="b")] == ["b", "c", "a", "d"]
    assert [c["name"] for c in m.order_credentials(creds, "learned", last_working=None)] == ["c", "a", "b", "d"]
    assert [c["name"] for c in m.order_credentials(creds, "learned", last_working="gone")] == ["c", "a", "b", "d"]


def test_learned_never_adds_a_credential_that_does_not_match() -> None:
    creds = m.normalise_credentials([cred("cisco", 10, ["cisco"]), cred("juniper", 20, ["juniper"])])
    out = m.select_credentials(creds, ["cisco"], "learned", last_working="juniper")
    assert [c["name"] for c in out] == ["cisco"]


def test_unknown_order_is_an_error() -> None:
    with pytest.raises(ValueError, match="order must be one of priority, learned"):
        m.order_credentials([], "random")


# -- NetRaven's documented example -------------------------------------------------------------------

@pytest.mark.parametrize("device, expected", [
    ("nyc-core-01", ["cisco_admin", "backup_admin"]),
    ("lon-core-01", ["cisco_admin", "backup_admin"]),
    ("nyc-edge-01", ["juniper_admin", "backup_admin"]),
    ("lon-fw-01", ["backup_admin"]),
])
def test_netraven_example_priority(netraven_devices, netraven_credentials, device: str, expected: list[str]) -> None:
    creds = m.normalise_credentials(netraven_credentials)
    out = m.select_credentials(creds, netraven_devices[device])
    assert [c["name"] for c in out] == expected
    assert out[-1]["matched_tags"] == ["default"]


def test_netraven_example_learned_and_site_tags(netraven_devices, netraven_credentials) -> None:
    netraven_credentials.append({"name": "lon_local", "username": "local", "password": "Canary-lon-9f3", "priority": 5,
                                 "tags": ["site-lon"]})
    creds = m.normalise_credentials(netraven_credentials)
    # backup_admin worked last time on lon-core-01: it goes first, the rest keep priority order
    out = m.select_credentials(creds, netraven_devices["lon-core-01"], "learned", "backup_admin")
    assert [c["name"] for c in out] == ["backup_admin", "lon_local", "cisco_admin"]
    assert [c["matched_tags"] for c in out] == [["default"], ["site-lon"], ["cisco"]]
    # juniper_admin is bound in the store but does not match a Cisco box: not offered
    out = m.select_credentials(creds, netraven_devices["nyc-core-01"], "learned", "juniper_admin")
    assert [c["name"] for c in out] == ["cisco_admin", "backup_admin"]


def test_type_words_for_plain_and_ansible_tagged_values() -> None:
    """The words error messages use for types (plugin_utils._type_words), never an _AnsibleTagged* class name."""
    import datetime
    import enum

    from ansible.parsing.dataloader import DataLoader

    from ansible_collections.netraven.core.plugins.plugin_utils._type_words import a_type_word, type_word

    parsed = DataLoader().load("{i: 5, s: x, d: {}, l: [], b: true, f: 1.5, n: null}", file_name="/v.yml")
    assert {k: type_word(v) for k, v in parsed.items()} == {
        "i": "int", "s": "string", "d": "mapping", "l": "list", "b": "bool", "f": "float", "n": "null"}
    assert [type_word(v) for v in ((1,), {1}, b"x", datetime.date(2026, 1, 1), datetime.datetime(2026, 1, 1))] == [
        "list", "set", "bytes", "date", "date and time"]
    assert type_word(enum.IntEnum("E", "A").A) == "int" and type_word(object()) == "object"
    assert [a_type_word(v) for v in ("x", 5, {}, None)] == ["a string", "an int", "a mapping", "null"]


@pytest.mark.parametrize("value, why", [("", "must name the AAA server"), ("  ", "must name the AAA server"),
                                        (5, "must be a string, got int")])
def test_an_empty_or_non_string_aaa_is_an_error(value, why) -> None:
    # aaa: "" would silently make a shared account a local one (no guard)
    with pytest.raises(CredentialError, match=rf"credential 'a', field 'aaa': {why}"):
        m.normalise_credential(cred("a", aaa=value), 0)
    assert m.normalise_credential(cred("a", aaa="tacacs-prod"), 0)["aaa"] == "tacacs-prod"
    assert "aaa" not in m.normalise_credential(cred("a"), 0)
