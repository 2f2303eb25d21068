"""Unit tests of the pure device rules (plugins/plugin_utils/_devices.py): one per validator and parser."""
from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.netraven.core.plugins.plugin_utils._devices import (
    NETWORK_OS_MAP,
    DeviceSourceError,
    Warnings,
    address_key,
    build_device,
    build_devices,
    check_platforms,
    field_var_suffix,
    group_conflicts,
    nearest_platforms,
    network_os_for,
    normalise_tag_names,
    normalise_tags,
    parse_address,
    parse_hostname,
    parse_platform,
    parse_port,
)

NETMIKO_SAMPLE = {"cisco_ios", "cisco_xe", "cisco_nxos", "cisco_asa", "arista_eos", "juniper_junos", "cisco_ios_telnet"}


def row(kind="yaml", origin="devs.yml line 3", retyped=(), **fields):
    return {"origin": origin, "kind": kind, "fields": fields, "retyped": [list(r) for r in retyped]}


# --- hostname ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_hostname_is_an_error_naming_the_origin(value):
    with pytest.raises(DeviceSourceError, match=r"devs.yml line 3: missing hostname"):
        parse_hostname(value, "devs.yml line 3")


def test_hostname_non_ascii_is_kept_and_numbers_become_text():
    assert parse_hostname(" kärnan-01 ", "o") == "kärnan-01"
    assert parse_hostname("東京-core", "o") == "東京-core"
    assert parse_hostname(2024, "o") == "2024"


@pytest.mark.parametrize("value", ["core sw", "a,b", "tab\there", True, ["x"], "../../escaped", "sub/dir/dev", "a\\\\b", "..", "."])
def test_bad_hostnames_are_errors(value):
    with pytest.raises(DeviceSourceError, match="hostname"):
        parse_hostname(value, "o")


# --- port -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [(22, 22), ("2222", 2222), (" 830 ", 830), (1, 1), (65535, 65535), (None, None), ("", None)])
def test_port_accepts_whole_numbers_in_range(value, expected):
    assert parse_port(value, "o") == expected


@pytest.mark.parametrize("value", [0, 65536, -1, "70000", "0"])
def test_port_outside_range_is_an_error(value):
    with pytest.raises(DeviceSourceError, match="outside 1-65535"):
        parse_port(value, "devs.csv line 4")


@pytest.mark.parametrize("value", [True, 22.5, "ssh", "22a"])
def test_port_not_a_number_is_an_error(value):
    with pytest.raises(DeviceSourceError, match="not a whole number"):
        parse_port(value, "o")


# --- address ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("10.0.0.2", ("10.0.0.2", None)),
    ("10.0.0.2:2222", ("10.0.0.2", 2222)),
    ("2001:db8::1", ("2001:db8::1", None)),
    ("[2001:db8::1]", ("2001:db8::1", None)),
    ("[2001:db8::1]:2222", ("2001:db8::1", 2222)),
    ("fe80::1%eth0", ("fe80::1%eth0", None)),
    ("::ffff:10.0.0.1", ("::ffff:10.0.0.1", None)),
    ("router.example.net", ("router.example.net", None)),
    ("router.example.net:830", ("router.example.net", 830)),
    ("bücher.example", ("bücher.example", None)),
])
def test_addresses_ipv4_ipv6_and_names(text, expected):
    assert parse_address(text, "o") == expected


@pytest.mark.parametrize("text,message", [
    ("", "missing address"),
    (None, "missing address"),
    ("2001:db8::zz", "not a valid IPv6"),
    ("2001:db8::1:2222x", "not a valid IPv6"),
    ("[10.0.0.1]:22", "not an IPv6"),
    ("[2001:db8::1]:", "empty or non-numeric port"),
    ("[2001:db8::1]:99999", "outside 1-65535"),
    ("10.0.0.300", "not a valid IPv4"),
    ("10.0.0.1:abc", "non-numeric port"),
    ("user@router", "contains whitespace"),
    ("my router", "contains whitespace"),
])
def test_bad_addresses_are_errors(text, message):
    with pytest.raises(DeviceSourceError, match=message):
        parse_address(text, "o")


def test_address_key_normalises_ipv6_and_names():
    assert address_key("2001:0db8:0000::0001") == address_key("2001:db8::1")
    assert address_key("Router.Example.NET.") == "router.example.net"


# --- platform ---------------------------------------------------------------------------------

def test_missing_device_type_is_an_error():
    with pytest.raises(DeviceSourceError, match="missing device_type"):
        parse_platform("", "o")
    assert parse_platform(" cisco_ios ", "o") == "cisco_ios"


def test_unknown_device_type_warns_with_nearest_netmiko_names():
    warnings = Warnings()
    check_platforms([{"platform": "cisco_iso", "origin": "a.csv line 2"}, {"platform": "cisco_iso", "origin": "a.csv line 3"},
                     {"platform": "cisco_ios", "origin": "a.csv line 4"}], NETMIKO_SAMPLE, warnings)
    (message,) = warnings.render()
    assert "'cisco_iso' is not a netmiko platform" in message and "cisco_ios" in message
    assert "a.csv line 2, a.csv line 3" in message


def test_nearest_platforms_ignores_case():
    assert nearest_platforms("Arista_EOS", NETMIKO_SAMPLE)[0] == "arista_eos"
    assert nearest_platforms("zzzz", NETMIKO_SAMPLE) == []


def test_network_os_map_and_overrides():
    assert network_os_for("juniper_junos") == "junipernetworks.junos.junos"
    assert network_os_for("cisco_xe") == "cisco.ios.ios"
    assert network_os_for("cisco_ios_ssh") == "cisco.ios.ios"
    assert network_os_for("hp_comware") is None
    assert network_os_for("hp_comware", {"hp_comware": "community.network.ce"}) == "community.network.ce"


def test_network_os_map_keys_are_real_netmiko_platforms():
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    assert set(NETWORK_OS_MAP) <= set(CLASS_MAPPER)


# --- tags -------------------------------------------------------------------------------------

def test_no_tags_gives_only_the_default_tag():
    assert normalise_tags(row(name="a"), {}, "default", Warnings()) == ["default"]
    assert normalise_tags(row(tags=None), {}, "all-devices", Warnings()) == ["all-devices"]
    assert normalise_tags(row(kind="netraven", tags=""), {}, "default", Warnings()) == ["default"]


def test_tags_keep_original_text_dedup_and_default_once():
    tags = normalise_tags(row(tags=["Core-SW", "dc 1", "Core-SW", "default"]), {}, "default", Warnings())
    assert tags == ["Core-SW", "dc 1", "default"]


def test_yaml_retyped_tags_warn_once_each():
    warnings = Warnings()
    r = row(tags=["yes", "on", "2024", "~"], retyped=[("yes", "boolean"), ("on", "boolean"), ("2024", "number"), ("~", "null")])
    assert normalise_tags(r, {}, "default", warnings) == ["yes", "on", "2024", "~", "default"]
    text = "\n".join(warnings.render())
    for word in ("'yes'", "'on'", "'2024'", "'~'"):
        assert word in text
    assert "boolean" in text and "null" in text and "devs.yml line 3" in text


def test_typed_tags_without_original_text_become_strings_with_warning():
    warnings = Warnings()
    assert normalise_tags(row(tags=[True, 2024, 1.5, None, ""]), {}, "default", warnings) == ["true", "2024", "1.5", "default"]
    text = "\n".join(warnings.render())
    assert "tag True is not text (bool)" in text and "tag 2024 is not text (int)" in text and "empty tag dropped" in text


def test_netraven_tag_ids_resolve_through_tag_names():
    names = normalise_tag_names({1: "core", "2": "edge"})
    warnings = Warnings()
    tags = normalise_tags(row(kind="netraven", tags="1|2| 7 |branch"), names, "default", warnings)
    assert tags == ["core", "edge", "7", "branch", "default"]
    assert "tag id 7 has no name" in warnings.render()[0]
    assert normalise_tags(row(kind="netraven", tags=[1, 2]), names, "default", Warnings()) == ["core", "edge", "default"]


def test_sql_tag_names_that_look_like_numbers_stay_names():
    assert normalise_tags(row(kind="sql", tags=["2024", 3]), {"3": "wan"}, "default", Warnings()) == ["2024", "wan", "default"]


def test_tag_names_validation():
    with pytest.raises(DeviceSourceError, match="not a NetRaven tag id"):
        normalise_tag_names({"core": "x"})
    with pytest.raises(DeviceSourceError, match="non-empty text"):
        normalise_tag_names({1: ""})


def test_nested_tag_is_an_error():
    with pytest.raises(DeviceSourceError, match="must be text"):
        normalise_tags(row(tags=[["a"]]), {}, "default", Warnings())
    with pytest.raises(DeviceSourceError, match="must be a list"):
        normalise_tags(row(tags={"a": 1}), {}, "default", Warnings())


def test_group_conflicts_warn_when_tags_sanitise_alike():
    warnings = Warnings()
    group_conflicts([{"tags": ["dc-1", "x"]}, {"tags": ["dc_1"]}], lambda t: "tag_" + t.replace("-", "_"), warnings)
    assert warnings.render() == ["tags 'dc-1', 'dc_1' all become group tag_dc_1; netraven_tags keeps them apart"]


# --- whole devices ----------------------------------------------------------------------------

def test_build_device_aliases_defaults_and_free_fields():
    device = build_device(row(kind="netraven", hostname="core-sw-01", ip_address="10.0.0.2", device_type="cisco_ios", port="",
                              description="Core switch", notes="", serial_number="FTX1", **{"Rack Unit": "12"}),
                          {}, "default", Warnings())
    assert device["name"] == "core-sw-01" and device["host"] == "10.0.0.2" and device["port"] == 22
    assert device["platform"] == "cisco_ios" and device["tags"] == ["default"]
    assert device["fields"] == {"description": "Core switch", "serial_number": "FTX1", "Rack_Unit": "12"}
    assert device["origin"] == "devs.yml line 3 (core-sw-01)"


def test_build_device_ipv6_port_from_address_and_conflicts():
    d = build_device(row(name="r6", host="[2001:db8::6]:2222", platform="cisco_ios"), {}, "default", Warnings())
    assert (d["host"], d["port"]) == ("2001:db8::6", 2222)
    same = build_device(row(name="r6", host="[2001:db8::6]:2222", port=2222, platform="cisco_ios"), {}, "default", Warnings())
    assert same["port"] == 2222
    with pytest.raises(DeviceSourceError, match="address says port 2222 but the port field says 22"):
        build_device(row(name="r6", host="[2001:db8::6]:2222", port=22, platform="cisco_ios"), {}, "default", Warnings())


def test_conflicting_aliases_are_an_error():
    with pytest.raises(DeviceSourceError, match="conflicting values for name"):
        build_device(row(name="a", hostname="b", host="10.0.0.1", platform="cisco_ios"), {}, "default", Warnings())


def test_free_fields_colliding_after_sanitising_are_an_error():
    with pytest.raises(DeviceSourceError, match="would both be netraven_rack_unit"):
        build_device(row(name="a", host="10.0.0.1", platform="x", **{"rack-unit": 1, "rack unit": 2}), {}, "default", Warnings())
    assert field_var_suffix("serial-number") == "serial_number"


@pytest.mark.parametrize("missing,message", [("name", "missing hostname"), ("host", "missing address"), ("platform", "missing device_type")])
def test_missing_core_fields_are_errors(missing, message):
    fields = {"name": "a", "host": "10.0.0.1", "platform": "cisco_ios"}
    del fields[missing]
    with pytest.raises(DeviceSourceError, match=message):
        build_devices([row(**fields)])


def test_duplicate_hostnames_name_both_rows_and_files():
    rows = [row(origin="/inv/a.csv line 2", kind="netraven", hostname="sw1", ip_address="10.0.0.1", device_type="cisco_ios"),
            row(origin="/inv/b.yml line 9", name="sw1", host="10.0.0.2", platform="cisco_ios")]
    with pytest.raises(DeviceSourceError) as err:
        build_devices(rows, duplicates="warn")
    assert "duplicate hostname 'sw1': /inv/a.csv line 2 (sw1) and /inv/b.yml line 9 (sw1)" in str(err.value)


def test_duplicate_address_and_port_is_an_error_by_default():
    rows = [row(origin="a.yml line 2", name="sw1", host="2001:db8::1", platform="cisco_ios"),
            row(origin="a.yml line 5", name="sw2", host="[2001:0db8::0001]:22", platform="cisco_ios")]
    with pytest.raises(DeviceSourceError, match=r"a.yml line 2 \(sw1\) and a.yml line 5 \(sw2\) both use address .* port 22"):
        build_devices(rows)


def test_duplicate_address_and_port_can_warn():
    rows = [row(origin="a.yml line 2", name="sw1", host="10.0.0.1", platform="cisco_ios"),
            row(origin="a.yml line 5", name="sw2", host="10.0.0.1", platform="cisco_ios"),
            row(origin="a.yml line 8", name="sw3", host="10.0.0.1", port=2222, platform="cisco_ios")]
    warnings = Warnings()
    devices = build_devices(rows, duplicates="warn", warnings=warnings)
    assert [d["name"] for d in devices] == ["sw1", "sw2", "sw3"]
    assert "both use address 10.0.0.1 port 22" in warnings.render()[0]


def test_all_row_errors_are_reported_together():
    rows = [row(origin=f"a.yml line {i}", name=f"sw{i}", host="10.0.0.1", platform="x", port=0) for i in range(30)]
    with pytest.raises(DeviceSourceError) as err:
        build_devices(rows, max_errors=5)
    text = str(err.value)
    assert text.startswith("30 problem(s)") and "a.yml line 4 (sw4)" in text and "and 25 more" in text


def test_warnings_group_repeats():
    warnings = Warnings(limit=2)
    for i in range(4):
        warnings.add("same problem", f"line {i}")
    warnings.add("global problem")
    assert warnings.render() == ["same problem (line 0, line 1, and 2 more)", "global problem"]
    assert len(warnings) == 2


# --- properties -------------------------------------------------------------------------------

PORTS = st.integers(min_value=1, max_value=65535)


@given(st.ip_addresses(v=6), PORTS)
def test_any_ipv6_with_or_without_brackets_and_port(address, port):
    text = str(address)
    assert parse_address(text, "o") == (text, None)
    assert parse_address(f"[{text}]", "o") == (text, None)
    assert parse_address(f"[{text}]:{port}", "o") == (text, port)
    assert address_key(f"{ipaddress.IPv6Address(text).exploded}") == address_key(text)


@given(st.ip_addresses(v=4), PORTS)
def test_any_ipv4_with_or_without_port(address, port):
    text = str(address)
    assert parse_address(text, "o") == (text, None)
    assert parse_address(f"{text}:{port}", "o") == (text, port)


# --- issue 18: tags written as one string, Ansible's tagged types in messages -------------------

@pytest.mark.parametrize("text, suggestion", [("core, dc1", "[core, dc1]"), ("core", "[core]")])
def test_yaml_tags_written_as_one_string_are_an_error(text, suggestion):
    """A string is never guessed into tags (credentials and host netraven_tags reject it too); the message says what to write."""
    with pytest.raises(DeviceSourceError, match="devs.yml line 3: tags must be a list of tag names, got a string") as err:
        normalise_tags(row(tags=text), {}, "default", Warnings())
    assert f"write tags: {suggestion}" in str(err.value)
    # NetRaven bulk-import cells keep their own separator, |
    assert normalise_tags(row(kind="netraven", tags="core|dc1"), {}, "default", Warnings()) == ["core", "dc1", "default"]


def test_messages_name_plain_types_not_ansible_tagged_classes():
    """Values Ansible parsed (inline devices in the config) are _AnsibleTagged* subclasses (issue 18 item 8)."""
    from ansible.parsing.dataloader import DataLoader

    parsed = DataLoader().load("{name: r1, host: 7, port: 22, platform: 5, tags: [2024]}", file_name="/inv/c.netraven.yml")
    from ansible.release import __version__ as ansible_version

    if tuple(int(part) for part in ansible_version.split(".")[:2]) >= (2, 19):
        assert type(parsed["platform"]).__name__ != "int"  # the premise: a tagged int (plain values before 2.19)
    cases = [
        (dict(parsed, host="10.0.0.1"), "device_type must be text, got int"),
        (dict(parsed, platform="cisco_ios"), "address must be text, got int"),
        (dict(parsed, name=parsed["tags"], host="10.0.0.1", platform="cisco_ios"), "hostname must be text, got list"),
    ]
    for fields, words in cases:
        with pytest.raises(DeviceSourceError) as err:
            build_device(row(**fields), {}, "default", Warnings())
        assert words in str(err.value) and "Tagged" not in str(err.value)
    warnings = Warnings()
    normalise_tags(row(tags=parsed["tags"]), {}, "default", warnings)
    assert "tag 2024 is not text (int)" in warnings.render()[0]
