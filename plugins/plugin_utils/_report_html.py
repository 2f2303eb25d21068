# -*- coding: utf-8 -*-
# Copyright (c) netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the credential report's data model (``_report.build_report``) as one HTML page.

The page is self-contained: inline CSS and inline SVG charts, no script, no font, image or
style from anywhere else, and a Content-Security-Policy that forbids loading any (so a page
opened from a file share or an AWX artifact never reaches the network). It reads well on a
laptop screen (a responsive grid) and printed (A4, colours kept, no card split across pages).
Every text from the model is HTML-escaped; the model holds no secret, so neither does the page.

Numbers shown carry ``data-*`` attributes with the model's raw values, so tests (and scripts)
can check the page against ``report.json``.
"""
from __future__ import annotations

import datetime as _dt
from html import escape
from typing import Any, Iterable, Mapping, Optional, Sequence

# Coverage colours: (lowest success rate, background, label); no data is NO_DATA.
RATE_STEPS = (
    (0.95, "#bbf7d0", "95-100 %"),
    (0.80, "#d9f99d", "80-95 %"),
    (0.50, "#fde68a", "50-80 %"),
    (0.0001, "#fecaca", "1-50 %"),
    (0.0, "#fca5a5", "0 %"),
)
NO_DATA = "#f1f5f9"
SUCCESS, FAILURE, OTHER, CHANGED, UNCHANGED, NOT_RUN = "#16a34a", "#dc2626", "#94a3b8", "#2563eb", "#86efac", "#e2e8f0"

CSS = """
:root { --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --bg:#f8fafc; --card:#fff; --ok:#16a34a; --bad:#dc2626;
        --warn:#b45309; --accent:#2563eb; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI",
       Roboto, "Helvetica Neue", Arial, sans-serif; font-variant-numeric: tabular-nums; }
.page-head { background: var(--ink); color: #fff; padding: 20px 32px; display: flex; justify-content: space-between;
             align-items: flex-end; gap: 16px; flex-wrap: wrap; }
.page-head h1 { margin: 0; font-size: 24px; font-weight: 650; letter-spacing: -0.01em; }
.page-head .meta { margin: 4px 0 0; color: #cbd5e1; font-size: 13px; }
.page-head .brand { color: #94a3b8; font-size: 12px; text-transform: uppercase; letter-spacing: .08em; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 40px; }
section { margin: 0 0 28px; }
h2 { font-size: 17px; margin: 0 0 4px; font-weight: 650; }
.lead { color: var(--muted); margin: 0 0 12px; font-size: 13px; }
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(128px, 1fr)); gap: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
        break-inside: avoid; page-break-inside: avoid; }
.metric .label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; min-height: 2.6em; }
.metric .value { font-size: 28px; font-weight: 650; line-height: 1.2; margin-top: 2px; }
.metric .sub { color: var(--muted); font-size: 12px; }
.metric.good { border-top: 3px solid var(--ok); } .metric.bad { border-top: 3px solid var(--bad); }
.metric.warn { border-top: 3px solid #f59e0b; } .metric.info { border-top: 3px solid var(--accent); }
.metric.plain { border-top: 3px solid var(--line); }
.attention { list-style: none; margin: 0; padding: 0; }
.attention li { padding: 8px 12px; border-left: 4px solid var(--line); background: var(--card); margin-bottom: 6px;
                border-radius: 0 6px 6px 0; }
.attention li.bad { border-left-color: var(--bad); } .attention li.warn { border-left-color: #f59e0b; }
.attention li.ok { border-left-color: var(--ok); }
.attention .names { color: var(--muted); }
.gate { background: #fef2f2; border: 1px solid #fecaca; color: #991b1b; padding: 10px 12px; border-radius: 6px;
        margin-bottom: 12px; font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: var(--card); font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #f1f5f9; font-weight: 600; color: #334155; font-size: 12px; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.time, td.name { white-space: nowrap; }
table.matrix { width: auto; min-width: 50%; }
table.matrix td.rate { text-align: center; white-space: nowrap; min-width: 96px; }
table.matrix th[scope=row] { white-space: nowrap; }
table.matrix td.rate b { display: block; font-size: 14px; }
table.matrix td.rate span { color: #475569; font-size: 11px; }
table.matrix th.cred { text-align: center; }
.legend { display: flex; gap: 10px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin-top: 8px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -2px; margin-right: 4px;
            border: 1px solid #cbd5e1; }
.trends { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 12px; }
.trend h3 { font-size: 14px; margin: 0; display: flex; justify-content: space-between; gap: 8px; align-items: baseline; }
.trend .figures { color: var(--muted); font-size: 12px; margin: 2px 0 6px; }
.trend .delta-up { color: var(--bad); font-weight: 600; } .trend .delta-down { color: var(--ok); font-weight: 600; }
svg.chart { display: block; width: 100%; height: auto; }
svg text { font: 10px system-ui, sans-serif; fill: #64748b; }
.badge { display: inline-block; font-size: 11px; padding: 1px 7px; border-radius: 999px; background: #f1f5f9;
         color: #334155; border: 1px solid var(--line); white-space: nowrap; font-weight: 500; }
.badge.bad { background: #fef2f2; color: #991b1b; border-color: #fecaca; }
.badge.warn { background: #fffbeb; color: #92400e; border-color: #fde68a; }
.badge.ok { background: #f0fdf4; color: #166534; border-color: #bbf7d0; }
.badge.muted { color: var(--muted); }
.empty { color: var(--muted); background: var(--card); border: 1px dashed var(--line); border-radius: 8px; padding: 12px; }
.aaa-note { color: var(--muted); font-size: 12px; }
footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 12px; margin-top: 12px; }
@media (max-width: 700px) { main { padding: 16px; } .page-head { padding: 16px; } }
@media print {
  @page { size: A4; margin: 12mm; }
  body { background: #fff; font-size: 11px; }
  .page-head { padding: 0 0 8px; background: #fff; color: var(--ink); border-bottom: 2px solid var(--ink); }
  .page-head .meta, .page-head .brand { color: var(--muted); }
  main { max-width: none; padding: 12px 0 0; }
  section { break-inside: auto; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .trends { grid-template-columns: repeat(2, 1fr); }
  .summary { grid-template-columns: repeat(4, 1fr); }
  tr { break-inside: avoid; page-break-inside: avoid; }
  .scroll { overflow: visible; }
  table { font-size: 9.5px; }
  th, td { padding: 3px 5px; }
  td.time, td.name { white-space: normal; }
  table.matrix td.rate { min-width: 0; }
  .metric .value { font-size: 22px; }
}
"""

FLAG_CLASS = {"never_successful": "bad", "no_credential_works": "bad", "failed": "bad", "unused": "warn",
              "never_attempted": "warn", "needs_login_prompt_rule": "warn"}
FLAG_TEXT = {"never_successful": "never successful", "no_credential_works": "no credential works", "failed": "failed",
             "unused": "unused", "never_attempted": "never attempted", "needs_login_prompt_rule": "needs a login prompt rule"}


def _e(value: Any) -> str:
    """HTML-escaped text (quotes too); None as an en dash."""
    return "\u2013" if value is None else escape(str(value), quote=True)


def _attr(value: Any) -> str:
    """A raw value for a data-* attribute: None as empty, floats as given, lists comma-joined."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return _e(",".join(str(v) for v in value))
    return _e(value)


def _pct(rate: Optional[float]) -> str:
    return "\u2013" if rate is None else "%d %%" % round(rate * 100)


def _short_time(value: Any) -> str:
    """``2026-11-29T08:52:28.123456Z`` -> ``2026-11-29 08:52`` (UTC); other text as given."""
    text = str(value or "")
    return text[:10] + " " + text[11:16] if len(text) >= 16 and text[10] == "T" else text or "\u2013"


def _day_label(day: str) -> str:
    try:
        return _dt.date.fromisoformat(day).strftime("%d %b")
    except ValueError:
        return day


def _badges(flags: Iterable[str]) -> str:
    return " ".join('<span class="badge %s">%s</span>' % (FLAG_CLASS.get(f, "muted"), _e(FLAG_TEXT.get(f, f))) for f in flags)


def _rate_colour(rate: Optional[float]) -> str:
    if rate is None:
        return NO_DATA
    for lowest, colour, _label in RATE_STEPS:
        if rate >= lowest:
            return colour
    return RATE_STEPS[-1][1]


def _metric(key: str, label: str, value: Any, tone: str, sub: str = "", raw: Any = None) -> str:
    raw = value if raw is None else raw
    return ('<div class="card metric %s" data-metric="%s" data-value="%s"><div class="label">%s</div>'
            '<div class="value">%s</div><div class="sub">%s</div></div>'
            % (tone, _e(key), _attr(raw), _e(label), _e(value), _e(sub)))


def _summary(report: Mapping[str, Any]) -> str:
    s = report["summary"]
    in_run = s["devices_in_run"]
    failed = len(s["failed_devices"])
    none_works = len(s["no_credential_works"])
    flagged = len(s["flagged_credentials"])
    cards = [
        _metric("devices_in_run", "Devices in this run", in_run, "plain",
                "%d more in the store, not run" % s["not_in_run"] if s["not_in_run"] else "of %d in the store" % s["devices"]),
        _metric("backed_up", "Backed up", len(s["backed_up"]), "good" if in_run else "plain",
                "%s of this run" % _pct(len(s["backed_up"]) / in_run) if in_run else "no backup in this run"),
        _metric("failed_devices", "Failed", failed, "bad" if failed else "good",
                "%s of this run" % _pct(failed / in_run) if in_run else "no backup in this run"),
        _metric("changed", "Configs changed", len(s["changed"]), "info", "%d unchanged" % len(s["unchanged"])),
        _metric("no_credential_works", "No credential works", none_works, "bad" if none_works else "good", "devices"),
        _metric("flagged_credentials", "Credentials flagged", flagged, "warn" if flagged else "good",
                "of %d credentials" % s["credentials"]),
        _metric("window_success_rate", "Login success rate", _pct(s["window_success_rate"]), "plain",
                "last %d days, %d attempts" % (report["window_days"], s["window_attempts"]), raw=s["window_success_rate"]),
        _metric("run_attempts", "Login attempts", s["run_attempts"] if s["run_attempts"] is not None else "\u2013", "plain",
                "in this run", raw=s["run_attempts"]),
    ]
    return '<section class="summary" aria-label="Summary">%s</section>' % "".join(cards)


def _attention(report: Mapping[str, Any]) -> str:
    s = report["summary"]
    items = [
        ("bad", "no_credential_works", "Devices where no credential works", s["no_credential_works"]),
        ("bad", "never_successful", "Credentials never successful", s["never_successful"]),
        ("bad", "failed_devices", "Devices that failed in this run", s["failed_devices"]),
        ("warn", "needs_login_prompt_rule", "Devices that ask something after login no netraven_login_prompts rule answers",
         s.get("needs_login_prompt_rule") or []),
        ("warn", "unused", "Credentials with no attempt in %d days" % report["unused_days"], s["unused"]),
        ("warn", "never_attempted", "Credentials never attempted (tags match no device, or never decrypted)",
         s["never_attempted"]),
    ]
    if report.get("aaa_accounts"):
        items.append(("bad", "aaa_budget_exhausted", "Shared AAA accounts whose attempt budget ran out",
                      s["aaa_budget_exhausted"]))
    raised = [i for i in items if i[3]]
    gate = report.get("gate") or {}
    out = ['<section id="attention"><h2>Needs attention</h2>']
    if gate.get("message"):
        out.append('<div class="gate" data-gate="raised">%s</div>' % _e(gate["message"]))
    if not raised:
        out.append('<ul class="attention"><li class="ok" data-flag="none">Nothing flagged: every device has a working '
                   'credential and every credential was used in the last %d days.</li></ul>' % report["unused_days"])
    else:
        out.append('<ul class="attention">')
        for tone, key, text, names in raised:
            shown = ", ".join(names[:12]) + (" and %d more" % (len(names) - 12) if len(names) > 12 else "")
            out.append('<li class="%s" data-flag="%s" data-count="%d"><b>%s (%d):</b> <span class="names">%s</span></li>'
                       % (tone, key, len(names), _e(text), len(names), _e(shown)))
        out.append("</ul>")
    out.append("</section>")
    return "".join(out)


def _left_out(report: Mapping[str, Any], shown: Sequence[str]) -> str:
    missing = [c["name"] for c in report["credentials"] if c["name"] not in shown]
    return " Not tried in the window, so left out: %s." % _e(", ".join(missing)) if missing else ""


def _coverage(report: Mapping[str, Any]) -> str:
    cov = report["coverage"]
    by = cov["by"]
    out = ['<section id="coverage"><h2>Coverage: %s against credentials</h2>' % _e(by),
           '<p class="lead">Success rate of each credential on the devices of each %s, last %d days (counted logins: '
           'success, rejected, enable refused); credentials most tried first. A grey cell: never tried there.%s</p>'
           % (_e("tag" if by == "tags" else "group"), report["window_days"], _left_out(report, cov["credentials"]))]
    if not cov["rows"] or not cov["credentials"]:
        out.append('<p class="empty">No devices or credentials recorded yet.</p></section>')
        return "".join(out)
    out.append('<div class="scroll"><table class="matrix"><thead><tr><th>%s</th><th class="num">devices</th>'
               % _e(by[:-1] if by.endswith("s") else by))
    out.extend('<th class="cred">%s</th>' % _e(name) for name in cov["credentials"])
    out.append("</tr></thead><tbody>")
    for row in cov["rows"]:
        out.append('<tr><th scope="row">%s</th><td class="num">%d</td>' % (_e(row["name"]), row["devices"]))
        for cell in row["cells"]:
            rate = cell["success_rate"]
            tip = ("%s on %s: %d of %d logins worked; tried on %d devices, works on %d"
                   % (cell["credential"], row["name"], cell["successes"], cell["attempts"], cell["devices"], cell["works_on"]))
            body = ("<b>%s</b><span>%d/%d</span>" % (_pct(rate), cell["successes"], cell["attempts"])
                    if rate is not None else "<span>not tried</span>")
            out.append('<td class="rate" style="background:%s" title="%s" data-row="%s" data-credential="%s" '
                       'data-rate="%s" data-attempts="%d" data-successes="%d">%s</td>'
                       % (_rate_colour(rate), _e(tip), _e(row["name"]), _e(cell["credential"]), _attr(rate),
                          cell["attempts"], cell["successes"], body))
        out.append("</tr>")
    out.append("</tbody></table></div>")
    legend = "".join('<span><i style="background:%s"></i>%s</span>' % (colour, label) for _l, colour, label in RATE_STEPS)
    out.append('<div class="legend">%s<span><i style="background:%s"></i>not tried</span></div></section>' % (legend, NO_DATA))
    return "".join(out)


def _trend_chart(name: str, days: Sequence[str], values: Mapping[str, Sequence[int]]) -> str:
    """Stacked daily bars (successes, failures, other) in a 320x96 SVG, with a y maximum and the first/last date."""
    width, height, left, top, bottom = 320.0, 96.0, 22.0, 8.0, 16.0
    plot_w, plot_h = width - left - 2, height - top - bottom
    peak = max([int(a) for a in values["attempts"]] + [1])
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot - 2, 1.5)
    parts = ['<svg class="chart trend-chart" viewBox="0 0 %d %d" role="img" aria-label="%s" data-credential="%s">'
             % (width, height, _e("Daily attempts of %s, last %d days" % (name, len(days))), _e(name)),
             '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#cbd5e1" stroke-width="1"/>'
             % (left, top + plot_h, width - 2, top + plot_h),
             '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#f1f5f9" stroke-width="1"/>'
             % (left, top, width - 2, top),
             '<text x="%.1f" y="%.1f" text-anchor="end">%d</text>' % (left - 4, top + 4, peak),
             '<text x="%.1f" y="%.1f" text-anchor="end">0</text>' % (left - 4, top + plot_h + 3)]
    for i, day in enumerate(days):
        attempts, ok, bad = int(values["attempts"][i]), int(values["successes"][i]), int(values["failures"][i])
        other = max(attempts - ok - bad, 0)
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        parts.append('<g class="day" data-day="%s" data-attempts="%d" data-successes="%d" data-failures="%d">'
                     '<title>%s: %d attempts, %d successes, %d failures, %d other</title>'
                     % (_e(day), attempts, ok, bad, _e(day), attempts, ok, bad, other))
        for count, colour in ((ok, SUCCESS), (bad, FAILURE), (other, OTHER)):
            if count:
                h = plot_h * count / peak
                y -= h
                parts.append('<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"/>' % (x, y, bar_w, h, colour))
        parts.append("</g>")
    if not any(int(a) for a in values["attempts"]):
        parts.append('<text x="%.1f" y="%.1f" text-anchor="middle">no attempt in these %d days</text>'
                     % (left + plot_w / 2, top + plot_h / 2 + 3, len(days)))
    if days:
        parts.append('<text x="%.1f" y="%.1f">%s</text>' % (left, height - 3, _e(_day_label(days[0]))))
        parts.append('<text x="%.1f" y="%.1f" text-anchor="end">%s</text>' % (width - 2, height - 3, _e(_day_label(days[-1]))))
    parts.append("</svg>")
    return "".join(parts)


def _trends(report: Mapping[str, Any]) -> str:
    trend = report["trend"]
    days = trend["days"]
    out = ['<section id="trends"><h2>Daily attempts per credential</h2>',
           '<p class="lead">Last %d days, all outcomes: <span class="badge ok">success</span> '
           '<span class="badge bad">rejected or enable refused</span> <span class="badge muted">other (unreachable, '
           'timeouts, lockouts...)</span>. Most used first; each chart has its own scale.</p>' % len(days)]
    if not report["credentials"]:
        out.append('<p class="empty">No credentials recorded yet.</p></section>')
        return "".join(out)
    out.append('<div class="trends">')
    for cred in sorted(report["credentials"], key=lambda c: (-c["window"]["attempts"], c["name"])):  # most used first
        values = trend["credentials"].get(cred["name"])
        if values is None:
            continue
        window = cred["window"]
        counted = window["successes"] + window["failures"]
        now, before = values.get("failures_7d", 0), values.get("failures_prev_7d", 0)
        delta = ""
        if now != before:
            delta = (' \u00b7 <span class="%s">failures %s %d vs the week before</span>'
                     % ("delta-up" if now > before else "delta-down", "\u25b2" if now > before else "\u25bc", abs(now - before)))
        out.append('<div class="card trend" data-credential="%s"><h3><span>%s</span><span>%s</span></h3>'
                   '<div class="figures" data-window-attempts="%d" data-window-failures="%d">%d attempts, %s success, '
                   '%d failures%s</div>%s</div>'
                   % (_e(cred["name"]), _e(cred["name"]), _badges(cred["flags"]), window["attempts"], window["failures"],
                      window["attempts"], _pct(window["successes"] / counted) if counted else "\u2013", window["failures"],
                      delta, _trend_chart(cred["name"], days, values)))
    out.append("</div></section>")
    return "".join(out)


def _no_credential(report: Mapping[str, Any]) -> str:
    names = set(report["summary"]["no_credential_works"])
    rows = [d for d in report["devices"] if d["name"] in names]
    out = ['<section id="no-credential"><h2>Devices where no credential works</h2>',
           '<p class="lead">Every credential tried was rejected (this run, or the last %d days for devices not in this run).'
           '</p>' % report["window_days"]]
    if not rows:
        out.append('<p class="empty" data-count="0">None: every device tried has a working credential.</p></section>')
        return "".join(out)
    out.append('<div class="scroll"><table class="no-credential" data-count="%d"><thead><tr><th>device</th><th>tags</th>'
               '<th>this run</th><th>credentials rejected</th><th class="num">attempts (%d days)</th>'
               '<th>last success</th></tr></thead><tbody>' % (len(rows), report["window_days"]))
    for d in rows:
        out.append('<tr data-device="%s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="num">%d</td><td>%s</td></tr>'
                   % (_e(d["name"]), _e(d["name"]), _e(", ".join(d["tags"])),
                      _e(d["outcome"]) if d["in_run"] else '<span class="badge muted">not run</span>',
                      _e(", ".join(d["rejected_by"]) or "\u2013"), d["logged_attempts"], _e(_short_time(d["last_success"]))))
    out.append("</tbody></table></div></section>")
    return "".join(out)


def _changes(report: Mapping[str, Any]) -> str:
    s = report["summary"]
    failed = len(s["failed_devices"])
    parts = [("changed", "changed", len(s["changed"]), CHANGED), ("unchanged", "unchanged", len(s["unchanged"]), UNCHANGED),
             ("failed", "not written (failed)", failed, FAILURE), ("not_in_run", "not in this run", s["not_in_run"], NOT_RUN)]
    out = ['<section id="changes"><h2>Backup changes in this run</h2>']
    if not s["devices_in_run"]:
        out.append('<p class="empty">No backup ran with this report (it was built on its own).</p></section>')
        return "".join(out)
    out.append('<p class="lead">Configurations this run wrote that differ from the previous backup; unchanged files '
               'were left as they were.</p><div class="card">')
    total = sum(p[2] for p in parts) or 1
    x = 0.0
    svg = ['<svg class="chart changes-chart" viewBox="0 0 600 28" preserveAspectRatio="none" role="img" '
           'aria-label="Backup changes in this run">']
    for key, label, count, colour in parts:
        if count:
            w = 600.0 * count / total
            svg.append('<rect x="%.2f" y="0" width="%.2f" height="28" fill="%s" data-part="%s" data-count="%d">'
                       '<title>%s: %d</title></rect>' % (x, w, colour, key, count, _e(label), count))
            x += w
    svg.append("</svg>")
    out.append("".join(svg))
    out.append('<div class="legend">%s</div></div></section>' % "".join(
        '<span data-part="%s" data-count="%d"><i style="background:%s"></i>%s: <b>%d</b></span>'
        % (key, count, colour, _e(label), count) for key, label, count, colour in parts))
    return "".join(out)


def _table_section(key: str, title: str, lead: str, headers: Sequence[str], rows: Sequence[str]) -> str:
    """A report section ``key`` (its id and the table's class) with a heading, a lead paragraph and a
    scrolling table; ``headers``: column labels, a ``#`` prefix marks a numeric column; ``rows``: ``<tr>`` HTML."""
    head = "".join('<th class="num">%s</th>' % _e(h[1:]) if h.startswith("#") else "<th>%s</th>" % _e(h) for h in headers)
    return ('<section id="%s"><h2>%s</h2><p class="lead">%s</p><div class="scroll"><table class="%s"><thead><tr>%s</tr>'
            '</thead><tbody>%s</tbody></table></div></section>' % (key, _e(title), _e(lead), key, head, "".join(rows)))


def _aaa(report: Mapping[str, Any]) -> str:
    accounts = report.get("aaa_accounts") or []
    if not accounts:
        return ""
    out = []
    for a in accounts:
        threshold = a["lockout_threshold"]
        gauge = ""
        if threshold:
            fill = min(a["streak"] / threshold, 1.0)
            colour = FAILURE if a["streak"] >= threshold - 1 else "#f59e0b" if a["streak"] else SUCCESS
            gauge = ('<svg class="chart aaa-gauge" viewBox="0 0 120 10" width="120" height="10" role="img" aria-label="%s">'
                     '<rect x="0" y="0" width="120" height="10" fill="#f1f5f9"/><rect x="0" y="0" width="%.1f" height="10" '
                     'fill="%s"/></svg> ' % (_e("streak %d of %d" % (a["streak"], threshold)), 120 * fill, colour))
        out.append('<tr data-account="%s"><td>%s</td><td>%s</td><td>%s%d / %s</td><td class="num">%s</td>'
                   '<td class="num">%s</td><td>%s</td><td>%s</td></tr>'
                   % (_e(a["name"]), _e(a["name"]), _e(", ".join(a["credentials"]) or "\u2013"), gauge, a["streak"],
                      _e(threshold), _e(a["highest_streak"]),
                      ('<span class="badge bad">%d</span>' % a["budget_exhausted"]) if a["budget_exhausted"] else "0",
                      _e(", ".join(a["skipped_on"]) or "\u2013"), _e(_short_time(a["last_success"]))))
    return _table_section("aaa", "Shared AAA accounts",
                          "Failures each AAA server counts since the account's last success, fleet-wide, against its "
                          "lockout threshold; attempts the guard did not admit (budget exhausted) and where.",
                          ("account", "credentials", "streak / threshold", "#highest streak", "#budget exhausted",
                           "skipped on", "last success"), out)


def _credential_table(report: Mapping[str, Any]) -> str:
    out = []
    for c in report["credentials"]:
        out.append('<tr data-credential="%s" data-attempts="%d" data-successes="%d" data-failures="%d" data-rate="%s">'
                   '<td class="name">%s</td><td class="num">%d</td><td class="num">%d</td><td class="num">%d</td><td class="num">%d</td>'
                   '<td class="num">%s</td><td class="time">%s</td><td class="time">%s</td><td>%s</td></tr>'
                   % (_e(c["name"]), c["attempts"], c["successes"], c["failures"], _attr(c["success_rate"]), _e(c["name"]),
                      c["attempts"], c["successes"], c["failures"], c["enable_failures"], _pct(c["success_rate"]),
                      _e(_short_time(c["last_success"])), _e(_short_time(c["last_attempt"])), _badges(c["flags"])))
    return _table_section("credentials", "Credentials",
                          "Cumulative over every run recorded in the metrics store (counted logins: success, rejected, "
                          "enable refused); last attempt of any outcome.",
                          ("credential", "#attempts", "#successes", "#failures", "#enable failures", "#success rate",
                           "last success", "last attempt", "flags"), out)


def _device_table(report: Mapping[str, Any]) -> str:
    out = []
    for d in report["devices"]:
        outcome = ('<span class="badge %s">%s</span>' % ("ok" if d["outcome"] == "success" else "bad", _e(d["outcome"]))
                   if d["in_run"] else '<span class="badge muted">not run in this run</span>')
        changed = "\u2013" if d["changed"] is None else ("yes" if d["changed"] else "no")
        out.append('<tr data-device="%s" data-outcome="%s"><td class="name">%s</td><td>%s</td><td>%s</td><td class="num">%s</td>'
                   '<td>%s</td><td>%s</td><td class="time">%s</td><td>%s</td></tr>'
                   % (_e(d["name"]), _attr(d["outcome"]), _e(d["name"]), _e(", ".join(d["tags"])), outcome,
                      _e(d["attempts"]), changed, _e(d["credential"]), _e(_short_time(d["last_success"])), _badges(d["flags"])))
    return _table_section("devices", "Devices",
                          "Outcome and attempts of this run; the bound credential is the one that last worked (learned "
                          "order tries it first).",
                          ("device", "tags", "this run", "#attempts", "changed", "bound credential", "last success", "flags"), out)


def render_html(report: Mapping[str, Any], title: str = "Credential report") -> str:
    """The report page for ``report`` (a ``build_report`` dict) as one HTML document (str).

    Raises KeyError when ``report`` lacks a key ``build_report`` always sets.
    """
    head = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">'
            '<meta name="generator" content="netraven.core.credential_report">'
            '<title>%s \u2013 %s</title><style>%s</style></head><body>'
            % (_e(title), _e(_short_time(report["generated"])), CSS))
    header = ('<header class="page-head"><div><h1>%s</h1><p class="meta">Generated %s UTC \u00b7 trend and coverage: '
              'last %d days \u00b7 unused after %d days without an attempt</p></div>'
              '<div class="brand">netraven.core credential report</div></header>'
              % (_e(title), _e(_short_time(report["generated"])), report["window_days"], report["unused_days"]))
    sections = [_summary, _attention, _coverage, _trends, _no_credential, _changes, _aaa, _credential_table, _device_table]
    body = "\n".join(section(report) for section in sections)
    footer = ('<footer>Built by the role netraven.core.credential_report from the metrics store: names, counters, outcome '
              'words and times only, never a secret. The same data is in report.json.</footer>')
    return "%s\n%s\n<main>\n%s\n%s\n</main></body></html>\n" % (head, header, body, footer)
