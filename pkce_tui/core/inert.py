"""Text from servers, pages, tokens and pastes made inert for a terminal (DESIGN.md §7).

A terminal obeys control characters (ESC starts a sequence that can clear the screen, set the
clipboard through OSC 52 or open an OSC 8 link), C1 controls (U+009B is a one-byte CSI) and
bidi controls (U+202E reverses what follows). Every such character is written as its escape
instead, so the user sees it without the terminal acting on it. Both front ends use this: the
CLI's text output and the TUI's one rendering helper.
"""

from __future__ import annotations

import re
import unicodedata

#: Control and format characters (C0, DEL, C1, bidi and other format controls), lone
#: surrogates, line and paragraph separators.
UNPRINTED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: Anything outside printable ASCII is looked up; printable ASCII never needs escaping.
_CANDIDATE = re.compile(r"[^\x20-\x7e]")
_KEPT_IN_MULTILINE = frozenset("\n\t")


def visible(text: str, *, multiline: bool = False) -> str:
    """`text` with every control or format character written as its Python escape (`\\x1b`,
    `\\x9b`, `\\u202e`, `\\ud800`); with `multiline`, newlines and tabs are kept (CRLF is
    read as a newline), so a page keeps its lines."""
    if multiline:
        text = text.replace("\r\n", "\n")
    kept = _KEPT_IN_MULTILINE if multiline else frozenset()
    return _CANDIDATE.sub(lambda match: _escape(match.group(), kept), text)


def is_unprinted(char: str) -> bool:
    """True for a character a terminal could act on (see `UNPRINTED_CATEGORIES`)."""
    return unicodedata.category(char) in UNPRINTED_CATEGORIES


def _escape(char: str, kept: frozenset[str]) -> str:
    if char in kept or not is_unprinted(char):
        return char
    return repr(char)[1:-1]
