"""Property-based checks of redact_config: idempotent, line structure kept, only values replaced."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.netraven.core.plugins.plugin_utils._redact import REDACTION_MARKER, redact_config

WORDS = ["enable", "secret", "password", "username", "admin", "key", "7", "5", "0", "sha512", "snmp-server",
         "community", "host", "tacacs-server", "radius-server", "neighbor", "10.0.0.1", "ntp", "authentication-key",
         "md5", "set", "system", "encrypted-password", '"$9$abc"', "$6$salt$hash", "pre-shared-key", "ascii-text",
         "interface", "description", "no", "{", "}", ";", "## SECRET-DATA", "auth", "priv", "user", "!", "end"]
TOKEN = st.one_of(st.sampled_from(WORDS), st.text(alphabet="abcXYZ019$./-_", min_size=1, max_size=8))
LINE = st.builds(lambda indent, words, trail: indent + " ".join(words) + trail,
                 st.sampled_from(["", " ", "  ", "    "]), st.lists(TOKEN, min_size=1, max_size=8),
                 st.sampled_from(["", " "]))
CONFIG = st.builds(lambda lines, ending: ending.join(lines), st.lists(LINE, max_size=12), st.sampled_from(["\n", "\r\n"]))


@settings(max_examples=300, deadline=None)
@given(CONFIG)
def test_idempotent_and_structure_kept(text):
    once = redact_config(text)
    assert redact_config(once) == once
    before, after = text.splitlines(keepends=True), once.splitlines(keepends=True)
    assert len(before) == len(after)
    for old, new in zip(before, after):
        if old != new:
            assert REDACTION_MARKER in new
            # what is left of the new line outside markers appears in order in the old line
            pos = 0
            for piece in new.split(REDACTION_MARKER):
                found = old.find(piece.strip('"'), pos)
                assert found >= 0, (old, new)
                pos = found + len(piece.strip('"'))
