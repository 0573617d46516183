"""HTML pages parsed as a browser parses them (WHATWG rules), within a work budget.

Pages come from servers and from pastes, so a hostile one must not hold the program. Two
parsers build the same tree. lexbor (`html_lexbor`, in C) takes the pages that counts read
off the page beforehand show cheap for it (`html_gate`); html5lib takes all others. It is
pure Python and some inputs cost it quadratic time (thousands of attributes on one tag,
deep nesting, runs of character references), so the work it does is counted as it goes
(`html_work`: characters tokenized, elements scanned, strings copied) and the parse stops
with a one-line error once MAX_PARSE_WORK units are spent. Both limits are counted in work,
not in seconds, so the same page is accepted or refused on any machine, however loaded.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from pkce_tui.core import html_gate
from pkce_tui.core.errors import InputError, PkceTuiError

#: About 2 to 5 s of work; a megabyte of ordinary HTML costs about 30 million units, a page
#: of 5,000 nested elements about 13 million, pathological pages billions.
MAX_PARSE_WORK = 60_000_000


def parse_html(text: str, *, what: str = "HTML page",
               error: type[PkceTuiError] = InputError) -> Element:
    """The page's element tree (no namespaces): by lexbor when `html_gate` lets the page
    through, else by html5lib, with `error` once MAX_PARSE_WORK units are spent.

    `error` says whose page it was: `InputError` for what the user gave, `ProtocolError` for
    what a server sent.
    """
    if html_gate.refusal(text) is None:
        from pkce_tui.core.html_lexbor import parse_lexbor  # loads selectolax: pages only

        return parse_lexbor(text)
    from pkce_tui.core.html_work import WorkMeter, parse_metered  # loads html5lib: pages only

    budget = MAX_PARSE_WORK
    failure = error(f"{what} too costly to parse: gave up after {budget:,} units of work "
                    "(deep nesting, huge tags or long runs of references)")
    return parse_metered(text, WorkMeter(budget, failure))
