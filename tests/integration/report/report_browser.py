"""Open a page in headless Chromium over the DevTools protocol (CDP) on a pipe, standard library only.

``open_page(html, out_dir)`` starts Debian's ``chromium --headless --remote-debugging-pipe`` (the
protocol on file descriptors 3 and 4, NUL-separated JSON: no port, no websocket library), loads
the file, and returns what a reviewer needs: console messages and uncaught exceptions
(``Runtime.consoleAPICalled``, ``Runtime.exceptionThrown``), browser log entries (``Log.entryAdded``:
CSP violations, failed loads), every URL the page requested (``Network.requestWillBeSent``), the
value of a JavaScript expression evaluated in the page (DOM checks), a full-page PNG screenshot
and a PDF print of it (A4, backgrounds on) in ``out_dir``.

``find_chromium()`` returns the browser's path or None; ``chromium_or_skip()`` skips the calling
test with the reason (laptop) or fails it under ``CI=true`` (CI must run it; ``make test`` installs
Debian's chromium when root).
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """``$NETRAVEN_TEST_CHROMIUM`` or the first Chromium on PATH, else None."""
    explicit = os.environ.get("NETRAVEN_TEST_CHROMIUM")
    if explicit:
        return explicit
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_or_skip() -> str:
    """The Chromium path; skip (laptop) or fail (``CI=true``) when there is none."""
    found = find_chromium()
    if found:
        return found
    reason = ("headless Chromium not found (Debian: apt-get install chromium; `make test` installs it when run as root; "
              "or set NETRAVEN_TEST_CHROMIUM)")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true: the report page test must run)")
    pytest.skip(reason)


@dataclass
class PageResult:
    """What one page load showed (see the module docstring)."""

    console: list[dict] = field(default_factory=list)
    exceptions: list[dict] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    value: Any = None
    screenshot: Path | None = None
    print_screenshot: Path | None = None
    pdf: Path | None = None

    def errors(self) -> list[str]:
        """Console errors/warnings, uncaught exceptions and browser log errors, as text."""
        found = [f"console.{c['type']}: {c['text']}" for c in self.console if c["type"] in ("error", "warning", "assert")]
        found += [f"exception: {e}" for e in self.exceptions]
        found += [f"log {e.get('level')}: {e.get('text')} {e.get('url', '')}" for e in self.log
                  if e.get("level") in ("error", "warning")]
        return found


class _Pipe:
    """The DevTools protocol over Chromium's --remote-debugging-pipe."""

    def __init__(self, proc: subprocess.Popen, write_fd: int, read_fd: int) -> None:
        self.proc, self.write_fd, self.read_fd = proc, write_fd, read_fd
        self.next_id = 0
        self.buffer = b""
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60.0) -> dict:
        """Send one command and return its ``result``; raise RuntimeError on a protocol error or timeout."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        reply = self.wait(lambda m: m.get("id") == self.next_id, timeout, what=method)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait(self, match, timeout: float, what: str) -> dict:
        """Read messages until one satisfies ``match``; every other message is kept in ``events``."""
        for index, message in enumerate(self.events):
            if match(message):
                return self.events.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                message = json.loads(raw)
                if match(message):
                    return message
                self.events.append(message)
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"chromium: no answer to {what} within {timeout:.0f} s")
            readable = select.select([self.read_fd], [], [], left)[0]
            if readable:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium exited while waiting for {what} (rc {self.proc.poll()})")
                self.buffer += chunk


def open_page(html: Path, out_dir: Path, expression: str = "null", width: int = 1280, height: int = 900,
              chromium: str | None = None, timeout: float = 90.0) -> PageResult:
    """Load ``html`` (a file) in headless Chromium; see the module docstring. Raises RuntimeError on failure."""
    chromium = chromium or chromium_or_skip()
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd_r, cmd_w = os.pipe()   # we write commands, chromium reads them on fd 3
    res_r, res_w = os.pipe()   # chromium writes answers on fd 4, we read them

    def child_fds() -> None:
        os.dup2(cmd_r, 3)
        os.dup2(res_w, 4)

    profile = tempfile.mkdtemp(prefix="netraven-chromium-")
    args = [chromium, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--metrics-recording-only", "--mute-audio",
            f"--user-data-dir={profile}", "about:blank"]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                            stderr=open(out_dir / "chromium.log", "wb"), pass_fds=(3, 4),  # noqa: SIM115
                            preexec_fn=child_fds)  # noqa: PLW1509 - dup2 into fds 3/4 before exec; no threads here
    os.close(cmd_r)
    os.close(res_w)
    pipe = _Pipe(proc, cmd_w, res_r)
    result = PageResult()
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
        session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            pipe.send(f"{domain}.enable", session=session)
        pipe.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        pipe.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
        pipe.wait(lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == session, timeout, "page load")
        value = pipe.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
        if "exceptionDetails" in value:
            raise RuntimeError(f"evaluating the DOM check failed: {value['exceptionDetails']}")
        result.value = value["result"].get("value")
        metrics = pipe.send("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        clip = {"x": 0, "y": 0, "width": width, "height": int(size["height"]), "scale": 1}
        shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip},
                         session=session)
        result.screenshot = out_dir / "report.png"
        result.screenshot.write_bytes(base64.b64decode(shot["data"]))
        pipe.send("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
        pipe.send("Emulation.setDeviceMetricsOverride",  # about an A4 page at 96 dpi, as printed
                  {"width": 794, "height": 1123, "deviceScaleFactor": 1, "mobile": False}, session=session)
        metrics = pipe.send("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                    "clip": {"x": 0, "y": 0, "width": 794, "height": int(size["height"]), "scale": 1}},
                         session=session)
        result.print_screenshot = out_dir / "report-print.png"
        result.print_screenshot.write_bytes(base64.b64decode(shot["data"]))
        pdf = pipe.send("Page.printToPDF", {"printBackground": True, "paperWidth": 8.27, "paperHeight": 11.69,
                                            "preferCSSPageSize": True}, session=session)
        result.pdf = out_dir / "report.pdf"
        result.pdf.write_bytes(base64.b64decode(pdf["data"]))
        # Let late console messages and log entries arrive, then sort the events.
        pipe.send("Runtime.evaluate", {"expression": "1"}, session=session)
        for message in pipe.events:
            method, params = message.get("method"), message.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                result.console.append({"type": params.get("type"), "text": text})
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                result.exceptions.append(details.get("exception", {}).get("description") or details.get("text"))
            elif method == "Log.entryAdded":
                result.log.append(params.get("entry", {}))
            elif method == "Network.requestWillBeSent":
                result.requests.append(params.get("request", {}).get("url"))
        try:
            pipe.send("Browser.close", timeout=10)
        except RuntimeError:
            pass
    finally:
        os.close(cmd_w)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(res_r)
        shutil.rmtree(profile, ignore_errors=True)
    return result
