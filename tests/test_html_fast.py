"""The fast parser (lexbor) builds html5lib's tree on every page the gate lets through, and
the gate sends every page that could cost lexbor more than linear work to html5lib.

The gate's decisions are tested, not its speed: timing belongs in scripts/bench.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import Comment, Element

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz_parsers import FUZZ, HTML, WILD_TEXT

from pkce_tui.core import html_gate, html_page, html_work
from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.html_lexbor import parse_lexbor
from pkce_tui.core.htmlform import parse_form
from pkce_tui.core.redirect import parse_redirect

DATA = Path(__file__).parent / "data"
PAGES = {path.name: path.read_bytes().decode("utf-8") for path in [
    *(DATA / "redirect").glob("*.html"), *(DATA / "redirect").glob("*.http"),
    DATA / "login_page.html",
]}
PLAIN_FORMATTING = sorted(html_gate.FORMATTING_ELEMENTS)
SURROGATES = re.compile("[\ud800-\udfff]")


def shape(root: Element) -> list[tuple]:
    """The tree as both parsers must build it: every node's depth, tag, attributes, text and
    tail. An empty text is no text, and what a comment says is never read, so neither counts."""
    nodes, pending = [], [(root, 0)]
    while pending:
        element, depth = pending.pop()
        tag = "<!--" if element.tag is Comment else element.tag
        text = None if tag == "<!--" else element.text or None
        nodes.append((depth, tag, list(element.attrib.items()), text, element.tail or None))
        pending.extend((child, depth + 1) for child in reversed(element))
    return nodes


def html5lib_tree(page: str) -> Element:
    return html_work.parse_metered(page, html_work.WorkMeter(10**12, AssertionError("never")))


def assert_same_tree(page: str) -> None:
    assert html_gate.refusal(page) is None, html_gate.refusal(page)
    assert shape(parse_lexbor(page)) == shape(html5lib_tree(page)), page


def ordinary_megabyte() -> str:
    """About a megabyte shaped like a real page: an inline script full of `<` and `&&`, 4,000
    tags, paragraphs with references, links, a form."""
    script = "<script>var c = {" + ",".join(
        f'"k{i}": "v {i} < {i + 1} && ok"' for i in range(8_000)) + "};</script>\n"
    rows = "".join(f'<p class="r">Row {i}: fox &amp; dog &lt;x&gt; "q" {"word " * 100}<b>bold</b>'
                   f'</p>\n' for i in range(1_200))
    return ('<!DOCTYPE html><html><head><title>Object moved</title>' + script + '</head><body>'
            + rows + '<form method="post" action="/cb"><input type="hidden" name="code" '
            'value="c&amp;d"></form><h2><a href="/cb?code=c&amp;state=s">here</a></h2>'
            '</body></html>')


# --- the same tree on both paths --------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name in PAGES if name != "login_page.html"])
def test_the_redirect_fixtures_take_the_fast_path_and_get_html5libs_tree(name):
    page = PAGES[name].split("\r\n\r\n", 1)[-1] if name.endswith(".http") else PAGES[name]
    assert_same_tree(page)


def test_the_login_page_fixture_takes_the_html5lib_path_for_its_select():
    assert html_gate.refusal(PAGES["login_page.html"]) == "element 'option'"


def test_an_ordinary_megabyte_takes_the_fast_path_and_gets_html5libs_tree():
    page = ordinary_megabyte()
    assert len(page) > 900_000
    assert_same_tree(page)


def test_character_references_in_attributes_are_decoded_alike():
    page = ('<a href="/cb?x=1&amp;y=2&copy=3&#x26;z=4&notin;&AMP&amp&lt=&#0;&#x80;&#128;">l</a>'
            '<input name=v value=&notit;&ampx&#x10FFFF;&#xD800;&nbsp&quot;>')
    assert_same_tree(page)
    assert parse_lexbor(page).find(".//a").get("href") == "/cb?x=1&y=2&copy=3&z=4∉&&&lt=\ufffd€€"


TAG_NAMES = st.sampled_from(sorted(html_gate.FAST_ELEMENTS)).map(
    lambda name: name.upper() if len(name) % 3 == 0 else name)
ATTRIBUTE = st.tuples(
    st.sampled_from(["href", "name", "value", "type", "checked", "action", "method", "A",
                     "=", '"', "<x"]),
    st.sampled_from(["", '"x"', "'y'", "z", '"&amp;"', "&copy=1", "&notit;", '"a>b"', "&#0;",
                     "'u v'", "&AMP", '"&lt"', "http://h/cb?code=c&amp;state=s"]))


def tag(name: str, closing: bool, attributes: list[tuple[str, str]], slash: bool) -> str:
    written = "".join(f" {key}={value}" if value else f" {key}" for key, value in attributes)
    return f"<{'/' if closing else ''}{name}{written}{'/' if slash else ''}>"


TAGS = st.builds(tag, TAG_NAMES, st.booleans(), st.lists(ATTRIBUTE, max_size=3), st.booleans())
MARKUP_PIECES = st.sampled_from([
    "x", " ", "\r\n", "\t", "\x00", "\x0c", "&amp;", "&", "<", ">", "</", "<!", "<!-- c -->",
    "<!-- > -->", "<!DOCTYPE html>", "<?pi>", "-->", '"', "'", "=", "é", "&#128;", "&nbsp",
])
MARKUP = st.lists(st.one_of(TAGS, TAGS, TAGS, MARKUP_PIECES, WILD_TEXT), min_size=8,
                  max_size=40).map("".join)


@FUZZ
@given(HTML)
def test_redirect_pages_of_the_fuzz_strategy_get_html5libs_tree(page):
    page = SURROGATES.sub("", page)
    if html_gate.refusal(page) is None:
        assert_same_tree(page)


@settings(FUZZ, max_examples=500)
@given(MARKUP)
def test_misnested_markup_of_the_fast_elements_gets_html5libs_tree(page):
    """Unclosed, misnested and stray tags of every element the gate lets through, with the
    pieces that broke parsers before: both parsers repair them alike."""
    page = SURROGATES.sub("", page)
    if html_gate.refusal(page) is None:
        assert_same_tree(page)


def outcome(call, *args):
    try:
        return call(*args)
    except PkceTuiError as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("name", PAGES)
def test_redirect_and_form_answers_are_those_of_html5lib(name, monkeypatch):
    """Found link, code, form, page_link and error messages alike, html5lib forced after."""
    page = PAGES[name]
    fast = (outcome(parse_redirect, page), outcome(parse_form, page, "http://127.0.0.1:9/p"))
    monkeypatch.setattr(html_gate, "refusal", lambda text: "every page")
    assert (outcome(parse_redirect, page), outcome(parse_form, page, "http://127.0.0.1:9/p")) \
        == fast


# --- which pages take which path --------------------------------------------------------------

PATHOLOGICAL = {
    # each costs lexbor more than linear work as it grows (measured in the gate's design)
    "distinct attributes on one tag": (
        "<div " + " ".join(f"a{i}=b" for i in range(1100)) + ">", "too many attributes"),
    "attributes whose quoted values hold >": (
        "<div " + " ".join(f'a{i}=">"' for i in range(1100)) + ">", "too many attributes"),
    "deep nesting": ("<div>" * 5001, "5001 tags"),
    "tokens over deep nesting": (
        "<b>" + "<div>" * 4000 + "x<!---->" * 20_000, "tokens over"),
    "formatting elements with attributes": (
        "".join(f"<b a{i}>" for i in range(300)), "formatting elements"),
    "formatting elements re-created": (
        "<p>" + "".join(f"<{name}>" * 3 for name in PLAIN_FORMATTING) + "</p>"
        + "<div>x</div>" * 700, "formatting elements"),
    # html5lib's costly paths: refused by its budget as before
    "a long attribute value": ('<a href="' + "&" * 20_000 + '">x</a>', "a tag of up to"),
    "a long comment": ("<!--" * 5000, "markup of up to"),
    "a long bogus comment": ("<?" + "x" * 20_000 + ">", "markup of up to"),
    "an unclosed tag": ("<div a=" + "b" * 20_000, "a tag of up to"),
    # elements built differently, or by rules the tests do not cover
    "foreign content": ('<svg><a href="/cb?code=c">x</a></svg>', "element 'svg'"),
    "a select": ("<select><option>a<b>c</b></option></select>", "element 'option'"),
    "a table": ("<table><tr><td><b>x</td></tr></table>", "element 'table'"),
    "a template": ("<template><a href=x>y</a></template>", "element 'template'"),
    "an unknown element": ("<image src=x>", "element 'image'"),
    "a lone surrogate": ("<p>\ud800</p>", "a lone surrogate"),
    "an unclosed <?": ("<p>x</p><?pi", "an unclosed <?"),
}


@pytest.mark.parametrize("kind", PATHOLOGICAL)
def test_a_pathological_page_takes_the_html5lib_path(kind):
    page, reason = PATHOLOGICAL[kind]
    assert reason in html_gate.refusal(page)


def test_a_page_just_within_each_bound_takes_the_fast_path():
    """The bounds refuse the pages above for what they are, not for their kind."""
    for page in ("<div " + " ".join(f"a{i}=b" for i in range(900)) + ">", "<div>" * 5000,
                 "".join(f"<b a{i}>" for i in range(200)), '<a href="' + "&" * 16_000 + '">',
                 "<!--" + "x" * 16_000 + "-->"):
        assert html_gate.refusal(page) is None


def test_a_quote_that_opens_no_value_hides_no_end_of_tag():
    """`"` in an attribute name (`a"b`) opens nothing: the tag ends at the next `>`, so the
    attributes after it belong to other tags, each counted on its own."""
    page = ('<div a"b>' + " x" * 1100) * 3
    assert html_gate.refusal(page) is None
    assert_same_tree(page)


def test_admitted_pages_are_parsed_by_lexbor_and_others_by_html5lib(monkeypatch):
    calls = []
    monkeypatch.setattr(html_work, "parse_metered", lambda text, meter: calls.append("html5lib"))
    html_page.parse_html("<p>ordinary</p>")
    assert calls == []
    html_page.parse_html("<svg></svg>")
    assert calls == ["html5lib"]
