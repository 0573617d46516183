"""HTML parsing stays within its time budget, whoever wrote the page."""

from __future__ import annotations

import time

import pytest

from pkce_tui.core import html_page
from pkce_tui.core.errors import InputError, ProtocolError
from pkce_tui.core.htmlform import parse_form
from pkce_tui.core.redirect import parse_redirect

BUDGET = 0.2
#: Each costs html5lib quadratic time: tens of seconds to minutes at this size.
COSTLY_PAGES = {
    "attributes on one tag": "<html><div " + " ".join(f"a{i}=b" for i in range(60000)) + ">",
    "character references": '<a href="' + "&" * 1_000_000 + '">here</a>',
    "comment openers": "<!--" * 250_000,
}


@pytest.fixture(autouse=True)
def short_budget(monkeypatch):
    monkeypatch.setattr(html_page, "MAX_PARSE_SECONDS", BUDGET)


@pytest.mark.parametrize("page", COSTLY_PAGES.values(), ids=COSTLY_PAGES.keys())
def test_a_costly_pasted_page_is_bad_input_named_within_the_budget(page):
    started = time.monotonic()
    with pytest.raises(InputError, match="HTML page too costly to parse: gave up after 0.2 s"):
        parse_redirect(page)
    assert time.monotonic() - started < 20 * BUDGET  # not minutes


def test_a_costly_login_page_is_the_servers_fault():
    page = "<form>" + "<div>" * 200_000 + '<input type="password" name="p"></form>'
    with pytest.raises(ProtocolError, match="login page too costly to parse"):
        parse_form(page, "http://127.0.0.1:9/login")


def test_an_ordinary_page_parses_within_the_budget():
    page = '<html><body><a href="/cb?code=c&amp;state=s">here</a></body></html>'
    assert parse_form(page.replace("<a", "<form><input name=x></form><a"),
                      "http://127.0.0.1:9/").action == "http://127.0.0.1:9/"
    assert parse_redirect(page).code == "c"
