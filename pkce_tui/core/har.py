"""The authorization response inside a HAR file (a browser's recorded traffic).

Support engineers often get a HAR export from a user instead of a URL; the redirect that
carries the code (or the error) is one entry in it: a 3xx whose Location carries `code` or
`error`, or the request to the redirect URI itself (RFC 6749 §4.1.2).
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import parse_qs, urlsplit

from pkce_tui.core.errors import InputError
from pkce_tui.core.http import HttpResponse

MAX_HAR_BYTES = 64 * 1024 * 1024
RESPONSE_PARAMS = ("code", "error")


def looks_like_har(text: str) -> bool:
    """A JSON object whose first key is HAR's `log` (HAR 1.2 §log)."""
    head = text.lstrip("\ufeff \t\r\n")[:200]
    return head.startswith("{") and '"log"' in head


def authorization_response(text: str) -> str | HttpResponse:
    """The last 3xx answer that sends the browser back with `code`/`error` (its page shows how
    the server sent it), else the last callback request's URL."""
    entries = _entries(text)
    for request, response in reversed(entries):
        if 300 <= _status(response) < 400 and _points_back(response):
            return HttpResponse(_status(response), _headers(response), _body(response),
                                url=str(request.get("url", "")))
    for request, _ in reversed(entries):
        if _carries_response(str(request.get("url", ""))):
            return str(request["url"])
    raise InputError("the HAR file holds no authorization response: no redirect or callback "
                     "carrying code or error")


def _entries(text: str) -> list[tuple[dict, dict]]:
    if len(text) > MAX_HAR_BYTES:
        raise InputError(f"HAR file too large: over {MAX_HAR_BYTES // 1024 // 1024} MB")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InputError(f"the HAR file is not JSON: {exc}") from exc
    except RecursionError as exc:  # not a ValueError: the parser ran out of stack
        raise InputError("the HAR file's JSON is nested too deeply to read") from exc
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise InputError("the HAR file has no log.entries list")
    return [(e.get("request") or {}, e.get("response") or {}) for e in entries
            if isinstance(e, dict) and isinstance(e.get("request") or {}, dict)
            and isinstance(e.get("response") or {}, dict)]


def _carries_response(url: str | None) -> bool:
    query = parse_qs(urlsplit(url or "").query) | parse_qs(urlsplit(url or "").fragment)
    return any(name in query for name in RESPONSE_PARAMS)


def _points_back(response: dict) -> bool:
    """Its Location carries code/error, or (Location stripped from the export) its page does."""
    location = _location(response)
    if location:
        return _carries_response(location)
    body = _body(response)
    return any(f"{name}=" in body for name in RESPONSE_PARAMS)


def _status(response: dict) -> int:
    status = response.get("status")
    return status if isinstance(status, int) else 0


def _headers(response: dict) -> tuple[tuple[str, str], ...]:
    headers = response.get("headers")
    return tuple((str(h.get("name", "")), str(h.get("value", ""))) for h in headers
                 if isinstance(h, dict)) if isinstance(headers, list) else ()


def _location(response: dict) -> str | None:
    for name, value in _headers(response):
        if name.lower() == "location":
            return value
    redirect_url = response.get("redirectURL")
    return redirect_url if isinstance(redirect_url, str) and redirect_url else None


def _body(response: dict) -> str:
    """The recorded body text; base64 bodies decoded; absent (often stripped) is empty."""
    content = response.get("content")
    text = content.get("text") if isinstance(content, dict) else None
    if not isinstance(text, str):
        return ""
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return ""
    return text
