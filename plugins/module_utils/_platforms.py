# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netmiko device_type names: the one platform list of the collection.

A device's platform (``netraven_platform``, the ``platform`` option) is a netmiko device_type;
netmiko's own table (``netmiko.ssh_dispatcher.CLASS_MAPPER``, also published sorted as
``netmiko.platforms``) says which names exist, so no copy of it is kept here. netmiko is imported
only when the list is asked for: the inventory plugin needs it only for device_types outside
``_devices.NETWORK_OS_MAP``. Runs inside modules too (standard library plus netmiko when present).
"""
from __future__ import annotations

from typing import Optional


def netmiko_platforms() -> Optional[frozenset[str]]:
    """Every netmiko device_type name (``netmiko.ssh_dispatcher.CLASS_MAPPER``), or None when netmiko is not installed."""
    try:
        from netmiko.ssh_dispatcher import CLASS_MAPPER  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return frozenset(CLASS_MAPPER)
