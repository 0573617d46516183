"""Which pages the fast parser may take (see `html_page`), told by counts read off the page in
linear time before any parsing.

lexbor (`html_lexbor`) builds the tree html5lib builds, a hundred times faster, but its work
is not counted as it goes, and some of its paths cost more than linear time (measured:
thousands of distinct attributes on one tag, deep nesting under many tokens, formatting
elements re-created over and over). So a page goes to lexbor only when counts that can only
over-estimate those paths are small; any other page goes to html5lib, whose work is counted
(`html_work`). Each count below may count too much (markup inside a script or a comment,
a `>` that a quote only seems to hide), never too little:

- TAGS, the `<` followed by an ASCII letter, bounds the start and end tags: no other text
  opens one (WHATWG HTML §13.2.5.6, tag open state). Every tag must name an element of
  FAST_ELEMENTS, whose tree-building rules lexbor and html5lib apply alike (the differential
  tests check it): no foreign content (namespaces), no templates, no select (its rules
  changed since html5lib was written), no tables or other elements that set markers.
- FORMATTING bounds the list of active formatting elements (§13.2.4.3): without markers it
  holds at most one `a` (an `a` start tag removes the one before), at most three entries
  alike (the Noah's Ark clause), so at most three for each formatting name written bare
  (`<b>`), and one for each formatting start tag written with more than its name.
- Re-created elements: reconstruction re-creates at most FORMATTING elements, and only after
  a tag has popped some (text and comments pop nothing), so at most FORMATTING × (TAGS + 1)
  elements in all (MAX_RECREATED).
- Scans: a token scans at most the stack of open elements and the formatting list. The
  stack holds at most one element per start tag, one per formatting start tag (an entry the
  Noah's Ark clause dropped while its element stayed open), FORMATTING re-created ones and
  the implied html, head and body; tokens are at most 2 × MARKUP + 1, MARKUP being the `<`
  of the page (every token but text begins with one, and lexbor makes one token of each run
  of text between them). The product is at most MAX_SCANS; the adoption agency algorithm
  (§13.2.6.4.7) adds at most eight scans per end tag.
- Attributes: each new one is compared with those the tag already has, so a tag of n costs
  n². Attributes are separated by spaces, `/` or a closing quote (§13.2.5.32-39), and a tag
  ends at the first `>` outside its quoted values; a value is quoted only by a quote right
  after `=` and spaces, and holds no quote of its kind. So the tags that begin in a stretch
  ending at the first `>` that no such quote can hide all end in it, and their n² add up to
  at most the square of the attribute starts in the stretch (MAX_ATTRIBUTE_PAIRS in all).
- Long tokens: cheap for lexbor, but html5lib's cost grows with the square of a token's
  length; a page with a token that may be over MAX_TOKEN_CHARS stays with html5lib, whose
  budget judges it as before.
- Lone surrogates: lexbor reads UTF-8 and would drop them; html5lib keeps them. A `<?`
  that the page's end cuts short: lexbor drops it, html5lib keeps it as a comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

#: Elements whose tree-building rules both parsers apply alike (WHATWG HTML §13.2.6.4).
FAST_ELEMENTS = frozenset("""
    html head body title meta link base script style noscript
    div span p br hr img pre center header footer nav section article main aside address
    blockquote figure details summary h1 h2 h3 h4 h5 h6 ul ol li dl dt dd
    form input button label textarea fieldset legend
    a b big code em font i nobr s small strike strong tt u
""".split())
#: The formatting elements (§13.2.4.3) other than `a`.
FORMATTING_ELEMENTS = frozenset("b big code em font i nobr s small strike strong tt u".split())
#: The bounds, each well under 0.1 s of lexbor's work at its worst (measured), and well over
#: what ordinary pages need: a megabyte page has about 4,000 tags and needs 75 million scans.
MAX_TAGS = 5000
MAX_RECREATED = 50_000
MAX_SCANS = 150_000_000
MAX_ATTRIBUTE_PAIRS = 1_000_000
#: A token this long costs html5lib under a million units of its 60 million.
MAX_TOKEN_CHARS = 16_384

_SPACE = "\t\n\f\r "
#: A tag's start, its name (§13.2.5.8: up to a space, `/` or `>`) and the character after it.
_TAG = re.compile(r"<(/?)([A-Za-z][^\t\n\f\r />]*)(.?)", re.DOTALL)
#: A character that may begin an attribute: after a space, a `/` or a closing quote.
_ATTRIBUTE_START = re.compile(r"(?<=[\t\n\f\r /\"'])[^\t\n\f\r />]")
#: Comments, and the markup that ends at the first `>` (bogus comments, doctypes, `</`
#: without a letter), each with the text that ends it.
_MARKUP = ((re.compile("<!--"), re.compile("--!?>")),
           (re.compile(r"<[!?]|</[^A-Za-z]"), re.compile(">")))
_SURROGATE = re.compile("[\ud800-\udfff]")


def refusal(text: str) -> str | None:
    """Why the page must go to html5lib, or None when lexbor may parse it."""
    if _SURROGATE.search(text):
        return "a lone surrogate"
    if text.rfind("<?") > text.rfind(">"):
        return "an unclosed <?"
    tags = _TAG.findall(text)
    if len(tags) > MAX_TAGS:
        return f"{len(tags)} tags"
    unknown = {name for _, name, _ in tags
               if not (name.isascii() and name.lower() in FAST_ELEMENTS)}
    if unknown:
        return f"element {min(unknown)!r}"
    starts = [(name.lower(), after) for closing, name, after in tags if not closing]
    formatting_starts = [(name, after) for name, after in starts if name in FORMATTING_ELEMENTS]
    formatting = _formatting_bound(formatting_starts)
    if formatting * (len(tags) + 1) > MAX_RECREATED:
        return f"{formatting} formatting elements under {len(tags)} tags"
    depth = len(starts) + len(formatting_starts) + formatting + 3
    tokens = 2 * text.count("<") + 1
    if tokens * (depth + formatting) > MAX_SCANS:
        return f"{tokens} tokens over {depth} open elements"
    return _long_token(text) or _attribute_pairs(text)


def _formatting_bound(formatting_starts: list[tuple[str, str]]) -> int:
    """At most how many entries the list of active formatting elements ever holds, given
    the name of each formatting start tag (`a` aside) and the character after it."""
    bare = {name for name, after in formatting_starts if after == ">"}
    written = sum(1 for _, after in formatting_starts if after != ">")
    return 1 + 3 * len(bare) + written


def _attribute_pairs(text: str) -> str | None:
    pairs = 0
    for start, end in _tag_stretches(text):
        if end - start > MAX_TOKEN_CHARS:
            return f"a tag of up to {end - start} characters"
        pairs += len(_ATTRIBUTE_START.findall(text, start, end)) ** 2
        if pairs > MAX_ATTRIBUTE_PAIRS:
            return "too many attributes on a tag"
    return None


def _tag_stretches(text: str) -> Iterator[tuple[int, int]]:
    """Stretches of the page that hold every tag: each from a tag's start to the first `>`
    that no quote after that start can hide (or the page's end); a tag beginning inside one
    ends inside it, so its attributes are counted there."""
    end = -1
    for match in _TAG.finditer(text):
        if match.start() > end:
            end = _unhidden_close(text, match.start())
            yield match.start(), end


def _unhidden_close(text: str, start: int) -> int:
    """The first `>` after `start` that no quoted value begun after `start` can hold: a `>`
    is held only if the last `"` or the last `'` before it opens a value, that is follows
    `=` and spaces (§13.2.5.36); it holds every `>` up to the next quote of its kind. Looks
    no further than MAX_TOKEN_CHARS."""
    opens = {'"': False, "'": False}
    looked = start
    close = text.find(">", start)
    while close != -1 and close - start <= MAX_TOKEN_CHARS:
        for quote in opens:
            at = text.rfind(quote, looked, close)
            if at != -1:
                opens[quote] = _after_equals(text, at)
        holding = [quote for quote, opening in opens.items() if opening]
        if not holding:
            return close
        ends = [text.find(quote, close) for quote in holding]
        if -1 in ends:
            return len(text)
        looked = close
        close = text.find(">", max(ends))
    return len(text) if close == -1 else close


def _after_equals(text: str, at: int) -> bool:
    """Whether `=` and spaces come right before `at`: a quote there opens a value."""
    before = at - 1
    while before >= 0 and text[before] in _SPACE:
        before -= 1
    return before >= 0 and text[before] == "="


def _long_token(text: str) -> str | None:
    """A comment, doctype or bogus comment that may be longer than MAX_TOKEN_CHARS: a comment
    ends at its first `-->` or `--!>` (§13.2.5.43-52), the others at their first `>`. Each
    search for an end starts past the last end found, so the page is read once."""
    for opener, closer in _MARKUP:
        end = -1
        for match in opener.finditer(text):
            start = match.start()
            if start + 2 <= end:
                continue  # inside the last one: it ends where that one ends
            close = closer.search(text, start + 2)
            end = close.start() if close else len(text)
            if end - start > MAX_TOKEN_CHARS:
                return f"markup of up to {end - start} characters"
    return None
