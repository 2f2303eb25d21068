# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credential validation, tag matching and ordering: pure functions, standard library only.

Used by the lookup ``netraven.core.credentials`` on the controller; nothing here touches Ansible
state. The fields themselves are ``module_utils._credential.FIELDS``.

The rules are NetRaven's tag-based credential system as written in the design brief
(DESIGN.md §3, "Credential" and "Ordering"):

- a credential is a dict: ``name`` (unique), ``username``, ``password`` and/or ``ssh_key_file``,
  optional ``enable_secret``, ``priority`` (int, default 100, lower first), ``tags`` (list of str);
- a credential matches a device when it shares at least one tag with it; every device carries
  the default tag (``default`` unless configured), so ``tags: [default]`` means "everywhere";
- ``priority`` order = priority ascending, ties by name; ``learned`` order = the device's last
  working credential first (when it matches), then priority order.

Error messages name the credential (by ``name`` or, before the name is known, by list index)
and the field; they never contain the value of any field, so a secret cannot leak through them.
"""
from __future__ import annotations

import typing as t
from collections.abc import Mapping

from ansible_collections.netraven.core.plugins.module_utils import _credential
from ansible_collections.netraven.core.plugins.plugin_utils._type_words import a_type_word, type_word

DEFAULT_TAG = "default"
DEFAULT_PRIORITY = _credential.DEFAULT_PRIORITY
ORDERS = ("priority", "learned")

TEXT_FIELDS = tuple(name for name in _credential.TEXT if name != "name")
"""Fields that hold one string each besides ``name`` (``username`` required, the others optional)."""
ALLOWED_FIELDS = frozenset(_credential.NAMES)


class CredentialError(ValueError):
    """A credential (or a device's tag list) breaks a rule.

    Attributes: ``credential`` (its name, or ``#<index>`` when it has no usable name, or the
    device/what the tags belong to), ``field`` (the offending field or ``None``), ``problem``
    (text without any field value). ``where`` replaces the message's ``credential ..., field ...`` part.
    """

    def __init__(self, credential: str, field: str | None, problem: str, where: str | None = None) -> None:
        self.credential = credential
        self.field = field
        self.problem = problem
        if where is None:
            where = "credential %s" % credential
            if field:
                where += ", field %r" % field
        super().__init__("%s: %s" % (where, problem))


def _label(index: int, item: t.Mapping[str, t.Any]) -> str:
    """How an error names the credential at ``index``: ``'name'`` when usable, else ``#index``."""
    name = item.get("name")
    if isinstance(name, str) and name:
        return repr(str(name))
    return "#%d" % index


def _is_text(value: t.Any, secret_types: tuple[type, ...]) -> bool:
    """True for a ``str`` or an opaque secret object (e.g. an Ansible vault value)."""
    return isinstance(value, str) or (bool(secret_types) and isinstance(value, secret_types))


def normalise_tags(tags: t.Any, what: str, field: str = "tags") -> list[str]:
    """Check a tag list and return it as a new ``list[str]`` without duplicates (order kept).

    ``tags`` must be a list or tuple of non-empty strings. ``what`` names the owner in errors
    (e.g. ``"'cisco_admin'"`` or ``"host 'r1'"``). Raises ``CredentialError`` otherwise.
    """
    if isinstance(tags, (str, bytes)) or not isinstance(tags, (list, tuple)):
        raise CredentialError(what, field, "must be a list of tag names, got %s" % a_type_word(tags))
    result: list[str] = []
    for pos, tag in enumerate(tags):
        if not isinstance(tag, str) or not tag:
            raise CredentialError(what, field, "item %d must be a non-empty string, got %s" % (pos, "an empty string" if tag == "" else type_word(tag)))
        if str(tag) not in result:
            result.append(str(tag))
    return result


class TagError(CredentialError):
    """A host's tag variable breaks the tag rule. ``credential`` holds the host, ``field`` the variable."""

    def __init__(self, host: str, variable: str, problem: str) -> None:
        super().__init__(repr(host), variable, problem, where="host %r, variable %r" % (host, variable))


UNGROUPED = "ungrouped"
"""Ansible's implicit group of hosts in no other group; never a tag (``all`` is not in ``group_names``)."""


def object_name(item: Mapping) -> t.Optional[str]:
    """The name of a NetBox/Nautobot object as their REST APIs return it (a tag, a platform): its
    non-empty ``slug``, else its non-empty ``name`` (nb_inventory uses the slug), else None."""
    return next((item[key] for key in ("slug", "name") if isinstance(item.get(key), str) and item[key]), None)


def tag_names(value: t.Any, host: str, variable: str) -> list[str]:
    """The tag names in host variable ``variable``'s ``value``, as a list of unique strings (order kept).

    Accepted shapes: a list (or tuple) of non-empty strings (``netraven_tags``; nb_inventory's ``tags``,
    a list of tag slugs), or of mappings with a non-empty ``slug`` or ``name`` (NetBox/Nautobot tag
    objects, as their REST APIs return them; ``slug`` wins, as nb_inventory uses it). Raises
    ``TagError`` naming the host, the variable and the item's position, never a value.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TagError(host, variable, "must be a list of tag names (or of tag mappings with slug or name), got %s" % a_type_word(value))
    names: list[str] = []
    for pos, item in enumerate(value):
        if isinstance(item, Mapping):
            name = object_name(item)
            if name is None:
                raise TagError(host, variable, "item %d is a mapping without a non-empty slug or name" % pos)
        elif isinstance(item, str) and item:
            name = item
        else:
            raise TagError(host, variable, "item %d must be a non-empty string or a mapping with slug or name, got %s"
                           % (pos, "an empty string" if item == "" else a_type_word(item)))
        if str(name) not in names:
            names.append(str(name))
    return names


def host_tags(host: str, host_vars: t.Mapping[str, t.Any], tags_vars: t.Sequence[str], groups: t.Iterable[str] | None = None,
              render: t.Callable[[t.Any], t.Any] | None = None) -> list[str] | None:
    """A device's tags by the lookup's rule (options ``tags_vars`` and ``tags_from_groups``).

    The first variable of ``tags_vars`` that ``host_vars`` defines with a value other than None gives
    the tags (``tag_names``); the variables after it are not read. An empty list counts as set.
    ``groups``: the host's group names when they count as tags (``tags_from_groups``), added after
    those tags, without ``ungrouped``; None when they do not count. ``render``: applied to each value
    read (the lookup's templar). Returns None when no variable is set and no group counts (the
    lookup then warns that the host has only the default tag). Raises ``TagError``.
    """
    found: list[str] | None = None
    for variable in tags_vars:
        if variable not in host_vars:
            continue
        value = host_vars[variable]
        if render is not None:
            value = render(value)
        if value is None:
            continue
        found = tag_names(value, host, variable)
        break
    if groups is None:
        return found
    group_tags = [name for name in tag_names(list(groups), host, "group_names") if name != UNGROUPED]
    if found is None and not group_tags:
        return None
    return list(dict.fromkeys((found or []) + group_tags))


def normalise_credential(item: t.Any, index: int, secret_types: tuple[type, ...] = ()) -> dict[str, t.Any]:
    """Validate one raw credential and return a normalised copy.

    Input: a mapping as written by the user (see the module docstring). ``secret_types`` are
    extra types accepted for string fields without being inspected (vault-encrypted values;
    they stay opaque and are never decrypted here).
    Output: a new dict with every key of ``ALLOWED_FIELDS`` except ``matched_tags``,
    ``description`` and ``aaa`` (which are kept only when given): absent or empty optional text fields are
    ``None``, ``priority`` defaults to ``DEFAULT_PRIORITY``, ``tags`` is a list of unique strings.
    Raises ``CredentialError`` naming the credential and field (never the value).
    """
    if not isinstance(item, Mapping):
        raise CredentialError("#%d" % index, None, "must be a mapping, got %s" % type_word(item))
    label = _label(index, item)
    unknown = sorted(str(k) for k in item if k not in ALLOWED_FIELDS)
    if unknown:
        raise CredentialError(label, None, "unknown field(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(sorted(ALLOWED_FIELDS))))

    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise CredentialError(label, "name", "is required and must be a non-empty string")

    cred: dict[str, t.Any] = {"name": str(name)}
    for field in TEXT_FIELDS:
        value = item.get(field)
        if field == "aaa" and isinstance(value, str) and not value.strip():
            raise CredentialError(label, field, "must name the AAA server (a non-empty string); leave it out for a local account")
        if value is None or (isinstance(value, str) and value == ""):
            cred[field] = None
        elif _is_text(value, secret_types):
            cred[field] = value
        else:
            hint = " (quote it in YAML)" if isinstance(value, (int, float)) else ""
            raise CredentialError(label, field, "must be a string, got %s%s" % (type_word(value), hint))
    for optional in ("description", "aaa"):  # kept only when given
        if cred[optional] is None:
            del cred[optional]
    if cred["username"] is None:
        raise CredentialError(label, "username", "is required")
    if _credential.lacks_login_material(cred):
        raise CredentialError(label, "password", "a credential needs a password or an ssh_key_file (or both)")

    priority = item.get("priority", DEFAULT_PRIORITY)
    if priority is None:
        priority = DEFAULT_PRIORITY
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise CredentialError(label, "priority", "must be an integer, got %s" % type_word(priority))
    cred["priority"] = int(priority)

    if "tags" not in item or item["tags"] is None:
        raise CredentialError(label, "tags", "is required (a list of tag names; [%s] matches every device)" % DEFAULT_TAG)
    cred["tags"] = normalise_tags(item["tags"], label)
    return cred


def normalise_credentials(raw: t.Any, secret_types: tuple[type, ...] = ()) -> list[dict[str, t.Any]]:
    """Validate a raw credential list and return normalised copies, in input order.

    ``raw`` must be a list/tuple of mappings (see ``normalise_credential``). Names must be
    unique (metrics are keyed by them). Raises ``CredentialError`` on the first problem.
    """
    if isinstance(raw, (str, bytes)) or not isinstance(raw, (list, tuple)):
        raise CredentialError("list", None, "credentials must be a list of mappings, got %s" % type_word(raw))
    seen: dict[str, int] = {}
    result = []
    for index, item in enumerate(raw):
        cred = normalise_credential(item, index, secret_types)
        if cred["name"] in seen:
            raise CredentialError(
                repr(cred["name"]), "name", "duplicate name (items #%d and #%d); names must be unique" % (seen[cred["name"]], index)
            )
        seen[cred["name"]] = index
        result.append(cred)
    return result


def device_tag_set(device_tags: t.Iterable[str], default_tag: str = DEFAULT_TAG) -> list[str]:
    """The device's tags plus the default tag (which every device carries), without duplicates."""
    tags = list(dict.fromkeys(device_tags))
    if default_tag not in tags:
        tags.append(default_tag)
    return tags


def match_credentials(
    credentials: t.Iterable[t.Mapping[str, t.Any]], device_tags: t.Iterable[str], default_tag: str = DEFAULT_TAG
) -> list[dict[str, t.Any]]:
    """Credentials that share at least one tag with the device, as copies with ``matched_tags``.

    ``credentials``: normalised credentials (``normalise_credentials``). ``device_tags``: the
    device's tags; ``default_tag`` is added to them (NetRaven's rule: every device carries it).
    Returns new dicts in input order; ``matched_tags`` lists the shared tags in the credential's
    own tag order. Tags compare exactly (case-sensitive).
    """
    tags = set(device_tag_set(device_tags, default_tag))
    matched = []
    for cred in credentials:
        shared = [tag for tag in cred["tags"] if tag in tags]
        if shared:
            copy = dict(cred)
            copy["tags"] = list(cred["tags"])
            copy["matched_tags"] = shared
            matched.append(copy)
    return matched


def priority_key(cred: t.Mapping[str, t.Any]) -> tuple[int, str]:
    """Sort key of ``priority`` order: (priority ascending, then name). Total for unique names."""
    return (cred["priority"], cred["name"])


def order_credentials(
    credentials: t.Iterable[dict[str, t.Any]], order: str = "priority", last_working: str | None = None
) -> list[dict[str, t.Any]]:
    """Return the credentials in the requested order (a new list; the dicts are not copied).

    ``order``: ``priority`` (priority ascending, ties by name) or ``learned`` (the credential
    named ``last_working`` first when it is among ``credentials``, then priority order; without
    a ``last_working`` name this is priority order). ``last_working`` is ignored for ``priority``.
    Raises ``ValueError`` for an unknown order.
    """
    if order not in ORDERS:
        raise ValueError("order must be one of %s, got %r" % (", ".join(ORDERS), order))
    ordered = sorted(credentials, key=priority_key)
    if order == "learned" and last_working is not None:
        bound = [cred for cred in ordered if cred["name"] == last_working]
        ordered = bound + [cred for cred in ordered if cred["name"] != last_working]
    return ordered


def select_credentials(
    credentials: t.Iterable[t.Mapping[str, t.Any]],
    device_tags: t.Iterable[str],
    order: str = "priority",
    last_working: str | None = None,
    default_tag: str = DEFAULT_TAG,
) -> list[dict[str, t.Any]]:
    """Match then order: the credentials to try on one device, first to last.

    Same arguments as ``match_credentials`` and ``order_credentials``; a ``last_working``
    credential that does not match the device is not added.
    """
    return order_credentials(match_credentials(credentials, device_tags, default_tag), order, last_working)
