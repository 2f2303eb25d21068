# -*- coding: utf-8 -*-
# Copyright (c) netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin netraven.core.redact_config: remove secrets from a device configuration."""
from __future__ import annotations

DOCUMENTATION = r"""
name: redact_config
author: netraven.core contributors (@netraven)
version_added: "0.1.0"
short_description: Remove passwords, keys and communities from a network device configuration
description:
  - Replaces every secret value it recognises in a running-configuration with the fixed
    marker C(<removed>) and keeps every other character (line endings, blank lines,
    trailing spaces, the secret's type digit such as C(enable secret 5 <removed>), and the
    quotes around Junos values such as C(encrypted-password "<removed>")).
  - Idempotent; redacting an already redacted text returns it unchanged.
  - "Covers Cisco IOS, IOS-XE, NX-OS, ASA and Arista EOS: C(enable secret|password),
    C(username ... secret|password), C(passwd), SNMP communities and v3 user keys,
    TACACS+/RADIUS keys (including C(key 7 ...) and C(server-private)), BGP
    C(neighbor ... password), NTP C(authentication-key), OSPF/IS-IS/EIGRP (key chain)
    authentication keys, EIGRP C(hmac-sha-256) and OSPFv3 IPsec keys, HSRP/VRRP/GLBP
    authentication, C(crypto isakmp key), C(pre-shared-key), line and PPP C(password), MSDP
    and MPLS LDP passwords, RADIUS C(server-key), C(ip nhrp authentication), C(cable shared-secret),
    ASA C(ldap-login-password), and the password of any URL C(scheme://user:password@host)
    (user and host stay readable). Junos (curly and C(display set)): C(encrypted-password), C(secret),
    C(authentication-key), C(pre-shared-key ascii-text), C(simple-password), C(key), NTP
    C(value), SNMP community names, lines marked C(## SECRET-DATA), and any crypt-style hash
    (C($1$), C($5$), C($6$), C($8$), C($9$))."
  - A cleartext IOS password that contains spaces loses only its first word; a URL password
    that contains a raw C(/) is not recognised.
options:
  _input:
    description: The configuration text.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Save a redacted copy of the running-config
  ansible.builtin.copy:
    content: "{{ result.stdout[0] | netraven.core.redact_config }}"  # stdout is a list, one item per command
    dest: "backups/{{ inventory_hostname }}.cfg"
    mode: "0600"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The configuration with each secret value replaced by C(<removed>).
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.netraven.core.plugins.plugin_utils._type_words import type_word


def _redact_config(text):
    """Jinja entry point: ``str`` in, redacted ``str`` out; AnsibleFilterError for non-text."""
    if text is None or not isinstance(text, (str, bytes)):
        raise AnsibleFilterError(
            "netraven.core.redact_config expects the configuration as a string, got %s" % type_word(text)
        )
    # Imported here, not at the top: Ansible loads every filter file of the collection when a task uses any
    # one of its filters, so each file must load cheaply (bench/README.md, P8).
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.netraven.core.plugins.plugin_utils._redact import redact_config
    return redact_config(to_text(text, errors="surrogate_or_strict"))


class FilterModule:
    """netraven.core filters."""

    def filters(self):
        return {"redact_config": _redact_config}
