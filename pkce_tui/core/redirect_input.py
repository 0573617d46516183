"""Telling apart what the user has: a callback URL, a raw HTTP response, an HTML page, a HAR.

Each is read down to where its redirect is: the URL itself, the Location header (which wins
over the body), or the redirect the HTML page carries. Text over 1 MB is refused before any
parsing (a HAR file has its own, larger limit).
"""

from __future__ import annotations

import http.client
import io
import re

from pkce_tui.core import har
from pkce_tui.core.errors import InputError
from pkce_tui.core.har.response import carries_response
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.redirect_html import from_html
from pkce_tui.core.redirect_params import Found

MAX_INPUT_BYTES = 1_048_576
NO_REDIRECT = "no redirect found: expected a URL, an HTTP response or an HTML page"
_URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|[/?#]")
_HTML_TAG = re.compile(r"<[A-Za-z!/?]")
#: http.client knows HTTP/1.x status lines only; curl prints "HTTP/2 302" for HTTP/2 and 3.
_NEWER_HTTP = re.compile(rb"\AHTTP/[23](?:\.0)?(?=[ \t])")


def from_text(text: str) -> Found:
    """Where the redirect is in pasted text; a HAR file yields the entry carrying the response."""
    return _from_har(text) if har.looks_like_har(text) else _find(text)


def _find(text: str) -> Found:
    """Tell a URL, an HTTP response and an HTML page apart, and find the redirect in it."""
    _check_size(text)
    stripped = text.lstrip("\ufeff").strip()
    if stripped.startswith("HTTP/"):
        return _from_raw_http(stripped)
    if _URL_START.match(stripped) and not any(char.isspace() for char in stripped):
        return Found("url", stripped)
    if _HTML_TAG.search(stripped):
        return from_html(stripped)
    raise InputError(NO_REDIRECT)


def _from_har(text: str) -> Found:
    response = har.authorization_response(text)
    if isinstance(response, HttpResponse):
        return from_http(response.status, response.header("Location"), response.body)
    return Found("url", response)


def _check_size(text: str) -> None:
    """Refuse more than 1 MB of UTF-8 before any parsing starts."""
    if len(text) > MAX_INPUT_BYTES or len(utf8(text)) > MAX_INPUT_BYTES:
        raise InputError(f"input too large: over {MAX_INPUT_BYTES} bytes (1 MB)")


def utf8(text: str) -> bytes:
    """The text as UTF-8; a lone surrogate in pasted text is kept, not an encoding error."""
    return text.encode("utf-8", "surrogatepass")


# --- HTTP responses ---------------------------------------------------------------------------


class _PastedSocket:
    """Just enough of a socket for `http.client.HTTPResponse` to read pasted bytes."""

    def __init__(self, data: bytes) -> None:
        self.file = io.BytesIO(data)

    def makefile(self, *args, **kwargs) -> io.BytesIO:
        return self.file


def _from_raw_http(text: str) -> Found:
    """Read the status line and headers with http.client's own parser, then the body."""
    sock = _PastedSocket(_NEWER_HTTP.sub(b"HTTP/1.1", utf8(text), count=1))
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
    except (http.client.HTTPException, ValueError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise InputError(f"malformed HTTP response: {reason[:200]!r}") from exc
    location = _undo_latin1(response.getheader("Location"))
    if location and carries_response(location.strip()):
        # the Location header already has the code or error, and it wins over the body:
        # a pasted page of any size or shape is not parsed for nothing
        return Found("location", location.strip())
    body = sock.file.read().decode("utf-8", "replace")
    return from_http(response.status, location, body)


def _undo_latin1(value: str | None) -> str | None:
    """http.client decodes headers as Latin-1; pasted text is UTF-8 (RFC 9110 §5.5)."""
    if value is None:
        return None
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def _page_link(body: str) -> str | None:
    """The link of the redirect page sent beside a Location header, when there is one."""
    if not _HTML_TAG.search(body):
        return None
    try:
        _check_size(body)
        return from_html(body).url
    except InputError:
        return None


def from_http(status: int, location: str | None, body: str) -> Found:
    """The Location header wins over the body; without one the body must be a redirect page."""
    if location and location.strip():
        return Found("location", location.strip(), page_link=_page_link(body))
    _check_size(body)
    if _HTML_TAG.search(body):
        return from_html(body)
    raise InputError(f"HTTP {status} response has no Location header and no HTML page")
