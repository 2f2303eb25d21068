"""Property-based tests (hypothesis) of credential matching and ordering in _matching.py."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from ansible_collections.netraven.core.plugins.plugin_utils import _matching as m

TAGS = ["default", "cisco", "juniper", "site-a", "site-b", "core"]
tag_lists = st.lists(st.sampled_from(TAGS), max_size=4)


@st.composite
def credential_lists(draw) -> list[dict]:
    """Normalised credentials with unique names, few priorities (many ties) and random tags."""
    names = draw(st.lists(st.text(alphabet="abcxyz_", min_size=1, max_size=4), unique=True, max_size=8))
    raw = [{"name": name, "username": "u", "password": "p", "priority": draw(st.integers(-2, 3)),
            "tags": draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=3))} for name in names]
    return m.normalise_credentials(raw)


def names(creds: list[dict]) -> list[str]:
    return [c["name"] for c in creds]


@settings(max_examples=150, deadline=None)
@given(credential_lists(), st.randoms(use_true_random=False))
def test_priority_order_is_total_and_deterministic(creds: list[dict], rnd) -> None:
    ordered = m.order_credentials(creds)
    shuffled = list(creds)
    rnd.shuffle(shuffled)
    assert names(m.order_credentials(shuffled)) == names(ordered)  # input order never matters
    keys = [(c["priority"], c["name"]) for c in ordered]
    assert all(a < b for a, b in zip(keys, keys[1:]))  # strictly increasing: a total order, no ties left
    assert sorted(names(ordered)) == sorted(names(creds))  # nothing lost or duplicated


@settings(max_examples=150, deadline=None)
@given(credential_lists(), st.sampled_from(["priority", "learned"]), st.none() | st.text(alphabet="abcxyz_", min_size=1, max_size=4))
def test_order_is_stable_under_reordering(creds: list[dict], order: str, last: str | None) -> None:
    once = m.order_credentials(creds, order, last)
    assert names(m.order_credentials(once, order, last)) == names(once)  # idempotent
    assert names(m.order_credentials(list(reversed(creds)), order, last)) == names(once)


@settings(max_examples=150, deadline=None)
@given(credential_lists(), tag_lists)
def test_every_returned_credential_shares_a_tag_and_none_is_missed(creds: list[dict], device_tags: list[str]) -> None:
    out = m.match_credentials(creds, device_tags)
    carried = set(device_tags) | {"default"}
    for c in out:
        assert c["matched_tags"] and set(c["matched_tags"]) <= carried and set(c["matched_tags"]) <= set(c["tags"])
    assert names(out) == [c["name"] for c in creds if carried & set(c["tags"])]


@settings(max_examples=150, deadline=None)
@given(credential_lists(), tag_lists, st.data())
def test_learned_puts_the_bound_credential_first_only_if_it_matches(creds: list[dict], device_tags: list[str], data) -> None:
    pool = names(creds) + ["not-a-credential"]
    last = data.draw(st.sampled_from(pool))
    learned = m.select_credentials(creds, device_tags, "learned", last)
    by_priority = m.select_credentials(creds, device_tags, "priority")
    if last in names(by_priority):
        assert learned[0]["name"] == last
        assert names(learned[1:]) == [n for n in names(by_priority) if n != last]
    else:
        assert names(learned) == names(by_priority)
