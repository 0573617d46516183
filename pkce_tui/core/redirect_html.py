"""Reading the redirect out of an HTML page, parsed as a browser would (see `html_page`).

The ASP.NET "Object moved" anchor CyberArk sends, a meta refresh, a `form_post` auto-submit
form, a link carrying the response, or a login form when the server wants a sign-in first.
The parser decodes attribute values by the WHATWG rules a browser uses (`&amp;` is `&`, but
`&copy=2` in a URL stays as written), which `html.unescape` is not.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from pkce_tui.core.errors import InputError
from pkce_tui.core.html_page import parse_html
from pkce_tui.core.redirect_params import RESPONSE_PARAMS, Found, query_pairs

#: html5lib's tree building costs O(depth) per tag, so deep nesting is quadratic: 5000 tags
#: parse within about a second, while a redirect page has a handful.
MAX_HTML_TAGS = 5000
_START_OR_END_TAG = re.compile(r"</?[A-Za-z]")
#: WHATWG "shared declarative refresh steps": a time, a separator, an optional `url=`.
_REFRESH = re.compile(r"\s*[\d.]+\s*[;,]?\s*(?:url\s*=\s*)?(.*)", re.IGNORECASE | re.DOTALL)
#: Headings of redirect pages: ASP.NET "Object moved", Apache "302 Found", "Redirecting...".
_MOVED_WORDS = ("moved", "redirect", "302 found")


def from_html(text: str) -> Found:
    """Parse the page the way a browser does and take the first redirect it carries."""
    tags = sum(1 for _ in _START_OR_END_TAG.finditer(text))
    if tags > MAX_HTML_TAGS:
        raise InputError(f"HTML page too large: {tags} tags, at most {MAX_HTML_TAGS}")
    document = parse_html(text)
    finders = (_form_post, _meta_refresh, _response_anchor, _moved_anchor, _login_form)
    for finder in finders:
        found = finder(document)
        if found is not None:
            return found
    raise InputError(
        "no redirect found in the HTML page: no form_post form, meta refresh, "
        "redirect link or login form"
    )


def _form_post(document: Element) -> Found | None:
    """An auto-submitting form carrying the response (OAuth 2.0 Form Post Response Mode §2)."""
    for form in document.iter("form"):
        pairs = _inputs(form)
        names = {name for name, _ in pairs}
        if form.get("method", "").strip().lower() == "post" and names & RESPONSE_PARAMS:
            return Found("form_post", _attribute_url(form.get("action")), pairs)
    return None


def _login_form(document: Element) -> Found | None:
    """A form asking for a password: the server wants the user to sign in first."""
    for form in document.iter("form"):
        types = {field.get("type", "").strip().lower() for field in form.iter("input")}
        if "password" in types:
            return Found("form_post", _attribute_url(form.get("action")), (), login_form=True)
    return None


def _inputs(form: Element) -> tuple[tuple[str, str], ...]:
    return tuple(
        (field.get("name", ""), field.get("value", ""))
        for field in form.iter("input") if field.get("name")
    )


def _meta_refresh(document: Element) -> Found | None:
    """`<meta http-equiv=refresh content="0;url=...">` (WHATWG HTML §4.2.5.3)."""
    for meta in document.iter("meta"):
        if meta.get("http-equiv", "").strip().lower() != "refresh":
            continue
        match = _REFRESH.fullmatch(meta.get("content", ""))
        url = _unquoted(match.group(1)) if match else ""
        if url:
            return Found("meta_refresh", url)
    return None


def _unquoted(url: str) -> str:
    """A refresh URL may be quoted; the quote ends it (WHATWG "skip quotes")."""
    url = url.strip()
    if url[:1] in ("'", '"'):
        url = url[1:].split(url[0], 1)[0]
    return url.strip()


def _response_anchor(document: Element) -> Found | None:
    """The first link that carries a code or an error."""
    for url in _hrefs(document):
        if RESPONSE_PARAMS & {name for name, _ in _query_and_fragment(url)}:
            return Found("html_anchor", url)
    return None


def _moved_anchor(document: Element) -> Found | None:
    """The link of a redirect page ("Object moved to here", "302 Found", "Redirecting")."""
    headings = " ".join(
        "".join(element.itertext()) for tag in ("title", "h1", "h2")
        for element in document.iter(tag)
    ).lower()
    if any(word in headings for word in _MOVED_WORDS):
        return next((Found("html_anchor", url) for url in _hrefs(document)), None)
    return None


def _hrefs(document: Element) -> list[str]:
    hrefs = (_attribute_url(anchor.get("href")) for anchor in document.iter("a"))
    return [href for href in hrefs if href]


def _attribute_url(value: str | None) -> str | None:
    """A URL from an attribute, without the whitespace the URL parser would strip."""
    if value is None or not value.strip():
        return None
    return value.strip()


def _query_and_fragment(url: str) -> list[tuple[str, str]]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    return query_pairs(parts.query) + query_pairs(parts.fragment)
