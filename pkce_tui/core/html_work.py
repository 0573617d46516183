"""The work html5lib does on one page, counted as it goes, so that a hostile page is refused
after a bounded amount of work whatever the machine's speed or load (see `html_page`).
Imported only when a page must be parsed: it loads html5lib.

html5lib is pure Python and its costly paths are few and known:
- each character it tokenizes (linear);
- scans of the stack of open elements and of the list of active formatting elements, made
  for nearly every token, so quadratic in the nesting depth (thousands of `<div>`);
- the duplicate-attribute check, one pass over the tag's attributes for each new attribute,
  so quadratic in a tag's attributes;
- strings grown piece by piece while a token is read (a tag name, an attribute value made of
  character references, a comment, a doctype): each growth copies the whole string.

Each is charged to a `WorkMeter` as it happens, in units of about one element scanned in a
list (the weights below were measured: every kind of page costs between 4 and 100 ns per
unit on one core): the tree builder's two lists charge for their own scans and for each
look at an element, and each chunk of characters the tokenizer reads (the page is handed
over in small chunks, so the meter looks often) is charged per character, weighted by the
size of the token still being read.

Character references are decoded by html5lib's own tokenizer; only the table it looks names
up in is replaced by `EntityNames`, which answers the same questions in constant time
(html5lib's pure-Python trie bisects a sorted list for each character of each reference).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import html5lib
from html5lib import _tokenizer
from html5lib._trie.py import Trie
from html5lib.constants import entities
from html5lib.treebuilders import getTreeBuilder
from html5lib.treebuilders.base import ActiveFormattingElements

#: Units charged for tokenizing one character (a scan of one list element is one unit).
CHAR_UNITS = 20
#: Units charged each time the tree builder looks at one element of a list (the current
#: node, for every token and for most steps of handling it).
LOOK_UNITS = 20
#: Units charged per element of the active formatting list scanned (each compares two tags).
FORMATTING_UNITS = 6
#: Characters of a growing string whose copy costs about one unit.
COPY_CHARS = 256
#: The most characters handed to the tokenizer at once: the meter looks after each chunk.
READ_CHARS = 512


class EntityNames(Trie):
    """html5lib's table of named character references, with every prefix of every name known
    in advance: "could more characters still make a name?" is one set look-up.

    The tokenizer asks that question for each character of a reference and then asks for the
    longest name the characters read begin with (WHATWG HTML §13.2.5.73, named character
    reference state); both answers are exactly those of html5lib's own trie.
    """

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__(names)
        self._prefixes = frozenset(name[:end] for name in names
                                   for end in range(len(name) + 1))
        self._longest = max(map(len, names))

    def has_keys_with_prefix(self, prefix: str) -> bool:
        return prefix in self._prefixes

    def longest_prefix(self, prefix: str) -> str:
        for end in range(min(len(prefix), self._longest), 0, -1):
            if prefix[:end] in self._data:
                return prefix[:end]
        raise KeyError(prefix)


# The tokenizer reads the table from its module; the answers are the same, only faster.
_tokenizer.entitiesTrie = EntityNames(entities)


class WorkMeter:
    """Units of work spent on one page; `failure` is raised once `budget` is exceeded."""

    def __init__(self, budget: int, failure: Exception) -> None:
        self.budget = budget
        self.failure = failure
        self.spent = 0

    def charge(self, units: int) -> None:
        self.spent += units
        if self.spent > self.budget:
            raise self.failure


class _ScansCounted:
    """A list that charges its meter `units` for every element a scan of it may visit."""

    meter: WorkMeter
    units: int = 1

    def scanned(self) -> None:
        self.meter.charge(self.units * len(self))

    def __iter__(self):
        self.scanned()
        return super().__iter__()

    def __reversed__(self):
        self.scanned()
        return super().__reversed__()

    def __contains__(self, item: object) -> bool:
        self.scanned()
        return super().__contains__(item)

    def __getitem__(self, index):
        if isinstance(index, slice):
            self.scanned()
        else:
            self.meter.charge(LOOK_UNITS)
        return super().__getitem__(index)

    def index(self, *args):
        self.scanned()
        return super().index(*args)

    def remove(self, item: object) -> None:
        self.scanned()
        super().remove(item)


class _CountedList(_ScansCounted, list):
    """The stack of open elements."""


class _CountedFormatting(_ScansCounted, ActiveFormattingElements):
    """The list of active formatting elements: its scans compare names and attributes."""

    units = FORMATTING_UNITS


_EtreeBuilder = getTreeBuilder("etree")


class _MeteredTreeBuilder(_EtreeBuilder):
    """html5lib's etree builder whose two scanned lists charge `meter` for each scan.

    `meter` is set on the builder before parsing; the parse's own reset hands it to the lists.
    """

    meter: WorkMeter | None = None

    def reset(self) -> None:
        super().reset()
        self.openElements = _CountedList()
        self.activeFormattingElements = _CountedFormatting()
        self.openElements.meter = self.activeFormattingElements.meter = self.meter


class _MeteredText(io.StringIO):
    """The page, read in chunks of at most READ_CHARS; each read first pays for the last chunk.

    A chunk costs CHAR_UNITS per character, plus, per character, the weight of the token
    the tokenizer is still reading (`weight_now`), which is what makes the quadratic paths
    inside one token cost more the longer they run.
    """

    def __init__(self, text: str, meter: WorkMeter, weight_now: Callable[[], int]) -> None:
        super().__init__(text)
        self.meter = meter
        self.weight_now = weight_now
        self.last_chunk = 0

    def read(self, size: int | None = -1) -> str:
        if self.last_chunk:
            self.meter.charge(self.last_chunk * (CHAR_UNITS + self.weight_now()))
        wanted = READ_CHARS if size is None or size < 0 else min(size, READ_CHARS)
        chunk = super().read(wanted)
        self.last_chunk = len(chunk)
        return chunk


def _token_weight(parser: html5lib.HTMLParser) -> int:
    """What one more character costs while the current token is still being read: one unit
    per attribute it has (the duplicate check) and one per COPY_CHARS of the strings still
    growing (its name, its last attribute, a comment's text, a doctype's identifiers)."""
    tokenizer = getattr(parser, "tokenizer", None)
    token = getattr(tokenizer, "currentToken", None)
    if token is None or tokenizer.state == tokenizer.dataState:
        return 0  # between tokens: the last one was emitted, nothing grows
    growing = [token.get(key) for key in ("name", "publicId", "systemId")]
    attributes = 0
    data = token.get("data")
    if isinstance(data, list):  # a tag's attributes as [name, value] pairs, still being read
        attributes = len(data)
        growing.extend(data[-1] if data else ())
    elif isinstance(data, str):  # a comment's text
        growing.append(data)
    return attributes + sum(len(s) for s in growing if isinstance(s, str)) // COPY_CHARS


def parse_metered(text: str, meter: WorkMeter):
    """`text` parsed by html5lib into an etree Element (no namespaces), charging `meter`."""
    parser = html5lib.HTMLParser(tree=_MeteredTreeBuilder, namespaceHTMLElements=False)
    parser.tree.meter = meter
    return parser.parse(_MeteredText(text, meter, lambda: _token_weight(parser)))
