# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``default_tag`` option: the tag every device carries (inventory plugin and credentials lookup)."""
from __future__ import annotations


class ModuleDocFragment:
    """``extends_documentation_fragment: netraven.core.default_tag``."""

    DOCUMENTATION = r"""
options:
  default_tag:
    description:
      - The tag every device carries (NetRaven's rule), so a credential tagged with it matches every device.
      - The inventory plugin P(netraven.core.devices#inventory) adds it to each host's C(netraven_tags); the
        lookup P(netraven.core.credentials#lookup) adds it to the tags of each device it matches. Both read the same
        sources, so one setting keeps them equal.
    type: str
    default: default
    env:
      - name: NETRAVEN_DEFAULT_TAG
    ini:
      - section: netraven
        key: default_tag
"""
