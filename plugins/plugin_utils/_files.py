# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a file on the controller atomically, from an action plugin (no module process).

Used for the configuration backups (``_backup``) and the credential report's files. A crash or a
full disk never leaves a half-written file: the content goes to a temporary file in the target
folder, is flushed and fsynced, gets its mode, and replaces the target with ``os.replace``.
"""
from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass


@dataclass
class Saved:
    """What ``save`` did: ``changed`` (the file's content changed or it is new), ``size`` (bytes
    written or kept), ``diff`` (Ansible's ``before``/``after`` diff dict, or None)."""

    changed: bool
    size: int
    diff: dict[str, str] | None = None


def save(path: str, content: str, *, mode: int = 0o640, dir_mode: int = 0o750, check_mode: bool = False,
         want_diff: bool = False) -> Saved:
    """Write ``content`` to ``path`` unless it already holds exactly that.

    The folder is created (``dir_mode``) when missing. The write is atomic: a temporary file in
    the same folder, flushed and fsynced, gets ``mode`` and replaces ``path`` with
    ``os.replace``, so a crash never leaves a half-written backup. An unchanged file is left as
    it is (its mode is still set to ``mode``). ``check_mode``: compare only, write nothing.
    ``want_diff``: include a ``before``/``after`` diff when the content changed.
    Raises OSError (with the path) when the folder or the file cannot be written.
    """
    data = content.encode("utf-8", "surrogateescape")
    try:
        with open(path, "rb") as handle:
            before: bytes | None = handle.read()
    except FileNotFoundError:
        before = None
    changed = before != data
    diff = None
    if changed and want_diff:
        diff = {"before_header": path, "after_header": path,
                "before": (before or b"").decode("utf-8", "replace"), "after": content}
    if check_mode:
        return Saved(changed, len(data), diff)
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        os.makedirs(folder, mode=dir_mode, exist_ok=True)
    if changed:
        fd, tmp = tempfile.mkstemp(prefix=".netraven-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    elif stat.S_IMODE(os.stat(path).st_mode) != mode:
        os.chmod(path, mode)
    return Saved(changed, len(data), diff)
