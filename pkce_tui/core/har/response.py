"""The authorization response inside a HAR file, for `--redirect-from` and `parse-redirect`.

The redirect that carries the code (or the error) is one entry: a 3xx whose Location carries
`code` or `error`, or the request to the redirect URI itself (RFC 6749 §4.1.2).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from pkce_tui.core import urls
from pkce_tui.core.errors import InputError
from pkce_tui.core.har.document import read_entries
from pkce_tui.core.http import HttpResponse

RESPONSE_PARAMS = ("code", "error")


def looks_like_har(text: str) -> bool:
    """A JSON object whose first key is HAR's `log` (HAR 1.2 §log)."""
    head = text.lstrip("\ufeff \t\r\n")[:200]
    return head.startswith("{") and '"log"' in head


def authorization_response(text: str) -> str | HttpResponse:
    """The last 3xx answer that sends the browser back with `code`/`error` (its page shows how
    the server sent it), else the last callback request's URL."""
    entries = read_entries(text)
    for entry in reversed(entries):
        if entry.response is not None and points_back(entry.response):
            return entry.response
    for entry in reversed(entries):
        if carries_response(entry.url):
            return entry.url
    raise InputError("the HAR file holds no authorization response: no redirect or callback "
                     "carrying code or error")


def carries_response(url: str | None) -> bool:
    """The URL's query or fragment has `code` or `error`: it is an authorization response."""
    parts = urls.parts(url or "")  # a URL that cannot be read carries nothing
    query = parse_qs(parts.query) | parse_qs(parts.fragment)
    return any(name in query for name in RESPONSE_PARAMS)


def points_back(response: HttpResponse) -> bool:
    """A 3xx whose Location carries code/error, or (Location stripped) whose page does."""
    if not 300 <= response.status < 400:
        return False
    location = response.header("Location")
    if location:
        return carries_response(location)
    return any(f"{name}=" in response.body for name in RESPONSE_PARAMS)
