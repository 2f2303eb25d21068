# -*- coding: utf-8 -*-
# Copyright (c) netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin netraven.core.option_list: a list role variable given as a comma-separated string, as a list."""
from __future__ import annotations

DOCUMENTATION = r"""
name: option_list
author: netraven.core contributors (@netraven)
version_added: "0.1.0"
short_description: A role variable of type list, given as a list or a comma-separated string, as a list
description:
  - "The argument-spec check of a role accepts a comma-separated string for a variable of C(type: list)
    (for example C(-e credential_report_fail_on=no_credential_works,unused)) but does not convert it: the
    role receives the string. This filter performs the conversion the argument spec documents."
  - A string is split on commas, each part is stripped of surrounding spaces and empty parts are dropped.
    A list is returned as it is. An integer or float becomes a one-element list of its text. C(null) is
    an empty list.
  - The role C(netraven.core.credential_report) reads its list variables through it (the role
    C(netraven.core.config_backup) has none).
options:
  _input:
    description: The variable's value.
    type: raw
    required: true
  name:
    description: The variable's name, for the error message (a mapping or a boolean is an error).
    type: str
    default: the variable
"""

EXAMPLES = r"""
- name: Flags given as "no_credential_works, unused" or as a list
  ansible.builtin.debug:
    msg: "{{ credential_report_fail_on | netraven.core.option_list('credential_report_fail_on') }}"
"""

RETURN = r"""
_value:
  description: The list.
  type: list
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netraven.core.plugins.plugin_utils._role_options import option_list


def _option_list(value, name="the variable"):
    """Jinja entry point (see DOCUMENTATION); AnsibleFilterError names the variable."""
    try:
        return option_list(value, str(name))
    except TypeError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    """netraven.core filters."""

    def filters(self):
        return {"option_list": _option_list}
