"""Pure parts of the backup job: the credential report builder and the role's end-marker defaults."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netraven.core.plugins.filter.credential_report import FilterModule
from ansible_collections.netraven.core.plugins.plugin_utils import _backup
from ansible_collections.netraven.core.plugins.plugin_utils._report import build_report, table, with_fleet

ROOT = Path(__file__).resolve().parents[3]
CONFIGS = ROOT / "tests" / "unit" / "redact" / "configs"
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.timezone.utc)


def _stat(name, attempts, successes, failures, last_used=None, last_success=None, enable_failures=0):
    return {"name": name, "attempts": attempts, "successes": successes, "failures": failures,
            "enable_failures": enable_failures, "last_used": last_used, "last_success": last_success,
            "last_failure": None, "success_rate": successes / attempts if attempts else None}


STATS = [
    _stat("tacacs", 10, 8, 2, "2026-11-29T11:00:00Z", "2026-11-29T11:00:00Z"),
    _stat("old-local", 4, 0, 4, "2026-11-28T11:00:00Z"),
    _stat("legacy", 1, 1, 0, "2026-09-01T00:00:00Z", "2026-09-01T00:00:00Z"),
]
BINDINGS = [{"device": "r1", "credential": "tacacs", "last_success": "2026-11-29T11:00:00Z"},
            {"device": "r3", "credential": "legacy", "last_success": "2026-09-01T00:00:00Z"}]
ATTEMPTS = [
    {"device": "r1", "credential": "tacacs", "outcome": "success", "time": "2026-11-29T11:00:00Z"},
    {"device": "r2", "credential": "tacacs", "outcome": "auth_rejected", "time": "2026-11-29T11:00:00Z"},
    {"device": "r2", "credential": "old-local", "outcome": "auth_rejected", "time": "2026-11-29T11:00:01Z"},
    {"device": "r4", "credential": "tacacs", "outcome": "unreachable", "time": "2026-11-29T11:00:00Z"},
]


def test_flags_without_run_facts():
    report = build_report(STATS, BINDINGS, ATTEMPTS, known_names=["tacacs", "spare"], unused_days=30, now=NOW)
    creds = {c["name"]: c for c in report["credentials"]}
    assert list(creds) == ["legacy", "old-local", "spare", "tacacs"]
    assert creds["old-local"]["flags"] == ["never_successful"]
    assert creds["legacy"]["flags"] == ["unused"]  # last used 89 days ago
    assert creds["spare"]["flags"] == ["never_attempted"] and creds["spare"]["success_rate"] is None
    assert creds["tacacs"]["flags"] == [] and creds["tacacs"]["success_rate"] == 0.8
    assert report["summary"]["no_credential_works"] == ["r2"]  # r4 is unreachable, not a credential problem
    assert report["summary"]["failed_devices"] == []
    assert report["summary"]["run_attempts"] is None
    assert report["generated"] == "2026-11-29T12:00:00Z"
    json.dumps(report)  # JSON-ready


def test_unused_means_no_attempt_of_any_outcome():
    """Issue 18 item 5: a credential tried today is not unused, whatever the outcome (only success,
    auth_rejected and enable_failed move the store's counters and stamps); a configured credential
    that was never attempted (never matched, or never decrypted) is flagged never_attempted."""
    today = [
        {"device": "r5", "credential": "probe", "outcome": "command_timeout", "time": "2026-11-29T10:00:00Z"},
        {"device": "r6", "credential": "probe", "outcome": "password_expired", "time": "2026-11-29T10:01:00Z"},
        {"device": "r7", "credential": "legacy", "outcome": "unreachable", "time": "2026-11-29T10:02:00Z"},
    ]
    report = build_report(STATS, BINDINGS, ATTEMPTS + today, known_names=["probe", "vaulted"], unused_days=30, now=NOW)
    creds = {c["name"]: c for c in report["credentials"]}
    assert creds["probe"]["flags"] == [] and creds["probe"]["last_attempt"] == "2026-11-29T10:01:00Z"
    assert creds["legacy"]["flags"] == []  # last counted use 89 days ago, but tried today (unreachable)
    assert creds["vaulted"]["flags"] == ["never_attempted"] and creds["vaulted"]["last_attempt"] is None
    assert report["summary"]["unused"] == []
    assert report["summary"]["never_attempted"] == ["vaulted"]


def test_run_facts_decide_the_device_flags():
    run = {
        "r1": {"name": "tacacs", "username": "netops", "outcome": "success", "attempts": 1, "time": "t"},
        "r2": {"name": None, "username": None, "outcome": "auth_rejected", "attempts": 2, "time": "t"},
        "r4": {"name": None, "username": None, "outcome": "unreachable", "attempts": "1", "time": "t"},
        "r5": {"name": None, "username": None, "outcome": "locked_out", "attempts": 1, "time": "t"},
    }
    report = build_report(STATS, BINDINGS, ATTEMPTS, run=run, now=NOW)
    devices = {d["name"]: d for d in report["devices"]}
    assert devices["r1"]["flags"] == [] and devices["r1"]["credential"] == "tacacs"
    assert devices["r2"]["flags"] == ["no_credential_works", "failed"]
    assert devices["r4"]["flags"] == ["failed"] and devices["r4"]["attempts"] == 1
    assert devices["r5"]["flags"] == ["failed"] and devices["r5"]["logged_attempts"] == 0
    assert devices["r3"]["outcome"] is None  # in the store, not in this run
    assert report["summary"]["run_attempts"] == 5
    assert report["summary"]["failed_devices"] == ["r2", "r4", "r5"]


def test_devices_that_need_a_login_prompt_rule():
    attempts = ATTEMPTS + [
        {"device": "fgt", "credential": "tacacs", "outcome": "post_auth_interaction_failed", "time": "2026-11-29T11:00:00Z"},
        {"device": "fixed", "credential": "tacacs", "outcome": "post_auth_interaction_failed", "time": "2026-11-29T10:00:00Z"},
        {"device": "fixed", "credential": "tacacs", "outcome": "success", "time": "2026-11-29T11:00:00Z"},
    ]
    alone = build_report(STATS, BINDINGS, attempts, now=NOW)
    assert alone["summary"]["needs_login_prompt_rule"] == ["fgt"]  # "fixed" worked after its rule was added
    assert alone["summary"]["no_credential_works"] == ["r2"]  # it logged in: not a credential problem
    run = {"fgt": {"name": "tacacs", "username": "netops", "outcome": "post_auth_interaction_failed", "attempts": 1, "time": "t"}}
    devices = {d["name"]: d for d in build_report(STATS, BINDINGS, attempts, run=run, now=NOW)["devices"]}
    assert devices["fgt"]["flags"] == ["failed", "needs_login_prompt_rule"]


def test_table_is_aligned():
    lines = table([{"name": "a", "n": 1, "flags": []}, {"name": "long-name", "n": None, "flags": ["x", "y"]}],
                  ["name", "n", "flags"])
    assert lines[0].split() == ["name", "n", "flags"]
    assert lines[2].split() == ["a", "1", "-"]
    assert lines[3].split() == ["long-name", "-", "x,", "y"]


def test_filter_validates_its_input():
    flt = FilterModule().filters()["credential_report"]
    out = flt({"stats": STATS, "bindings": BINDINGS, "attempts": ATTEMPTS}, run={"r1": None}, known=["x"], unused_days="7")
    assert out["unused_days"] == 7
    with pytest.raises(AnsibleFilterError, match="'stats' must be a list of dicts"):
        flt({"stats": "nope"})
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        flt([1])
    with pytest.raises(AnsibleFilterError, match="malformed metrics"):
        flt({"stats": [{"attempts": 1}]})


@pytest.mark.parametrize("options, words", [
    ({"run": ["r1"]}, "run must be a dict, got list"),
    ({"run": "r1"}, "run must be a dict, got str"),
    ({"labels": ["a"]}, "labels must be a dict, got list"),
    ({"changes": ["a"]}, "changes must be a dict, got list"),
    ({"fleet": {"hosts": ["r1"]}}, "fleet: hosts and facts must be dicts"),
    ({"unused_days": "abc"}, "unused_days must be a whole number of days, got str"),
    ({"window_days": 0}, "window_days must be >= 1"),
    ({"fail_on": {"a": 1}}, "fail_on: expected a list or a comma-separated string"),
])
def test_filter_names_the_option_that_is_wrong(options, words):
    """A new-user trial: these gave raw Python errors (no filter name, no option) or, on 2.16, an empty failure."""
    flt = FilterModule().filters()["credential_report"]
    with pytest.raises(AnsibleFilterError, match="netraven.core.credential_report: " + re.escape(words)):
        flt({"stats": STATS, "bindings": BINDINGS, "attempts": ATTEMPTS}, **options)


def test_filter_fail_on_takes_one_flag_as_a_string():
    """fail_on='never_attempted' is one flag (as the role's variable), not the letters n, e, v ..."""
    flt = FilterModule().filters()["credential_report"]
    out = flt({"stats": STATS, "bindings": BINDINGS, "attempts": ATTEMPTS}, known=["x"], fail_on="never_attempted")
    assert out["gate"]["fail_on"] == ["never_attempted"]


def test_a_fleet_result_counts_as_this_runs_for_the_reports_hosts():
    """Fleet mode with config_backup_fleet_failed_group: the devices took no task of their own, so the batch
    result gives their facts and backups; it wins over an older (cached) fact; hosts outside run are left out."""
    fact = {"name": "tacacs", "username": "netops", "outcome": "success", "attempts": 1, "time": "2026-11-29T11:00:00Z"}
    fleet = {"facts": {"r1": fact, "r2": dict(fact, name=None, username=None, outcome="auth_rejected", attempts=2),
                       "r9": fact},
             "hosts": {"r1": {"changed": True, "size": 10}, "r2": {"failed": True, "outcome": "auth_rejected"},
                       "r9": {"changed": False, "size": 3}}}
    cached = dict(fact, time="2026-11-01T00:00:00Z")
    run, changes = with_fleet({"r1": cached, "r2": {}, "r3": {}}, {"changed": [], "unchanged": ["r1", "r3"]}, fleet)
    assert run == {"r1": fact, "r2": fleet["facts"]["r2"], "r3": {}}
    assert changes == {"changed": ["r1"], "unchanged": ["r3"]}

    flt = FilterModule().filters()["credential_report"]
    out = flt({"stats": STATS, "bindings": BINDINGS, "attempts": ATTEMPTS}, run={"r1": {}, "r2": {}}, fleet=fleet)
    assert out["summary"]["failed_devices"] == ["r2"] and out["summary"]["changed"] == ["r1"]
    with pytest.raises(AnsibleFilterError, match="fleet must be a dict"):
        flt({"stats": STATS, "bindings": BINDINGS, "attempts": ATTEMPTS}, fleet=["r1"])


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.cfg")), ids=lambda p: p.name)
def test_end_markers_accept_complete_and_refuse_truncated_configs(path):
    platform = path.name.split("_", 2)[0] + "_" + path.name.split("_", 2)[1]
    text = path.read_text()
    assert _backup.PLATFORMS[platform].command
    marker = _backup.PLATFORMS[platform].end_marker or None
    if marker is None:
        assert platform == "cisco_nxos"  # no end marker on NX-OS: size check only
        return
    assert re.search(marker, text), path.name
    assert re.search(marker, text + "\n\n"), path.name
    cut = text[: len(text) // 2]
    cut = cut[: cut.rfind("\n") + 1] + "interf"  # cut mid-line
    assert not re.search(marker, cut), path.name


def test_gate_names_each_raised_flag_on_one_line():
    report = build_report(STATS, BINDINGS, ATTEMPTS, known_names=["spare"], now=NOW,
                          fail_on=["no_credential_works", "never_successful", "aaa_budget_exhausted"])
    gate = report["gate"]
    assert gate["raised"] == {"no_credential_works": ["r2"], "never_successful": ["old-local"]}
    assert gate["message"] == ("credential report: no_credential_works (1 device: r2); "
                               "never_successful (1 credential: old-local)")
    assert build_report(STATS, BINDINGS, ATTEMPTS, now=NOW, fail_on=["aaa_budget_exhausted"])["gate"]["message"] is None
    with pytest.raises(ValueError, match="unknown fail_on flag nope"):
        build_report(STATS, BINDINGS, ATTEMPTS, now=NOW, fail_on=["nope"])
    flt = FilterModule().filters()["credential_report"]
    with pytest.raises(AnsibleFilterError, match="unknown fail_on flag"):
        flt({"stats": STATS}, fail_on=["nope"])


def test_counts_from_the_store_give_the_same_report_as_the_log():
    """The role passes the store's attempt counts; a plain attempt list must give the same report."""
    from ansible_collections.netraven.core.plugins.plugin_utils._report import count_attempts

    daily = count_attempts(ATTEMPTS, ("day", "credential", "outcome"))
    per_device = count_attempts(ATTEMPTS, ("device", "credential", "outcome"))
    labels = {"r1": ["core"], "r2": ["core", "edge"], "r4": []}
    from_log = build_report(STATS, BINDINGS, ATTEMPTS, now=NOW, labels=labels)
    from_counts = build_report(STATS, BINDINGS, [], now=NOW, daily=daily, device_counts=per_device, labels=labels)
    assert from_log == from_counts
    rows = {r["name"]: r for r in from_log["coverage"]["rows"]}
    assert list(rows) == ["core", "edge", "(none)", "(not in inventory)"]  # r4 untagged, r3 only in the store
    assert from_log["coverage"]["credentials"] == ["tacacs", "old-local"]  # tried in the window, most first
    tacacs = rows["core"]["cells"][0]
    assert (tacacs["attempts"], tacacs["successes"], tacacs["works_on"], tacacs["devices"]) == (2, 1, 1, 2)
    assert rows["(none)"]["cells"][0]["attempts"] == 0  # r4 was unreachable: not a counted login
    trend = from_log["trend"]
    assert trend["days"][-1] == "2026-11-29" and len(trend["days"]) == 30
    assert trend["credentials"]["tacacs"]["attempts"][-1] == 3 and trend["credentials"]["tacacs"]["failures"][-1] == 1


def test_html_escapes_names_and_shows_aaa_only_when_present():
    from ansible_collections.netraven.core.plugins.filter.credential_report_html import FilterModule as HtmlFilters

    render = HtmlFilters().filters()["credential_report_html"]
    odd = [{"device": '<img src=x onerror="alert(1)">', "credential": "tacacs", "outcome": "success",
            "time": "2026-11-29T11:00:00Z"}]
    plain = build_report(STATS, BINDINGS, ATTEMPTS + odd, now=NOW)
    page = render(plain, title="Site <A>")
    assert "<img" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<title>Site &lt;A&gt;" in page and 'id="aaa"' not in page and "<script" not in page
    with_aaa = build_report(STATS, BINDINGS, ATTEMPTS, now=NOW, aaa_accounts=[
        {"name": "tacacs-prod", "credentials": ["tacacs"], "lockout_threshold": 3, "streak": 2, "budget_exhausted": 1,
         "skipped_on": ["r2"]}])
    assert with_aaa["summary"]["aaa_budget_exhausted"] == ["tacacs-prod"]
    assert 'id="aaa"' in render(with_aaa) and 'data-account="tacacs-prod"' in render(with_aaa)
    with pytest.raises(AnsibleFilterError, match="not a credential report"):
        render({"summary": {}})


def _render_markdown(report, title="Credential report"):
    """report.md as the role renders it: its template through Ansible's Templar (Jinja with trim_blocks)."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    try:  # ansible-core 2.19 templates only trusted text (the template lookup trusts its file)
        from ansible.template import trust_as_template
    except ImportError:  # before 2.19 every string is a template
        def trust_as_template(text):
            return text

    template = (ROOT / "roles" / "credential_report" / "templates" / "report.md.j2").read_text()
    templar = Templar(loader=DataLoader(), variables={"credential_report_data": report, "credential_report_title": title})
    return templar.template(trust_as_template(template), escape_backslashes=False)


def _cells(row):
    """A Markdown table row's cells: split on | that are not backslash-escaped (GFM tables)."""
    return re.split(r"(?<!\\)\|", row.replace("\\\\", ""))[1:-1]


def _table(markdown, header_start):
    """(header cells, body rows' cells) of the table whose header row starts with ``header_start``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    body = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        body.append(_cells(line))
    return _cells(lines[start]), body


def test_markdown_escapes_names_in_cells_and_text():
    """Issue 18 C: a device 'pipe|name' and a credential 'c<i>1|x' each stay one cell; no raw HTML, no emphasis."""
    odd = [{"device": "pipe|name", "credential": "c<i>1|x", "outcome": "auth_rejected", "time": "2026-11-29T11:00:00Z"},
           {"device": "r_*`x`*_\\", "credential": "tacacs", "outcome": "success", "time": "2026-11-29T11:00:00Z"}]
    report = build_report(STATS, BINDINGS, ATTEMPTS + odd, now=NOW, labels={"pipe|name": ["t|1"]})
    markdown = _render_markdown(report, title="Site *A*")
    assert markdown.startswith("# Site \\*A\\*\n")
    assert "<i>" not in markdown
    assert "| pipe\\|name | " in markdown and "| c\\<i\\>1\\|x | " in markdown
    assert "| r\\_\\*\\`x\\`\\*\\_\\\\ | " in markdown
    assert "- Devices where no credential works: pipe\\|name, r2\n" in markdown
    for header_start in ("| credential |", "| device |", "| tags |"):
        header, body = _table(markdown, header_start)
        assert body and all(len(cells) == len(header) for cells in body), (header_start, header, body)
    header = _table(markdown, "| tags |")[0]
    assert " c\\<i\\>1\\|x " in header


def test_markdown_labels_what_the_window_column_counts():
    """Issue 18 D: attempts count logins; the window column counts every outcome, as on the HTML page."""
    markdown = _render_markdown(build_report(STATS, BINDINGS, ATTEMPTS, now=NOW))
    header = next(line for line in markdown.splitlines() if line.startswith("| credential |"))
    assert "| attempts (logins) |" in header and "| last 30 days, all outcomes: attempts / failures |" in header
    assert "count logins (success, rejected, enable refused)" in markdown
    assert "counts attempts of every outcome (unreachable, timeouts, lockouts too)" in markdown
