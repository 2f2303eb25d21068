# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Learned order's input: each device's last working credential, read from the metrics store.

Used by the ``netraven.core.credentials`` lookup (order ``learned``) and by fleet mode, which reads
every device of the batch with one store connection instead of one per device.
"""
from __future__ import annotations

from ansible.module_utils.common.text.converters import to_text
from ansible.utils.display import Display

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import (
    MetricsStoreError, is_disabled, open_store, redact_url, store_file_missing,
)

display = Display()


def uses_learned_order(order: str | None, url: str | None) -> bool:
    """Whether the credentials lookup orders by learned order with a store to read it from.

    ``order``: the lookup's option (``priority``, ``learned``, or None for its default); ``url``: its
    ``metrics_store``. The default is ``learned`` unless the store is off (``none``), then ``priority``;
    an explicit ``learned`` with the store off falls back to priority order too (the lookup warns).
    """
    return (order or "learned") == "learned" and not is_disabled(url)


def last_working_names(url: str | None, devices: list[str]) -> dict[str, str | None]:
    """The last working credential name per device from the metrics store at ``url``.

    ``url`` follows ``_metrics_store.open_store`` (``None`` = the per-user default store). A file
    store that does not exist yet (the first run) has learned nothing: ``{}``, noted at -vvv. An
    unreadable store gives ``{}`` with a warning; the caller then uses priority order. Never raises.
    """
    where = redact_url(url) if url else "the default metrics store"
    try:
        if is_disabled(url):
            return {}
        if store_file_missing(url):
            display.vvv("netraven.core.credentials: %s does not exist yet (nothing learned); priority order" % where)
            return {}
        store = open_store(url, warn=display.warning)
        try:
            return {device: store.last_working(device) for device in devices}
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - any store failure falls back to priority order
        # MetricsStoreError messages name the URL without its password; other errors only by type.
        detail = to_text(exc) if isinstance(exc, MetricsStoreError) else "%s reading %s" % (exc.__class__.__name__, where)
        display.warning("netraven.core.credentials: cannot read the metrics store (%s); using priority order" % detail)
        return {}
