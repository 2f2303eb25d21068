"""report.html from a month of attempts, through the real role, opened in headless Chromium (issue 19).

One module fixture writes a SQLite store with 30 nights of synthetic backups (20 devices in three
sites, five credentials: one that works almost everywhere, a local fallback, a legacy password for
old switches, a break-glass account no device matches, and a retired one last tried 45 days ago;
one device where nothing works, one that is sometimes unreachable, and a password rotated on two
devices a week ago), a static inventory with tags and canary passwords, and runs
``ansible-playbook netraven.core.credential_report`` on it once. The tests then check:

- the page in Chromium: no console error, no request but the page itself, the charts in the DOM,
  a screenshot (screen and print) and a PDF in ``tests/output/report/`` (kept by CI as artefacts);
- the page's numbers against report.json, and report.json against the generated attempts;
- no secret in any file the role wrote or in its output; device names are HTML-escaped.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from ansible_collections.netraven.core.plugins.module_utils._metrics_store import format_ts, open_store

from report_browser import open_page

REPO = Path(__file__).resolve().parents[3]
OUTPUT = Path(os.environ.get("NETRAVEN_TEST_OUTPUT") or REPO / "tests" / "output") / "report"
CANARIES = {"tacacs": "Canary-tacacs-19x", "local-admin": "Canary-local-19x", "legacy-enable": "Canary-legacy-19x",
            "breakglass": "Canary-breakglass-19x", "retired": "Canary-retired-19x"}
ODD_DEVICE = 'odd"<b>x</b>&'  # only in the store: must be escaped in the page
PRIORITY = ["tacacs", "local-admin", "legacy-enable"]
AAA = [{"name": "tacacs-prod", "credentials": ["tacacs"], "lockout_threshold": 3, "streak": 1, "highest_streak": 2,
        "last_success": "2026-11-29T02:00:00Z", "budget_exhausted": 2, "skipped_on": ["a-acc3", "a-acc4"]}]


def _devices() -> dict[str, list[str]]:
    """inventory hostname -> tags."""
    devices = {"a-core1": ["site-a", "core", "ios"], "a-core2": ["site-a", "core", "ios"]}
    devices.update({f"a-acc{i}": ["site-a", "access", "eos"] for i in range(1, 5)})
    devices["b-core1"] = ["site-b", "core", "junos"]
    devices.update({f"b-acc{i}": ["site-b", "access", "ios"] for i in range(1, 6)})
    devices.update({f"c-sw{i}": ["site-c", "access", "ios", "legacy"] for i in range(1, 6)})
    devices["c-sw6"] = ["site-c", "access", "ios", "legacy"]
    devices["a-spare"] = ["site-a"]  # in the inventory, never in the store
    return {name: tags + ["default"] for name, tags in devices.items()}


def _works(device: str, day: int) -> str | None:
    """The credential the device accepts on night ``day`` (0 = 29 days ago, 29 = today)."""
    if device == "c-sw6":
        return None  # no credential works
    if device in ("c-sw1", "c-sw2", "c-sw3"):
        return "local-admin"
    if device in ("c-sw4", "c-sw5"):
        return "legacy-enable"
    if device in ("a-acc3", "a-acc4") and day >= 23:
        return "local-admin"  # tacacs password rotated on these two a week ago
    return "tacacs"


def _matching(tags: list[str]) -> list[str]:
    return [c for c in PRIORITY if c != "legacy-enable" or "legacy" in tags]


def generate(store_url: str, now: dt.datetime) -> Counter:
    """Write 30 nights of backups into the store; return Counter[(day, credential, outcome)] of the window."""
    rng = random.Random(19)
    truth: Counter = Counter()
    bound: dict[str, str] = {}
    today = now.date()
    with open_store(store_url) as store:
        def record(device, credential, outcome, at):
            store.record_attempt(device, credential, outcome, rng.randint(80, 900), at=at)
            truth[(format_ts(at)[:10], credential, outcome)] += 1

        old = now - dt.timedelta(days=45)  # outside the window: never in the trend
        store.record_attempt("c-sw1", "retired", "auth_rejected", 300, at=old)
        store.record_attempt("c-sw1", "retired", "success", 300, at=old + dt.timedelta(seconds=5))
        for day in range(30):
            night = dt.datetime.combine(today - dt.timedelta(days=29 - day), dt.time(2, 0), dt.timezone.utc)
            night = min(night, now - dt.timedelta(minutes=5))
            for n, (device, tags) in enumerate(sorted(_devices().items())):
                if device == "a-spare":
                    continue
                at = night + dt.timedelta(seconds=10 * n)
                order = _matching(tags)
                if device in bound:
                    order = [bound[device]] + [c for c in order if c != bound[device]]
                if device == "b-acc5" and rng.random() < 0.25:
                    record(device, order[0], "unreachable", at)
                    continue
                for tries, credential in enumerate(order[:3]):
                    at += dt.timedelta(seconds=1)
                    if credential == _works(device, day):
                        outcome = "command_timeout" if rng.random() < 0.03 else "success"
                        record(device, credential, outcome, at)
                        if outcome == "success":
                            bound[device] = credential
                        break
                    record(device, credential, "auth_rejected", at)
            store.record_attempt(ODD_DEVICE, "tacacs", "success", 100, at=night + dt.timedelta(minutes=10))
            truth[(format_ts(night + dt.timedelta(minutes=10))[:10], "tacacs", "success")] += 1
    return truth


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """(folder, report dict, html text, playbook output, ground truth) for one role run on a month of attempts."""
    folder = tmp_path_factory.mktemp("month")
    now = dt.datetime.now(dt.timezone.utc)
    store_url = f"sqlite:///{folder / 'metrics.db'}"
    truth = generate(store_url, now)
    hosts = {name: {"ansible_host": "127.0.0.1", "netraven_tags": tags} for name, tags in _devices().items()}
    creds = [{"name": name, "username": name, "password": secret, "priority": 10 * (i + 1),
              "tags": ["legacy"] if name == "legacy-enable" else ["nowhere"] if name == "breakglass" else ["default"]}
             for i, (name, secret) in enumerate(CANARIES.items())]
    (folder / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": {"netraven_credentials": creds}}}))
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
           "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_LOCAL_TEMP": str(folder / "ansible-local")}
    env.pop("NETRAVEN_METRICS_STORE", None)
    extra = {"credential_report_dir": str(folder / "out"), "credential_report_metrics_store": store_url,
             "credential_report_title": "Credential report: lab month", "credential_report_aaa_accounts": AAA}
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "netraven.core.credential_report",
           "-i", str(folder / "inventory.yml"), "-e", json.dumps(extra)]
    run = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    report = json.loads((folder / "out" / "report.json").read_text())
    html = (folder / "out" / "report.html").read_text()
    return folder, report, html, run.stdout + run.stderr, truth


class _DataCollector(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _parsed(html: str) -> list[tuple[str, dict]]:
    parser = _DataCollector()
    parser.feed(html)
    return parser.tags


def _rate(text: str):
    return None if text == "" else float(text)


def test_page_in_headless_chromium(month):
    folder, report, _html, _out, _truth = month
    check = """JSON.stringify({
        trends: document.querySelectorAll('svg.trend-chart').length,
        days: Array.from(document.querySelectorAll('svg.trend-chart')).map(s => s.querySelectorAll('g.day').length),
        bars: document.querySelectorAll('svg.trend-chart rect').length,
        cells: document.querySelectorAll('table.matrix td.rate').length,
        changes: document.querySelectorAll('svg.changes-chart').length,
        aaa: document.querySelectorAll('#aaa svg.aaa-gauge').length,
        metrics: document.querySelectorAll('[data-metric]').length,
        injected: Array.from(document.querySelectorAll('b')).filter(b => b.textContent === 'x').length,
        title: document.title,
        width: document.documentElement.scrollWidth})"""
    page = open_page(folder / "out" / "report.html", folder / "browser", expression=check)
    assert page.errors() == []
    assert page.requests == [(folder / "out" / "report.html").resolve().as_uri()]  # nothing from anywhere else
    dom = json.loads(page.value)
    assert dom["trends"] == len(report["credentials"]) == 5
    assert dom["days"] == [30] * 5 and dom["bars"] > 100
    assert dom["cells"] == len(report["coverage"]["rows"]) * len(report["coverage"]["credentials"])
    assert dom["changes"] == 0  # the report ran on its own: no backup in this run
    assert dom["aaa"] == 1 and dom["metrics"] == 8
    assert dom["injected"] == 0  # the odd device name made no <b> element
    assert dom["title"].startswith("Credential report: lab month")
    assert dom["width"] <= 1280  # no horizontal scrolling on a laptop screen
    assert page.screenshot.stat().st_size > 50_000 and page.print_screenshot.stat().st_size > 50_000
    assert page.pdf.read_bytes().startswith(b"%PDF")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for produced in (page.screenshot, page.print_screenshot, page.pdf, folder / "out" / "report.html"):
        shutil.copy(produced, OUTPUT / produced.name)


def test_page_numbers_match_the_json_report(month):
    _folder, report, html, _out, _truth = month
    tags = _parsed(html)
    summary = report["summary"]
    metrics = {a["data-metric"]: a["data-value"] for _t, a in tags if "data-metric" in a}
    for key in ("backed_up", "failed_devices", "changed", "no_credential_works", "flagged_credentials"):
        assert int(metrics[key]) == len(summary[key]), key
    assert int(metrics["devices_in_run"]) == summary["devices_in_run"]
    assert _rate(metrics["window_success_rate"]) == summary["window_success_rate"]
    cells = {(a["data-row"], a["data-credential"]): a for t, a in tags if t == "td" and "data-row" in a}
    for row in report["coverage"]["rows"]:
        for cell in row["cells"]:
            shown = cells[(row["name"], cell["credential"])]
            assert (int(shown["data-attempts"]), int(shown["data-successes"]), _rate(shown["data-rate"])) == (
                cell["attempts"], cell["successes"], cell["success_rate"])
    charts = [a["data-credential"] for t, a in tags if t == "svg" and "data-credential" in a]  # most used first
    assert sorted(charts) == [c["name"] for c in report["credentials"]] and charts[0] == "tacacs"
    days = [a for t, a in tags if t == "g" and "data-day" in a]
    for i, credential in enumerate(charts):
        series = report["trend"]["credentials"][credential]
        shown = days[30 * i: 30 * (i + 1)]
        assert [d["data-day"] for d in shown] == report["trend"]["days"]
        assert [int(d["data-attempts"]) for d in shown] == series["attempts"], credential
        assert [int(d["data-failures"]) for d in shown] == series["failures"], credential
    rows = {a["data-credential"]: a for t, a in tags if t == "tr" and "data-credential" in a}
    for cred in report["credentials"]:
        assert (int(rows[cred["name"]]["data-attempts"]), _rate(rows[cred["name"]]["data-rate"])) == (
            cred["attempts"], cred["success_rate"])
    flagged = {a["data-flag"]: int(a["data-count"]) for t, a in tags if t == "li" and "data-count" in a}
    assert flagged == {k: len(summary[k]) for k in ("no_credential_works", "never_successful", "unused", "never_attempted",
                                                    "aaa_budget_exhausted") if summary[k]}


def test_json_report_matches_the_generated_month(month):
    _folder, report, _html, out, truth = month
    days = report["trend"]["days"]
    for name, series in report["trend"]["credentials"].items():
        want = [sum(n for (d, c, _o), n in truth.items() if d == day and c == name) for day in days]
        assert series["attempts"] == want, name
        assert series["failures"] == [truth[(day, name, "auth_rejected")] for day in days], name
    creds = {c["name"]: c for c in report["credentials"]}
    assert creds["breakglass"]["flags"] == ["never_attempted"]
    assert creds["retired"]["flags"] == ["unused"] and creds["retired"]["window"]["attempts"] == 0
    assert creds["tacacs"]["flags"] == [] and creds["local-admin"]["flags"] == []
    tacacs = report["trend"]["credentials"]["tacacs"]
    assert tacacs["failures_7d"] > tacacs["failures_prev_7d"]  # the rotated password shows up this week
    assert report["summary"]["no_credential_works"] == ["c-sw6"]
    assert report["summary"]["aaa_budget_exhausted"] == ["tacacs-prod"]
    rows = {r["name"]: r for r in report["coverage"]["rows"]}
    legacy = {c["credential"]: c for c in rows["legacy"]["cells"]}
    assert legacy["legacy-enable"]["works_on"] == 2 and rows["legacy"]["devices"] == 6
    assert rows["site-a"]["devices"] == 7  # a-spare has no attempt, but is in the inventory
    assert "(not in inventory)" in rows  # the odd device lives in the store only
    assert "Credentials: cumulative over every run recorded in the metrics store" in out


def test_no_secret_and_names_escaped(month):
    folder, _report, html, out, _truth = month
    for path in (folder / "out").iterdir():
        text = path.read_text()
        assert [c for c in CANARIES.values() if c in text] == [], path.name
    assert [c for c in CANARIES.values() if c in out] == []
    assert ODD_DEVICE not in html and "odd&quot;&lt;b&gt;x&lt;/b&gt;&amp;" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html
