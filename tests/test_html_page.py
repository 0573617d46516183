"""HTML parsing stays within its work budget, whoever wrote the page.

The budget counts work, not time, so every assertion here holds on any machine under any load.
"""

from __future__ import annotations

import pytest

from pkce_tui.core import html_page, html_work
from pkce_tui.core.errors import InputError, ProtocolError
from pkce_tui.core.htmlform import parse_form
from pkce_tui.core.redirect import parse_redirect

BUDGET = 2_000_000
#: Each costs html5lib quadratic time: tens of seconds to minutes at this size.
COSTLY_PAGES = {
    "attributes on one tag": "<html><div " + " ".join(f"a{i}=b" for i in range(60000)) + ">",
    "character references": '<a href="' + "&" * 1_000_000 + '">here</a>',
    "comment openers": "<!--" * 250_000,
    "nested elements": "<div>" * 200_000,
    "formatting elements": "".join(f"<b a{i}>" for i in range(20_000)),
}
#: A page of each costly kind at size n.
GROWING = {
    "attributes on one tag": lambda n: "<div " + " ".join(f"a{i}=b" for i in range(n)) + ">",
    "character references": lambda n: '<a href="' + "&" * (200 * n) + '">here</a>',
    "comment openers": lambda n: "<!--" * (50 * n),
    "nested elements": lambda n: "<div>" * n,
    "formatting elements": lambda n: "".join(f"<b a{i}>" for i in range(n)),
}


def work_of(page: str) -> int:
    meter = html_work.WorkMeter(10**12, AssertionError("never reached"))
    html_work.parse_metered(page, meter)
    return meter.spent


@pytest.fixture
def meters(monkeypatch) -> list[html_work.WorkMeter]:
    """Every meter a parse makes, with the budget cut to BUDGET so refusals come quickly."""
    made: list[html_work.WorkMeter] = []

    class Recorded(html_work.WorkMeter):
        def __init__(self, budget: int, failure: Exception) -> None:
            super().__init__(budget, failure)
            made.append(self)

    monkeypatch.setattr(html_page, "MAX_PARSE_WORK", BUDGET)
    monkeypatch.setattr(html_work, "WorkMeter", Recorded)
    return made


@pytest.mark.parametrize("page", COSTLY_PAGES.values(), ids=COSTLY_PAGES.keys())
def test_a_costly_pasted_page_is_bad_input_refused_after_the_budget(page, meters):
    with pytest.raises(InputError, match="^HTML page too costly to parse: gave up after "
                                         "2,000,000 units of work"):
        html_page.parse_html(page)
    [meter] = meters
    assert BUDGET < meter.spent < 2 * BUDGET  # the meter looked often: little past the budget


@pytest.mark.parametrize("kind", GROWING)
def test_the_quadratic_paths_are_counted_as_quadratic(kind):
    """Twice the size costs well over twice the work: a count of characters alone would
    let each of these pages run for minutes inside the budget."""
    small, large = (work_of(GROWING[kind](n)) for n in (400, 800))
    assert large > 3 * small


def test_the_same_page_costs_the_same_work_every_time():
    page = "<div>" * 1000 + '<a href="/cb?code=c">x</a>'
    assert work_of(page) == work_of(page)


def test_a_costly_login_page_is_the_servers_fault(meters):
    page = "<form>" + "<div>" * 200_000 + '<input type="password" name="p"></form>'
    with pytest.raises(ProtocolError, match="login page too costly to parse"):
        parse_form(page, "http://127.0.0.1:9/login")


def test_an_ordinary_page_parses_within_the_budget():
    page = '<html><body><a href="/cb?code=c&amp;state=s">here</a></body></html>'
    assert parse_form(page.replace("<a", "<form><input name=x></form><a"),
                      "http://127.0.0.1:9/").action == "http://127.0.0.1:9/"
    assert parse_redirect(page).code == "c"


def test_a_megabyte_of_ordinary_html_costs_well_under_the_budget():
    """Measured on a quarter of it: ordinary HTML costs work in proportion to its size."""
    row = '<div class="r"><p>Hello <b>world</b> &amp; all</p><a href="/x?a=1&amp;b=2">l</a></div>\n'
    quarter = "<html><body>" + row * (250_000 // len(row)) + "</body></html>"
    assert 4 * work_of(quarter) < html_page.MAX_PARSE_WORK / 1.5


def test_the_entity_table_answers_as_html5libs_own_trie():
    """The faster table gives the tokenizer exactly the answers html5lib's trie gives, so
    character references decode as before: every prefix of every name, and names followed
    by more characters (`&notit;`, `&ampx`, `&copy=2`)."""
    from html5lib._trie.py import Trie
    from html5lib.constants import entities

    ours, theirs = html_work.EntityNames(entities), Trie(entities)
    questions = {name[:end] + tail for name in entities for end in range(len(name) + 1)
                 for tail in ("", "x", "=", ";", "1")}
    for question in questions:
        assert ours.has_keys_with_prefix(question) == theirs.has_keys_with_prefix(question)
        try:
            expected = theirs.longest_prefix(question)
        except KeyError:
            expected = None
        try:
            assert ours.longest_prefix(question) == expected
        except KeyError:
            assert expected is None


def test_character_references_decode_by_the_whatwg_rules():
    """In an attribute, a name without `;` followed by `=` or a letter stays as written; in
    text, the longest name wins (WHATWG HTML §13.2.5.73)."""
    page = ('<p>a &notit; b &amp c &#x26; d &#38 e</p>'
            '<a href="/cb?x=1&amp;y=2&copy=3&#x26;z=4&notin;">l</a>')
    document = html_page.parse_html(page)
    assert "".join(document.find(".//p").itertext()) == "a ¬it; b & c & d & e"
    assert document.find(".//a").get("href") == "/cb?x=1&y=2&copy=3&z=4∉"
