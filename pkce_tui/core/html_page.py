"""HTML pages parsed as a browser parses them (html5lib, WHATWG rules), within a time budget.

Pages come from servers and from pastes, so a hostile one must not hold the program: html5lib
is pure Python and some inputs cost it quadratic time (thousands of attributes on one tag,
deep nesting, runs of character references). The page is handed to html5lib as a stream that
refuses to be read past a deadline; html5lib reads in chunks as it tokenizes, so the parse
stops soon after the budget is spent, with a one-line error.
"""

from __future__ import annotations

import io
import time
from xml.etree.ElementTree import Element

from pkce_tui.core.errors import InputError, PkceTuiError

#: A megabyte of ordinary HTML parses in about a second; pathological pages take minutes.
MAX_PARSE_SECONDS = 5.0


class _DeadlineText(io.StringIO):
    """The page's text, readable only until the deadline."""

    def __init__(self, text: str, seconds: float, failure: PkceTuiError) -> None:
        super().__init__(text)
        self.deadline = time.monotonic() + seconds
        self.failure = failure

    def read(self, size: int | None = -1) -> str:
        if time.monotonic() > self.deadline:
            raise self.failure
        return super().read(size)


def parse_html(text: str, *, what: str = "HTML page",
               error: type[PkceTuiError] = InputError) -> Element:
    """The page's element tree (no namespaces); `error` once MAX_PARSE_SECONDS have passed.

    `error` says whose page it was: `InputError` for what the user gave, `ProtocolError` for
    what a server sent.
    """
    seconds = MAX_PARSE_SECONDS
    failure = error(f"{what} too costly to parse: gave up after {seconds:g} s")
    stream = _DeadlineText(text, seconds, failure)
    import html5lib  # loaded only when a page must be parsed: most redirects are URLs

    return html5lib.parse(stream, treebuilder="etree", namespaceHTMLElements=False)
