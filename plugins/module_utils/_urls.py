# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The URLs users write for a database or file: the one grammar and the one password rule.

Two options take such a URL: the metrics store (``metrics_store``: ``sqlite:///``, ``json:///``,
``postgresql://``) and the device sources of the inventory plugin (``source``/``tag_names``:
``sqlite:``, ``postgresql://``). Both read file URLs with ``file_url_path`` and show a URL only
through ``redact_url``. Standard library only: this file runs inside modules on remote hosts too.
"""
from __future__ import annotations

import os
from typing import Optional
from urllib.parse import parse_qsl, unquote_plus, urlsplit, urlunsplit

MASK = "********"
"""What a password is replaced by in an error text (``hide_password``)."""


def url_password(url: str) -> Optional[str]:
    """The password carried by ``url`` (user-info ``user:pw@`` or a ``password=`` query parameter), or None."""
    try:
        parts = urlsplit(url)
        if parts.password:
            return parts.password
        for key, value in parse_qsl(parts.query):
            if key.lower() == "password" and value:
                return value
    except ValueError:
        return None
    return None


def redact_url(url: Optional[str]) -> str:
    """``url`` without its password, for messages: ``postgresql://u:pw@h/db?password=pw&x=1`` -> ``postgresql://u@h/db?x=1``.

    The user name stays, the password of the user-info part and every ``password=`` query
    parameter go; the rest is kept as written (query parameters are not re-encoded). A URL
    without a password comes back unchanged; None or ``""`` gives ``""``. Never raises: an
    unparsable URL becomes ``<unparsable URL>``.
    """
    if not url:
        return ""
    url = str(url)
    if url_password(url) is None:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _sep, hostport = netloc.rpartition("@")
        netloc = userinfo.split(":", 1)[0] + "@" + hostport
    kept = [p for p in parts.query.split("&") if unquote_plus(p.split("=", 1)[0]).lower() != "password"]
    return urlunsplit((parts.scheme, netloc, parts.path, "&".join(kept), parts.fragment))


def hide_password(text: str, url: str) -> str:
    """``text`` (a driver's error message, say) with the password ``url`` carries replaced by ``MASK``."""
    password = url_password(url)
    return text.replace(password, MASK) if password else text


def resolve_path(path: str, base_dir: str) -> str:
    """``path`` with ``~`` expanded, made absolute against ``base_dir`` (a folder) and normalised."""
    path = os.path.expanduser(path)
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base_dir, path))


def file_url_path(url: str, base_dir: Optional[str] = None) -> str:
    """The file a file URL ``<scheme>:<path>`` (``sqlite:``, ``json:``; any case) names, ``~`` expanded, normalised.

    The forms:

    - ``<scheme>:///abs/path``: absolute; more slashes mean the same (SQLAlchemy writes ``sqlite:////abs/path``);
    - ``<scheme>:///~/path`` and ``<scheme>://~/path``: below the home directory;
    - only when ``base_dir`` is given (the inventory's device sources, relative to the
      configuration file's folder): ``<scheme>:rel/path``, ``<scheme>:/abs/path``, ``<scheme>:~/path``.

    A ``?query`` is not part of the path (RFC 3986) and is dropped. The metrics store passes no
    ``base_dir``: its URL has no file to be relative to. Raises ValueError, with words to put after
    the URL, for ``<scheme>://host/path`` (a host or a relative path after ``//``) and, without
    ``base_dir``, for a path not starting with ``//``.
    """
    scheme, _sep, rest = url.partition(":")
    scheme = scheme.lower()
    rest = rest.split("?", 1)[0]
    relative = f" or {scheme}:relative/path" if base_dir is not None else ""
    needs = f"an absolute path after {scheme}:// needs three slashes: {scheme}:///absolute/path{relative}"
    if rest.startswith("//"):
        rest = rest[2:]
        if rest.startswith("~"):
            return os.path.normpath(os.path.expanduser(rest))
        if not rest.startswith("/"):
            raise ValueError(needs)
        rest = "/" + rest.lstrip("/")
        if rest.startswith("/~"):
            rest = os.path.expanduser(rest[1:])
        return os.path.normpath(rest)
    if base_dir is None:
        raise ValueError(needs)
    return resolve_path(rest, base_dir)
