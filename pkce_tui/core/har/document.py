"""A HAR 1.2 export read into plain values: each entry's request, response and time.

Browsers write HAR differently (Chrome adds `_resourceType` and may drop bodies and cookies,
Firefox lists form fields in `postData.params`, Safari leaves optional fields out), so only
what the rebuild needs is required: an entries list, and a URL for each request. Everything the
file says is checked where it is read; anything malformed is an `InputError` naming the entry
and the field (HAR 1.2: http://www.softwareishard.com/blog/har-12-spec/).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from pkce_tui.core.errors import InputError
from pkce_tui.core.http import HttpRequest, HttpResponse

MAX_HAR_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 100_000
MAX_BODY_BYTES = 16 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class HarEntry:
    """One recorded exchange. `response` is None when the browser got no answer (HAR status 0:
    blocked, aborted, or the app at the redirect URI was not running)."""

    index: int
    started: float | None
    duration_ms: float
    request: HttpRequest
    response: HttpResponse | None
    resource_type: str | None = None

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def ended(self) -> float | None:
        """When the answer was complete, in seconds since the epoch (HAR `time` is in ms)."""
        return None if self.started is None else self.started + self.duration_ms / 1000


def read_entries(text: str) -> list[HarEntry]:
    """Every entry of the HAR in time order (file order where times are missing or equal)."""
    log = _log(_document(text))
    raw_entries = log.get("entries")
    if not isinstance(raw_entries, list):
        raise InputError("the HAR file has no log.entries list")
    if len(raw_entries) > MAX_ENTRIES:
        raise InputError(f"the HAR file has {len(raw_entries)} entries, over {MAX_ENTRIES}")
    entries = [_entry(index, raw) for index, raw in enumerate(raw_entries)]
    if all(entry.started is not None for entry in entries):
        entries.sort(key=lambda entry: (entry.started, entry.index))
    return entries


def _document(text: str) -> dict:
    if len(text) > MAX_HAR_BYTES:
        raise InputError(f"HAR file too large: over {MAX_HAR_BYTES // 1024 // 1024} MB")
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except ValueError as exc:
        raise InputError(f"the HAR file is not JSON: {exc}") from exc
    except RecursionError as exc:  # not a ValueError: the parser ran out of stack
        raise InputError("the HAR file's JSON is nested too deeply to read") from exc
    if not isinstance(document, dict):
        raise InputError("the HAR file is not a JSON object with a log")
    return document


def _log(document: dict) -> dict:
    log = document.get("log")
    if not isinstance(log, dict):
        raise InputError("the HAR file has no log object (HAR 1.2 §log)")
    return log


def _entry(index: int, raw: object) -> HarEntry:
    if not isinstance(raw, dict):
        raise InputError(f"HAR entry {index} is not an object")
    request = _object(raw, "request", index, required=True)
    response = _object(raw, "response", index, required=False)
    http_request = _request(index, request)
    where = f"entry {index} ({http_request.method} {_short(http_request.url)})"
    return HarEntry(
        index=index, started=_started(raw.get("startedDateTime"), index),
        duration_ms=_number(raw.get("time"), 0.0), request=http_request,
        response=_response(where, response, http_request.url),
        resource_type=_text(raw.get("_resourceType") or raw.get("_fetchType")),
    )


def _object(raw: dict, name: str, index: int, *, required: bool) -> dict:
    value = raw.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"HAR entry {index} has no {name} object")
    return value


def _request(index: int, request: dict) -> HttpRequest:
    url = request.get("url")
    if not isinstance(url, str) or not url:
        raise InputError(f"HAR entry {index}'s request has no url")
    _check_url(url, f"HAR entry {index}'s request url")
    method = request.get("method") or "GET"
    if not isinstance(method, str) or not method.isalpha():
        raise InputError(f"HAR entry {index}'s request method {method!r} is not an HTTP method")
    headers = _headers(request.get("headers"), f"HAR entry {index}'s request headers")
    form, json_body = _post_data(request.get("postData"), headers, index)
    return HttpRequest(method.upper(), url, headers, form=form, json_body=json_body)


def _check_url(url: str, what: str) -> None:
    """An absolute URL whose host and port can be read (RFC 3986 §4.3)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise InputError(f"{what} {_short(url)!r} is not a valid URL ({exc})") from exc
    if not parts.scheme or not (parts.netloc or parts.scheme not in ("http", "https")):
        raise InputError(f"{what} {_short(url)!r} is not an absolute URL")
    if not url.isprintable() or " " in url:
        raise InputError(f"{what} {_short(url)!r} holds spaces or control characters")


def _headers(raw: object, what: str) -> tuple[tuple[str, str], ...]:
    """HAR headers `[{"name", "value"}]`; absent is none (Safari may leave them out)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(f"{what} are not a list")
    headers = []
    for header in raw:
        if not isinstance(header, dict) or not isinstance(header.get("name"), str):
            raise InputError(f"{what} hold an item without a name")
        headers.append((header["name"], _text(header.get("value")) or ""))
    return tuple(headers)


def _post_data(raw: object, headers, index: int) -> tuple[tuple | None, dict | None]:
    """The request body as form fields or a JSON object; other bodies are not kept.

    Firefox lists urlencoded fields in `params`; Chrome gives only `text`.
    """
    if not isinstance(raw, dict):
        return None, None
    mime = (_text(raw.get("mimeType")) or _header(headers, "content-type") or "").lower()
    text = raw.get("text")
    if "json" in mime and isinstance(text, str):
        return None, _json_object(text)
    if isinstance(text, str) and ("urlencoded" in mime or not mime):
        return tuple(parse_qsl(text, keep_blank_values=True)), None
    params = raw.get("params")
    if isinstance(params, list) and "multipart" not in mime:
        pairs = [(str(p.get("name", "")), _text(p.get("value")) or "") for p in params
                 if isinstance(p, dict)]
        return tuple(pairs), None
    return None, None


def _json_object(text: str) -> dict | None:
    """A JSON object body, nesting bounded as for any server's JSON; else None."""
    return HttpResponse(0, (), text).json()


def _response(where: str, response: dict, url: str) -> HttpResponse | None:
    status = response.get("status", 0)
    if isinstance(status, bool) or not isinstance(status, int) or not 0 <= status < 1000:
        raise InputError(f"HAR {where}: response status {status!r} is not an HTTP status")
    if status == 0:
        return None
    headers = _headers(response.get("headers"), f"HAR {where}: response headers")
    location = response.get("redirectURL")
    if isinstance(location, str) and location and _header(headers, "location") is None:
        headers += (("Location", location),)  # Chrome keeps it here when it drops headers
    return HttpResponse(status, headers, _body(where, response.get("content")), url=url)


def _body(where: str, content: object) -> str:
    """The response body text: base64 decoded when `encoding` says so, gzip inflated when the
    bytes are gzip; absent (Chrome drops some) is empty."""
    if not isinstance(content, dict) or not isinstance(content.get("text"), str):
        return ""
    text, encoding = content["text"], _text(content.get("encoding")) or ""
    if "base64" not in encoding.lower():
        return text
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"HAR {where}: the response body is not valid base64 ({exc})") from exc
    if data.startswith(GZIP_MAGIC) or "gzip" in encoding.lower():
        data = _gunzip(where, data)
    return data.decode("utf-8", "replace")


def _gunzip(where: str, data: bytes) -> bytes:
    """Inflate a gzip body, at most MAX_BODY_BYTES: a small file may inflate to gigabytes."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(data, MAX_BODY_BYTES + 1)
    except zlib.error as exc:
        raise InputError(f"HAR {where}: the response body is not valid gzip ({exc})") from exc
    if len(inflated) > MAX_BODY_BYTES:
        raise InputError(f"HAR {where}: the response body inflates past "
                         f"{MAX_BODY_BYTES // 1024 // 1024} MB")
    if not inflater.eof:
        raise InputError(f"HAR {where}: the response body is truncated gzip")
    return inflated


def _started(value: object, index: int) -> float | None:
    """`startedDateTime` (ISO 8601) as seconds since the epoch; absent is None."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"HAR entry {index}'s startedDateTime {str(value)[:40]!r} is not an "
                         "ISO 8601 time") from exc
    if moment.tzinfo is None:
        raise InputError(f"HAR entry {index}'s startedDateTime {str(value)[:40]!r} has no "
                         "time zone")
    return moment.timestamp()


def _number(value: object, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return default
    return max(float(value), 0.0) if value < 1e12 else default


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _header(headers, name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name), None)


def _short(url: str, limit: int = 80) -> str:
    """A URL cut for an error line, its query left out: queries carry codes and state."""
    base = url.split("?", 1)[0].split("#", 1)[0]
    return base if len(base) <= limit else base[:limit - 1] + "…"

