# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role variables of argument-spec ``type: list`` as lists (pure function, no Ansible state).

A role's ``meta/argument_specs.yml`` check (ansible-core's ``validate_argument_spec``) accepts a
comma-separated string for a ``type: list`` variable, as its documentation says (a string is
split on commas), but it only validates: the role then reads the variable as the string the
user gave (``-e credential_report_fail_on=no_credential_works`` is a string, and iterating it
gives characters). :func:`option_list` performs the conversion the check documents, with
ansible-core's own ``check_type_list``, and strips each element.
"""
from __future__ import annotations

from typing import Any

from ansible.module_utils.common.validation import check_type_list

from ansible_collections.netraven.core.plugins.plugin_utils._type_words import type_word


def option_list(value: Any, name: str = "the variable") -> list:
    """``value`` as a list, the way a ``type: list`` option is converted.

    A list (or tuple) is returned as a list, its elements as given. A string is split on
    commas; each part is stripped of surrounding whitespace and empty parts are dropped
    (``"a, b,"`` -> ``["a", "b"]``; ``""`` -> ``[]``). An int or float becomes a one-element
    list of its text (``check_type_list``). ``None`` is ``[]``.
    Raises TypeError naming ``name`` for anything else (a mapping, a bool...).
    """
    if value is None:
        return []
    if isinstance(value, bool):
        raise TypeError("%s: expected a list or a comma-separated string, got bool" % name)
    if isinstance(value, tuple):
        return list(value)
    try:
        items = check_type_list(value)
    except TypeError:
        raise TypeError("%s: expected a list or a comma-separated string, got %s" % (name, type_word(value))) from None
    if isinstance(value, str):
        return [part.strip() for part in items if part.strip()]
    return list(items)
