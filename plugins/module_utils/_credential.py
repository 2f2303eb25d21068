# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape of one credential: one table, from which every list of fields is derived.

``FIELDS`` drives the lookup's validation (``plugin_utils._matching``), which fields the lookup
renders before matching and which it decrypts only when returned, the keys the action plugins
hand to the credential loop, the modules' ``credentials`` argument spec, the list of secrets the
loop redacts, and what a result may show of a credential (``public_view``). The documentation of
the same fields is the doc fragment ``netraven.core.credential_options``; a unit test checks that
it documents exactly these fields with these types, requirements and defaults.

Adding a field is one row here plus its description in the doc fragment.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, NamedTuple


class Field(NamedTuple):
    """One credential field.

    ``name``: the key. ``type``: its Ansible argument-spec type (``str``, ``path``, ``int``,
    ``list`` of str). ``required``: the lookup rejects a credential without it. ``default``:
    the value when absent (``None``: absent stays ``None``). ``secret``: never shown, logged or
    stored; redacted from every message. ``early``: rendered by the lookup before matching
    (everything else is decrypted only for the credentials returned). ``public``: part of what a
    result shows of the credential that logged in. ``output``: added by the lookup, not accepted
    from the user.
    """

    name: str
    type: str
    required: bool = False
    default: Any = None
    secret: bool = False
    early: bool = False
    public: bool = False
    output: bool = False


DEFAULT_PRIORITY = 100

FIELDS: tuple[Field, ...] = (
    Field("name", "str", required=True, early=True, public=True),
    Field("username", "str", required=True, public=True),
    Field("password", "str", secret=True),
    Field("ssh_key_file", "path"),
    Field("enable_secret", "str", secret=True),
    Field("priority", "int", default=DEFAULT_PRIORITY, early=True, public=True),
    Field("tags", "list", required=True, early=True),
    Field("description", "str"),
    Field("aaa", "str", early=True),
    Field("matched_tags", "list", output=True),
)

NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
"""Every key a credential may carry (what the action plugins pass on)."""
INPUT_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS if not f.output)
"""Keys a user may write in a credential."""
SECRETS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.secret)
"""Keys whose values are secrets."""
TEXT: tuple[str, ...] = tuple(f.name for f in FIELDS if f.type in ("str", "path"))
"""Keys holding one string each."""
EARLY: tuple[str, ...] = tuple(f.name for f in FIELDS if f.early)
"""Keys the lookup renders before matching; the others wait until the credential is returned."""
PUBLIC: tuple[str, ...] = tuple(f.name for f in FIELDS if f.public)
"""Keys a result may show of a credential."""
LOGIN_MATERIAL: tuple[str, ...] = ("password", "ssh_key_file")
"""A credential needs at least one of these to log in."""


def lacks_login_material(credential: Mapping[str, Any]) -> bool:
    """True when ``credential`` has neither a password nor an ssh_key_file (both empty or absent).

    Only ``None`` and ``""`` count as empty: an opaque value (a vault-encrypted string) is present
    and is not decrypted by this check.
    """
    return not any(_present(credential.get(key)) for key in LOGIN_MATERIAL)


def _present(value: Any) -> bool:
    """False for ``None`` and ``""``; True for anything else, opaque values included (not inspected)."""
    return value is not None and not (isinstance(value, str) and value == "")


def public_view(credential: Mapping[str, Any]) -> dict[str, Any]:
    """What may be shown of a credential: ``{name, username, priority}``, never a secret."""
    defaults = {f.name: f.default for f in FIELDS}
    return {key: credential.get(key, defaults[key]) for key in PUBLIC}


def secrets_of(credentials: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every non-empty secret value of ``credentials`` as str, longest first (for redaction)."""
    found = {str(c[k]) for c in credentials for k in SECRETS if c.get(k)}
    return sorted(found, key=len, reverse=True)


def argument_spec() -> dict[str, dict[str, Any]]:
    """The ``options`` of the modules' ``credentials`` argument (``type: list, elements: dict``).

    Secrets get ``no_log``; ``required`` is left to the lookup's validation except for the two
    keys without which the loop cannot run (``name``, ``username``); lists default to ``[]``.
    """
    spec: dict[str, dict[str, Any]] = {}
    for f in FIELDS:
        entry: dict[str, Any] = {"type": f.type}
        if f.type == "list":
            entry.update(elements="str", default=[])
        elif f.default is not None:
            entry["default"] = f.default
        if f.required and f.type != "list":
            entry["required"] = True
        if f.secret:
            entry["no_log"] = True
        elif "key" in f.name or "pass" in f.name:
            entry["no_log"] = False  # a path, not a secret (validate-modules asks for an explicit choice)
        spec[f.name] = entry
    return spec
