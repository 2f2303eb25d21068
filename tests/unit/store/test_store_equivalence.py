"""Property: SQLite and JSON stores agree with a plain fold of the outcome rules for any attempt sequence."""
from __future__ import annotations

import datetime
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.netraven.core.plugins.module_utils import _metrics_store as ms
from ansible_collections.netraven.core.plugins.module_utils import _outcomes

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
attempt = st.tuples(
    st.sampled_from(["r1", "r2", "r3"]),
    st.sampled_from(["tacacs", "local", "legacy"]),
    st.sampled_from(_outcomes.ALL),
    st.integers(min_value=0, max_value=10_000),  # minutes after T0: arrival order is not time order
)


def model(attempts: list) -> tuple[dict, dict]:
    """The rules of docs/docsite/rst/metrics.rst, folded in plain Python: (stats by name, binding by device)."""
    stats: dict = {}
    bindings: dict = {}
    for device, credential, outcome, minute in attempts:
        ts = ms.format_ts(T0 + datetime.timedelta(minutes=minute))
        effect = ms.outcome_effect(outcome, ts)
        if effect is None:
            continue
        row = stats.setdefault(credential, {**dict.fromkeys(ms.COUNTERS, 0), **dict.fromkeys(ms.STAMPS)})
        for key in ms.COUNTERS:  # attempts, successes, failures, enable_failures, ... (ms.FIGURES)
            row[key] += effect[key]
        for key in ms.STAMPS:  # last_used, last_success, last_failure, ...
            row[key] = ms.later(row[key], effect[key])
        if effect["bind"] and (device not in bindings or ts >= bindings[device][1]):
            bindings[device] = (credential, ts)
    return stats, bindings


def want_counts(attempts: list) -> list:
    """The log counted per (day, credential, outcome), with the newest time, sorted: what attempt_counts() returns."""
    groups: dict = {}
    for _device, credential, outcome, minute in attempts:
        ts = ms.format_ts(T0 + datetime.timedelta(minutes=minute))
        count, last = groups.get((ts[:10], credential, outcome), (0, ts))
        groups[(ts[:10], credential, outcome)] = (count + 1, max(last, ts))
    return [{"day": d, "credential": c, "outcome": o, "count": n, "last": t} for (d, c, o), (n, t) in sorted(groups.items())]


@settings(max_examples=25, deadline=None)
@given(st.lists(attempt, max_size=30))
def test_backends_match_the_model(attempts: list) -> None:
    want_stats, want_bindings = model(attempts)
    with tempfile.TemporaryDirectory() as tmp:
        for url in (f"sqlite://{tmp}/m.db", f"json://{tmp}/m.json"):
            with ms.open_store(url) as store:
                for device, credential, outcome, minute in attempts:
                    store.record_attempt(device, credential, outcome, 1, at=T0 + datetime.timedelta(minutes=minute))
                got = {s.pop("name"): s for s in store.credential_stats()}
                for row in got.values():
                    rate = row.pop("success_rate")
                    assert rate == row["successes"] / row["attempts"]
                assert got == want_stats, url
                bound = {b["device"]: (b["credential"], b["last_success"]) for b in store.bindings()}
                assert bound == want_bindings, url  # on a tie in time, the later arrival wins everywhere
                assert len(store.attempts(limit=None)) == len(attempts)
                assert store.attempt_counts() == want_counts(attempts), url


def test_attempt_counts_rejects_unknown_columns(tmp_path) -> None:
    import pytest

    with ms.open_store(f"sqlite://{tmp_path}/m.db") as store:
        for bad in ([], ["time"], ["day", "day"]):
            with pytest.raises(ms.MetricsStoreError, match="group_by must be distinct names from day, device"):
                store.attempt_counts(bad)
