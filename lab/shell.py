"""The interactive CLI of one lab device over an SSH channel.

``Shell(channel, ctx).run()`` reads keystrokes, echoes them like a terminal, and answers
commands from the platform table (:mod:`lab.platforms`). Output uses CRLF line ends. Command
output is followed by one CRLF and the prompt, so a client that strips the echo line and the
prompt line (netmiko ``send_command``) gets the configured running-config byte for byte.
Paging is on (24 lines) until the client sends ``terminal length 0`` / ``set cli screen-length 0``.
"""
from __future__ import annotations

import hashlib
import time
from typing import Any, Callable, Iterator

from .platforms import PLATFORMS, Platform, match

PAGE_DEFAULT = 24
EXEC_CLOSE_DELAY_S = 0.2
"""Seconds an exec channel stays open after its answer (see ``Shell.run_exec``)."""


class SessionClosed(Exception):
    """The client went away (EOF) or the session asked to close."""


class Shell:  # pylint: disable=too-many-instance-attributes
    """One CLI session on ``channel`` (a paramiko Channel) for ``device`` (spec.Device).

    ``username`` is the logged-in user (Junos prompt); ``check_enable(typed) -> bool`` checks an
    enable secret and writes the auth log. Sessions start in ``>`` when the device has an enable
    secret, else in ``#``.
    """

    def __init__(self, channel: Any, device: Any, username: str, check_enable: Callable[[str], bool]) -> None:
        self.chan = channel
        self.dev = device
        self.user = username
        self.check_enable = check_enable
        self.plat: Platform = PLATFORMS[device.platform]
        self.host = device.hostname
        self.mode = "user" if (device.enable_secret and self.plat.has_enable) else "priv"
        self.page_len = PAGE_DEFAULT
        self._keys = self._keystrokes()
        self._pending_lf = False
        self.extra = {" ".join(cmd.split()): (out, delay) for cmd, out, delay in device.commands}

    # ---- low-level I/O ---------------------------------------------------------------
    def send(self, text: str) -> None:
        """Write ``text`` to the client, LF turned into CRLF."""
        self.chan.sendall(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))

    def _keystrokes(self) -> Iterator[str]:
        while True:
            data = self.chan.recv(4096)
            if not data:
                return
            yield from data.decode("utf-8", errors="replace")

    def getc(self) -> str:
        """Next typed character; raises SessionClosed at EOF."""
        try:
            return next(self._keys)
        except StopIteration:
            raise SessionClosed() from None

    def readline(self, echo: bool = True) -> str:
        """Read one line (CR, LF or CRLF ends it), echoing like a terminal when ``echo``."""
        buf: list[str] = []
        while True:
            ch = self.getc()
            if ch == "\n" and self._pending_lf:
                self._pending_lf = False
                continue
            self._pending_lf = ch == "\r"
            if ch in "\r\n":
                self.send("\n")
                return "".join(buf)
            if ch in "\x7f\x08":
                if buf:
                    buf.pop()
                    if echo:
                        self.send("\b \b")
                continue
            if ch == "\x03":
                buf = []
                continue
            if ch == "\x1a":  # Ctrl-Z leaves configuration mode like `end`
                self.send("\n")
                return "end"
            if ch < " " and ch != "\t":
                continue
            buf.append(ch)
            if echo:
                self.send(ch)

    def prompt(self) -> str:
        """The current prompt string."""
        return self.plat.prompt(self.host, self.user, self.mode)

    def show_prompt(self) -> None:
        """Print the prompt (Junos puts ``[edit]`` on its own line before it in config mode)."""
        if self.plat.junos and self.mode == "config":
            self.send("[edit]\n" + self.prompt())
        else:
            self.send(self.prompt())

    def page(self, text: str) -> None:
        """Print ``text``; with paging on, stop every page at the platform's --More-- prompt.

        Space shows the next page, Enter one more line, anything else ends the output.
        """
        lines = text.split("\n")
        if self.page_len == 0 or len(lines) <= self.page_len:
            self.send(text)
            return
        i, step = 0, self.page_len - 1
        while i < len(lines):
            chunk = lines[i:i + step]
            i += step
            self.send("\n".join(chunk) + ("\n" if i < len(lines) else ""))
            if i >= len(lines):
                return
            self.send(self.plat.more)
            key = self.getc()
            erase = "\b" * len(self.plat.more) + " " * len(self.plat.more) + "\b" * len(self.plat.more)
            self.chan.sendall(erase.encode())
            if key == " ":
                step = self.page_len - 1
            elif key in "\r\n":
                step = 1
            else:
                return

    # ---- session flows -----------------------------------------------------------------
    def run(self, beh: Any = None) -> None:
        """Serve the session until exit/EOF; ``beh`` (spec.Behaviours) says what comes before the CLI.

        In this order: an expired password (never reaches the CLI), a paged MOTD, "Press any key
        to continue", a banner to acknowledge, a password-change question. Always closes the channel.
        """
        try:
            if beh is not None and not self._before_cli(beh):
                return
            if self.plat.junos:
                self.send("--- JUNOS 21.4R1.12 Kernel 64-bit  JNPR-12.1-20211208.4564f2c_buil\n\n")
            else:
                self.send("\n")
            self.show_prompt()
            while True:
                line = self.readline()
                if self.execute(line) == "exit":
                    return
                self.show_prompt()
        except (SessionClosed, OSError, EOFError):
            return
        finally:
            self._close()

    def _before_cli(self, beh: Any) -> bool:
        """The behaviours between login and the first prompt; False when the session must end."""
        if beh.password_expired:
            self._password_expired()
            return False
        if beh.paged_banner:
            lines = [f"Banner line {i:03d} of {beh.paged_banner}: authorised access only." for i in range(1, beh.paged_banner + 1)]
            self.send("\n")
            self.page("\n".join(lines) + "\n")
        if beh.any_key_prompt is not None:
            self.send("\n" + beh.any_key_prompt)
            self.getc()
            self.send("\n")
        if beh.banner_prompt is not None and not self._banner_ack(beh.banner_prompt, beh.banner_answer, beh.banner_strict):
            self.send("\n% Banner not acknowledged: disconnecting\n")
            return False
        if beh.password_change_prompt is not None:
            return self._password_change(beh.password_change_prompt, beh.password_change_insist)
        return True

    def _banner_ack(self, prompt: str, answer: str, strict: bool) -> bool:
        """Ask ``prompt``; True when ``answer`` is given. ``strict`` (FortiGate's post-login-banner):
        the answer is read key by key, unechoed, and the first wrong byte ends the session;
        otherwise a whole line is read and compared case-insensitively."""
        self.send("\n" + prompt)
        if not strict:
            return self.readline().strip().lower() == answer.lower()
        return all(self.getc() == expected for expected in answer)

    def _password_change(self, prompt: str, insist: bool) -> bool:
        """Huawei-style ``Change now? [Y/N]:``. N continues to the CLI unless ``insist`` (then the
        question comes back once more, and a second N ends the session); Y leads to the expired
        password dialogue; anything else gets Huawei's error line, three times at most."""
        self.send("\n" + prompt)
        refusals = 0
        for _turn in range(3):
            answer = self.readline().strip().upper()
            if answer in ("Y", "YES"):
                self._password_expired()
                return False
            if answer in ("N", "NO"):
                refusals += 1
                if not insist:
                    return True
                if refusals > 1:
                    self.send("% The password must be changed: disconnecting\n")
                    return False
                self.send("Error: The password must be changed.\n" + prompt.rsplit("\n", 1)[-1])
                continue
            self.send("Error: Please choose 'YES' or 'NO' first before pressing 'Enter'. [Y/N]:")
        self.send("\n% No answer: disconnecting\n")
        return False

    def _password_expired(self) -> None:
        self.send("\n% Password expired\nNew Password: ")
        for _attempt in range(3):
            self.readline(echo=False)
            self.send("% Password change is not possible now\nNew Password: ")
        self.send("\n% Password change failed: disconnecting\n")

    def _close(self) -> None:
        try:
            self.chan.send_exit_status(0)
            self.chan.close()
        except Exception:  # noqa: BLE001 - the peer may already be gone  # pylint: disable=broad-except
            pass

    def run_exec(self, command: str) -> None:
        """Answer one ``exec`` request (``ssh host 'show version'``) and close.

        This thread starts inside paramiko's ``check_channel_exec_request``, before the transport
        thread has sent the request's SSH_MSG_CHANNEL_SUCCESS (RFC 4254 section 5.4); a close sent
        before that reply makes the client's ``exec_command`` fail with "Channel closed" (seen on a
        loaded machine). Output may go first (the client buffers it); the close waits a moment.
        """
        try:
            self.mode = "priv"
            self.execute(command)
        except (SessionClosed, OSError, EOFError):
            pass
        finally:
            time.sleep(EXEC_CLOSE_DELAY_S)
            self._close()

    def execute(self, line: str) -> str | None:
        """Run one command line; returns ``'exit'`` when the session should end."""
        stripped = " ".join(line.split())
        if not stripped or stripped.startswith(("!", "#")):
            return None
        if stripped in self.extra:
            output, delay = self.extra[stripped]
            if delay:
                time.sleep(delay)
            self._output(output)
            return None
        words = stripped.split()
        if self.mode == "config":
            return self._config_line(words)
        handler, bad, incomplete = match(self.plat.table, words)
        if handler in ("show_config",) and self.mode == "user" and not self.plat.junos:
            handler, bad = None, 1
        if handler is None:
            self._invalid(line, bad, incomplete)
            return None
        return getattr(self, "do_" + handler)(words)

    def _output(self, text: str) -> None:
        if text:
            self.page(text)
            self.send("\n")

    def _invalid(self, line: str, bad: int, incomplete: bool) -> None:
        """Print the platform's error for ``line`` (caret under word number ``bad``)."""
        if incomplete:
            self.send(self.plat.incomplete_text + "\n")
            return
        if self.plat.caret:
            col = len(self.prompt()) + _word_column(line, bad)
            self.send(" " * col + "^\n" + self.plat.invalid_text + "\n" + ("" if self.plat.junos else "\n"))
        else:
            self.send(self.plat.invalid_text + "\n")

    def _config_line(self, words: list[str]) -> str | None:
        first = words[0].lower()
        if self.plat.junos:
            if first == "commit":
                self.send("commit complete\n")
            elif first in ("exit", "quit") or words[:2] == ["exit", "configuration-mode"]:
                self.send("Exiting configuration mode\n")
                self.mode = "priv"
            return None
        if first in ("end", "exit"):
            self.mode = "priv"
        return None

    # ---- handlers (names from platforms tables) ------------------------------------------
    def do_ok(self, _words: list[str]) -> None:
        """Accept silently."""

    def do_enable(self, _words: list[str]) -> None:
        """``enable``: ask for the enable secret when one is set and we are in user mode."""
        if self.mode != "user":
            return
        self.send("Password: ")
        typed = self.readline(echo=False)
        if self.check_enable(typed):
            self.mode = "priv"
        else:
            self.send("% Access denied\n\n")

    def do_disable(self, _words: list[str]) -> None:
        """Back to user mode (only when an enable secret exists)."""
        if self.dev.enable_secret:
            self.mode = "user"

    def do_term_length(self, words: list[str]) -> None:
        """``terminal length N`` / ``set cli screen-length N``: 0 turns paging off."""
        self.page_len = int(words[-1])
        self._output(self.plat.reply("term_length", words[-1]))

    def do_term_width(self, words: list[str]) -> None:
        """Terminal width: accepted, only acknowledged where the platform prints something."""
        self._output(self.plat.reply("term_width", words[-1]))

    def do_complete_on_space(self, _words: list[str]) -> None:
        """Junos ``set cli complete-on-space off``."""
        self._output(self.plat.reply("complete_on_space"))

    def do_show_config(self, _words: list[str]) -> None:
        """The configured running-config, as-is (followed by one newline and the prompt)."""
        self.page(self.dev.running_config)
        self.send("\n")

    def do_show_version(self, _words: list[str]) -> None:
        """A plausible ``show version`` naming the device."""
        digest = hashlib.sha256(self.dev.name.encode()).hexdigest()
        serial = digest[:5].upper()
        mac = f"{digest[5:7]}.{digest[7:11]}"
        self._output(self.plat.version.format(host=self.host, serial=serial, serial_mac=mac))

    def do_show_privilege(self, _words: list[str]) -> None:
        """``show privilege``."""
        self._output(f"Current privilege level is {15 if self.mode != 'user' else 1}")

    def do_show_curpriv(self, _words: list[str]) -> None:
        """ASA ``show curpriv`` (netmiko sends it first on cisco_asa)."""
        level, mode = (15, "P_PRIV") if self.mode != "user" else (1, "P_UNPR")
        self._output(f"Username : {self.user}\nCurrent privilege level : {level}\nCurrent Mode/s : {mode}")

    def do_show_clock(self, _words: list[str]) -> None:
        """Current UTC time."""
        self._output(time.strftime("*%H:%M:%S.000 UTC %a %b %d %Y", time.gmtime()))

    def do_configure(self, _words: list[str]) -> None:
        """Enter configuration mode (IOS-like or Junos)."""
        if self.mode == "user":
            self._invalid("configure terminal", 0, False)
            return
        if self.plat.junos:
            self.send("Entering configuration mode\n")
        else:
            self.send("Enter configuration commands, one per line.  End with CNTL/Z.\n")
        self.mode = "config"

    def do_write_memory(self, _words: list[str]) -> None:
        """``write memory``."""
        self._output("Building configuration...\n[OK]")

    def do_end(self, _words: list[str]) -> None:
        """``end`` outside config mode: nothing."""

    def do_exit(self, _words: list[str]) -> str:
        """End the session."""
        return "exit"


def _word_column(line: str, index: int) -> int:
    """Column (0-based) where word number ``index`` of ``line`` starts."""
    pos, count, in_word = 0, -1, False
    for pos, ch in enumerate(line):
        if ch != " " and not in_word:
            count += 1
            in_word = True
            if count == index:
                return pos
        elif ch == " ":
            in_word = False
    return len(line)
