# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The word an error message uses for a value's type: ``int``, ``string``, ``mapping``...

ansible-core 2.19 hands plugins values parsed from YAML as private subclasses that carry their
origin (``_AnsibleTaggedInt``, ``_AnsibleTaggedStr``, ``_AnsibleTaggedDict``...), so
``type(value).__name__`` shows users an internal class name. :func:`type_word` names the kind of
value instead, in the words of Ansible's own option types (``int``, ``bool``, ``float``, ``list``)
with ``string``, ``mapping`` and ``null`` for ``str``, ``dict`` and ``None``. Standard library only.
"""
from __future__ import annotations

import datetime
from collections.abc import Mapping, Set

_WORDS: tuple[tuple[type, str], ...] = (
    (bool, "bool"),  # before int: bool is an int subclass
    (int, "int"),
    (float, "float"),
    (str, "string"),
    (bytes, "bytes"),
    (Mapping, "mapping"),
    (list, "list"),
    (tuple, "list"),
    (Set, "set"),
    (datetime.datetime, "date and time"),  # before date: datetime is a date subclass
    (datetime.date, "date"),
)


def type_word(value: object) -> str:
    """The word for ``value``'s type (see the module docstring); never an ``_Ansible...`` class name.

    Types outside the table fall back to the nearest built-in base class in the MRO (for
    example ``int`` for an ``IntEnum``), then to the class name itself.
    """
    if value is None:
        return "null"
    for cls, word in _WORDS:
        if isinstance(value, cls):
            return word
    for cls in type(value).__mro__:
        if cls.__module__ == "builtins" and cls is not object:
            return cls.__name__
    return type(value).__name__.lstrip("_")


def a_type_word(value: object) -> str:
    """:func:`type_word` with its article: ``a string``, ``an int``, ``a mapping``, ``null``."""
    word = type_word(value)
    if word == "null":
        return word
    return ("an " if word[0] in "aeiou" else "a ") + word
