"""The platform rule of device tasks (issue 15): netraven_platform, else ansible_network_os, else the
NetBox platform slug, through the platform map (plugin_utils/_device_task.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.netraven.core.plugins.module_utils._platforms import netmiko_platforms
from ansible_collections.netraven.core.plugins.plugin_utils import _device_task
from ansible_collections.netraven.core.plugins.plugin_utils._device_task import PLATFORM_MAP, loop_options, platform_for

CRED = [{"name": "c", "username": "u", "password": "p"}]


@pytest.mark.parametrize("network_os, device_type", [
    ("cisco.ios.ios", "cisco_ios"), ("cisco.nxos.nxos", "cisco_nxos"), ("cisco.iosxr.iosxr", "cisco_xr"),
    ("cisco.asa.asa", "cisco_asa"), ("arista.eos.eos", "arista_eos"), ("junipernetworks.junos.junos", "juniper_junos"),
    ("vyos.vyos.vyos", "vyos"), ("ios", "cisco_ios"), ("nxos", "cisco_nxos"), ("eos", "arista_eos"), ("junos", "juniper_junos"),
    ("iosxr", "cisco_xr"), ("asa", "cisco_asa"), ("Cisco.IOS.ios", "cisco_ios"),
])
def test_ansible_network_os_is_mapped(network_os, device_type) -> None:
    assert platform_for("r1", {"ansible_network_os": network_os}) == device_type


@pytest.mark.parametrize("host_vars, device_type", [
    ({"platforms": ["cisco-ios"]}, "cisco_ios"),          # nb_inventory, plurals: true (its default)
    ({"platform": "arista-eos"}, "arista_eos"),           # nb_inventory, plurals: false
    ({"platforms": ["juniper-junos"]}, "juniper_junos"),
    ({"platforms": ["cisco-ios-xe"]}, "cisco_xe"),
    ({"platforms": ["cisco-nx-os"]}, "cisco_nxos"),
    ({"platforms": ["ios"]}, "cisco_ios"),
    ({"platforms": ["CISCO_XR"]}, "cisco_xr"),
    ({"platform": {"slug": "cisco-asa", "name": "Cisco ASA"}}, "cisco_asa"),   # a platform object
])
def test_netbox_platform_slug(host_vars, device_type) -> None:
    assert platform_for("r1", host_vars) == device_type


def test_order_of_the_variables_and_the_override_map() -> None:
    both = {"ansible_network_os": "arista.eos.eos", "platforms": ["cisco-ios"]}
    assert platform_for("r1", both) == "arista_eos"
    # an unmapped ansible_network_os gives way to the slug
    assert platform_for("r1", {"ansible_network_os": "acme.os.os", "platforms": ["cisco-ios"]}) == "cisco_ios"
    # netraven_platform_map extends and overrides the map
    assert platform_for("r1", {"platforms": ["edge-ios"], "netraven_platform_map": {"edge-ios": "cisco_xe"}}) == "cisco_xe"
    assert platform_for("r1", {"ansible_network_os": "cisco.ios.ios", "netraven_platform_map": {"cisco.ios.ios": "cisco_xe"}}) == "cisco_xe"
    assert platform_for("r1", {}) is None


def test_errors_name_the_host_and_the_variables() -> None:
    with pytest.raises(AnsibleActionFail) as err:
        platform_for("r9", {"ansible_network_os": "acme.os.os", "platforms": ["toaster"]})
    assert str(err.value) == (
        "r9: no platform: netraven_platform is not set and ansible_network_os 'acme.os.os' (not in the platform map), "
        "platforms 'toaster' (not in the platform map); set netraven_platform (a netmiko device_type) or add the value "
        "to netraven_platform_map")
    with pytest.raises(AnsibleActionFail, match=r"^r9: no platform: .*platform \(not a name"):
        platform_for("r9", {"platform": ["a", "b"]})
    with pytest.raises(AnsibleActionFail, match="^r9: host variable netraven_platform_map must be a mapping"):
        platform_for("r9", {"platforms": ["ios"], "netraven_platform_map": ["ios"]})


def test_loop_options_platform_rule() -> None:
    """netraven_platform wins, then the map; the task's platform wins over all; none at all is an error naming
    the host and every variable looked at."""
    def resolve(host_vars: dict, **args) -> dict:
        return loop_options(None, dict(args, credentials=CRED), "r1", {"hostvars": {"r1": host_vars}, "inventory_hostname": "r1"}, None)
    assert resolve({"netraven_platform": "cisco_xe", "ansible_network_os": "arista.eos.eos"})["platform"] == "cisco_xe"
    assert resolve({"ansible_network_os": "arista.eos.eos"})["platform"] == "arista_eos"
    assert resolve({"tags": ["x"], "platforms": ["juniper-junos"]})["platform"] == "juniper_junos"
    assert resolve({"platforms": ["toaster"]}, platform="vyos")["platform"] == "vyos"
    with pytest.raises(AnsibleActionFail) as err:
        resolve({"ansible_host": "192.0.2.1"})
    assert str(err.value).startswith("r1: no platform: none of the host variables netraven_platform, ansible_network_os, "
                                     "platforms, platform is set")


def test_map_values_are_netmiko_device_types() -> None:
    assert set(PLATFORM_MAP.values()) <= netmiko_platforms()
    assert _device_task.PLATFORM_FALLBACKS == ("ansible_network_os", "platforms", "platform")


def test_guide_lists_exactly_the_platform_map() -> None:
    """docs/docsite/rst/any_inventory.rst's table of the map is PLATFORM_MAP, entry for entry."""
    text = (Path(__file__).resolve().parents[3] / "docs" / "docsite" / "rst" / "any_inventory.rst").read_text()
    table = text.split("* - ``ansible_network_os`` or slug", 1)[1].split("\n\n", 1)[0]
    listed = {}
    for keys, value in re.findall(r"\* - (.+)\n\s+- ``([^`]+)``", table):
        for key in re.findall(r"``([^`]+)``", keys):
            listed[key] = value
    assert listed == PLATFORM_MAP
