"""The one URL grammar, time reader and exception-chain walker that the plugins share (issue 13 item 5)."""
from __future__ import annotations

import datetime
import os

import pytest

from ansible_collections.netraven.core.plugins.module_utils._exceptions import exception_chain
from ansible_collections.netraven.core.plugins.module_utils._metrics_store import parse_time
from ansible_collections.netraven.core.plugins.module_utils._urls import file_url_path, hide_password, redact_url

HOME = os.path.expanduser("~")
UTC = datetime.timezone.utc


@pytest.mark.parametrize("url, base_dir, path", [
    ("sqlite:///var/lib/m.db", None, "/var/lib/m.db"),
    ("SQLITE:///var/lib/m.db", None, "/var/lib/m.db"),
    ("sqlite:////var/lib/m.db", None, "/var/lib/m.db"),      # SQLAlchemy's absolute form
    ("json:///tmp/a/../m.json", None, "/tmp/m.json"),
    ("sqlite:///~/m.db", None, f"{HOME}/m.db"),
    ("sqlite://~/m.db", None, f"{HOME}/m.db"),
    ("sqlite:///var/lib/m.db?mode=ro", None, "/var/lib/m.db"),  # a query is not part of the path
    ("sqlite:///abs/n.db", "/cfg", "/abs/n.db"),
    ("sqlite:rel/n.db", "/cfg", "/cfg/rel/n.db"),
    ("sqlite:../n.db", "/cfg/inv", "/cfg/n.db"),
    ("sqlite:/abs/n.db", "/cfg", "/abs/n.db"),
    ("sqlite:~/n.db", "/cfg", f"{HOME}/n.db"),
])
def test_file_url_forms(url: str, base_dir: str | None, path: str) -> None:
    assert file_url_path(url, base_dir) == path


@pytest.mark.parametrize("url, base_dir, words", [
    ("sqlite://host/m.db", None, "sqlite:///absolute/path"),
    ("sqlite://relative.db", "/cfg", "sqlite:///absolute/path or sqlite:relative/path"),
    ("sqlite:relative.db", None, "an absolute path after sqlite://"),  # relative only with a base folder
])
def test_file_url_errors(url: str, base_dir: str | None, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        file_url_path(url, base_dir)


def test_redact_url_keeps_the_rest_as_written() -> None:
    url = "postgresql://u:Canary-1@h/db?options=-c%20search_path%3Dx&pass%77ord=Canary-2&sslmode=require"
    assert redact_url(url) == "postgresql://u@h/db?options=-c%20search_path%3Dx&sslmode=require"
    assert redact_url(None) == "" and redact_url("sqlite:///a b.db") == "sqlite:///a b.db"


def test_hide_password_covers_user_info_and_query() -> None:
    assert hide_password("auth failed for Canary-1", "postgresql://u:Canary-1@h/db") == "auth failed for ********"
    assert hide_password("bad Canary-2", "postgresql://u@h/db?password=Canary-2") == "bad ********"
    assert hide_password("no secret here", "postgresql://u@h/db") == "no secret here"


@pytest.mark.parametrize("value, expected", [
    ("2026-11-01T10:00:00Z", datetime.datetime(2026, 11, 1, 10, tzinfo=UTC)),
    (" 2026-11-01T10:00:00z ", datetime.datetime(2026, 11, 1, 10, tzinfo=UTC)),
    ("2026-11-01T10:00:00.123456+00:00", datetime.datetime(2026, 11, 1, 10, 0, 0, 123456, tzinfo=UTC)),
    ("2026-11-01", datetime.datetime(2026, 11, 1, tzinfo=UTC)),
    (datetime.date(2026, 11, 1), datetime.datetime(2026, 11, 1, tzinfo=UTC)),
    (datetime.datetime(2026, 11, 1, 10), datetime.datetime(2026, 11, 1, 10, tzinfo=UTC)),
    (None, None), ("", None), ("yesterday", None), (12, None),
])
def test_parse_time(value, expected) -> None:
    assert parse_time(value) == expected


def test_parse_time_keeps_the_offset_given() -> None:
    when = parse_time("2026-11-01T10:00:00+02:00")
    assert when is not None and when.utcoffset() == datetime.timedelta(hours=2)
    assert when == datetime.datetime(2026, 11, 1, 8, tzinfo=UTC)


def _raised(outer: type[Exception], inner: Exception, explicit: bool) -> Exception:
    try:
        try:
            raise inner
        except Exception as exc:
            if explicit:
                raise outer("outer") from exc
            raise outer("outer")
    except Exception as exc:  # noqa: BLE001 - the test builds the chain
        return exc
    raise AssertionError("unreachable")


def test_exception_chain_follows_cause_then_context() -> None:
    inner = OSError("refused")
    for explicit in (True, False):
        chain = exception_chain(_raised(RuntimeError, inner, explicit))
        assert [type(e) for e in chain] == [RuntimeError, OSError] and chain[1] is inner
    hidden = RuntimeError("outer")
    hidden.__context__, hidden.__suppress_context__ = inner, True  # raise ... from None keeps the context
    assert exception_chain(hidden) == [hidden, inner]
    assert exception_chain(None) == []


def test_exception_chain_stops_at_cycles_and_limit() -> None:
    first, second = ValueError("a"), KeyError("b")
    first.__cause__, second.__cause__ = second, first
    assert exception_chain(first) == [first, second]
    errors = [ValueError(str(i)) for i in range(5)]
    for outer, inner in zip(errors, errors[1:]):
        outer.__cause__ = inner
    assert exception_chain(errors[0], limit=3) == errors[:3]


def test_exception_chain_with_several_links_is_breadth_first() -> None:
    root, wrapped, cause, context = Exception("root"), Exception("wrapped"), Exception("cause"), Exception("context")
    root.orig_exc = wrapped  # type: ignore[attr-defined]  # what AnsibleError carries
    root.__cause__, root.__context__ = cause, context
    wrapped.__cause__ = cause  # seen once only
    chain = exception_chain(root, links=lambda e: (getattr(e, "orig_exc", None), e.__cause__, e.__context__))
    assert chain == [root, wrapped, cause, context]


@pytest.mark.parametrize("value, expected", [
    ("no_credential_works", ["no_credential_works"]),          # -e key=value gives a string (issue 18 B)
    ("tacacs, old-local ,spare,", ["tacacs", "old-local", "spare"]),  # split on commas, stripped, empties dropped
    ("", []),
    (None, []),
    (["a, b", "c"], ["a, b", "c"]),                             # a list is taken as it is
    (("x",), ["x"]),
    (5, ["5"]),
])
def test_option_list_converts_like_the_argument_spec(value, expected):
    from ansible_collections.netraven.core.plugins.filter.option_list import FilterModule
    from ansible_collections.netraven.core.plugins.plugin_utils._role_options import option_list

    assert option_list(value, "credential_report_fail_on") == expected
    assert FilterModule().filters()["option_list"](value) == expected


@pytest.mark.parametrize("value, word", [({"a": 1}, "mapping"), (True, "bool")])
def test_option_list_names_the_variable_on_a_wrong_type(value, word):
    from ansible.errors import AnsibleFilterError

    from ansible_collections.netraven.core.plugins.filter.option_list import FilterModule
    from ansible_collections.netraven.core.plugins.plugin_utils._role_options import option_list

    with pytest.raises(TypeError, match="^credential_report_hosts: expected a list or a comma-separated string, got %s$" % word):
        option_list(value, "credential_report_hosts")
    with pytest.raises(AnsibleFilterError, match="credential_report_hosts: expected a list"):
        FilterModule().filters()["option_list"](value, "credential_report_hosts")
