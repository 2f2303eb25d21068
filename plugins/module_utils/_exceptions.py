# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Walking the exceptions behind an exception (``__cause__``, ``__context__`` and the like).

Libraries wrap the error that matters: netmiko raises its own exceptions from paramiko's and the
socket's, Ansible's templar wraps a vault error, Ansible's loader wraps PyYAML's. The credential
loop classifies a connection failure by what it finds along the chain, and the credentials lookup
names a failed rendering by the classes along it. Standard library only: this file runs inside
modules on remote hosts too (no netmiko, no Ansible controller code).
"""
from __future__ import annotations

from collections import deque
from typing import Callable, Iterable, Optional

Links = Callable[[BaseException], Iterable[Optional[BaseException]]]
"""What stands directly behind one exception: an iterable of exceptions (``None`` items are skipped)."""


def cause_or_context(exc: BaseException) -> tuple[Optional[BaseException]]:
    """The one exception behind ``exc``: its ``__cause__`` (``raise ... from``), else its ``__context__``.

    The context is followed even when ``raise ... from None`` hid it from the traceback: the
    error a library wrapped often hides there.
    """
    return (exc.__cause__ or exc.__context__,)


def exception_chain(exc: Optional[BaseException], links: Links = cause_or_context,
                    limit: Optional[int] = None) -> list[BaseException]:
    """``exc`` followed by the exceptions behind it, nearest first, each once (by identity).

    ``links`` names the exceptions directly behind one exception (default ``cause_or_context``,
    a single chain); with several links the walk is breadth first. ``limit``: at most that many
    exceptions (None: all). ``exc`` None gives ``[]``. Cycles end the walk. Raises nothing.
    """
    found: list[BaseException] = []
    seen: set[int] = set()
    queue: deque[Optional[BaseException]] = deque([exc])
    while queue and (limit is None or len(found) < limit):
        err = queue.popleft()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        found.append(err)
        queue.extend(links(err))
    return found
