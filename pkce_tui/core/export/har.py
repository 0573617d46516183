"""A session's exchanges as a HAR 1.2 log (the W3C Web Performance WG's HAR 1.2 draft), the
shape Chrome's and Firefox's network panels import: one page, one entry per exchange with
its request, response, cache and timings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from pkce_tui import __version__

HAR_VERSION = "1.2"
HTTP_VERSION = "HTTP/1.1"
PAGE_ID = "page_1"


def to_har(session: dict) -> dict:
    """`{"log": ...}` for the session's exchanges, in order, timed from its `created` moment."""
    started = _moment(session.get("created"))
    entries, at = [], started
    for record in session.get("exchanges", []):
        entry = _entry(record, at)
        entries.append(entry)
        at += timedelta(milliseconds=entry["time"])
    page = {"startedDateTime": _iso(started), "id": PAGE_ID,
            "title": "pkce-tui session", "pageTimings": {"onContentLoad": -1, "onLoad": -1}}
    return {"log": {"version": HAR_VERSION,
                    "creator": {"name": "pkce-tui", "version": __version__},
                    "pages": [page], "entries": entries}}


def _entry(record: dict, at: datetime) -> dict:
    response = record.get("response")
    elapsed = float(response.get("elapsed_ms") or 0.0) if response else 0.0
    entry = {"pageref": PAGE_ID, "startedDateTime": _iso(at), "time": elapsed,
             "request": _request(record["request"]),
             "response": _response(response) if response else _no_response(),
             "cache": {}, "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0,
                                      "wait": elapsed, "receive": 0, "ssl": -1}}
    if record.get("error"):
        entry["_error"] = record["error"]  # HAR 1.2 allows custom fields starting with "_"
    if record.get("labels"):
        entry["comment"] = ", ".join(map(str, record["labels"]))
    return entry


def _request(request: dict) -> dict:
    headers = _pairs(request.get("headers"))
    body = request.get("body")
    shown = {"method": request["method"], "url": request["url"], "httpVersion": HTTP_VERSION,
             "headers": headers, "queryString": _query(request["url"]),
             "cookies": _request_cookies(headers), "headersSize": -1,
             "bodySize": _size(body) if body is not None else 0}
    if body is not None:
        mime = _header(headers, "content-type") or "application/octet-stream"
        shown["postData"] = {"mimeType": mime, "text": body}
        if mime.lower().startswith("application/x-www-form-urlencoded"):
            shown["postData"]["params"] = [{"name": k, "value": v}
                                           for k, v in parse_qsl(body, keep_blank_values=True)]
    return shown


def _response(response: dict) -> dict:
    headers = _pairs(response.get("headers"))
    body = str(response.get("body") or "")
    status = int(response["status"])
    return {"status": status, "statusText": _reason(status), "httpVersion": HTTP_VERSION,
            "headers": headers, "cookies": _response_cookies(headers),
            "content": {"size": _size(body),
                        "mimeType": _header(headers, "content-type") or "x-unknown",
                        "text": body},
            "redirectURL": _header(headers, "location") or "", "headersSize": -1,
            "bodySize": _size(body)}


def _no_response() -> dict:
    """What HAR writers record for a request that got no answer (status 0)."""
    return {"status": 0, "statusText": "", "httpVersion": "", "headers": [], "cookies": [],
            "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "",
            "headersSize": -1, "bodySize": -1}


def _pairs(headers: object) -> list[dict]:
    if isinstance(headers, dict):
        return [{"name": str(k), "value": str(v)} for k, v in headers.items()]
    return [{"name": str(h["name"]), "value": str(h["value"])} for h in headers or []]


def _header(headers: list[dict], name: str) -> str | None:
    return next((h["value"] for h in headers if h["name"].lower() == name), None)


def _query(url: str) -> list[dict]:
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return [{"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)]


def _request_cookies(headers: list[dict]) -> list[dict]:
    """The Cookie header's pairs (RFC 6265 §5.4)."""
    cookies = []
    for header in headers:
        if header["name"].lower() == "cookie":
            for part in header["value"].split(";"):
                name, sep, value = part.strip().partition("=")
                if sep:
                    cookies.append({"name": name, "value": value})
    return cookies


def _response_cookies(headers: list[dict]) -> list[dict]:
    """Each Set-Cookie's name and value, with its Path, Domain, HttpOnly and Secure."""
    cookies = []
    for header in headers:
        if header["name"].lower() != "set-cookie":
            continue
        pair, *attributes = header["value"].split(";")
        name, _, value = pair.strip().partition("=")
        cookie: dict = {"name": name, "value": value}
        for attribute in attributes:
            key, _, item = attribute.strip().partition("=")
            if key.lower() in ("path", "domain", "expires"):
                cookie[key.lower()] = item
            elif key.lower() in ("httponly", "secure"):
                cookie["httpOnly" if key.lower() == "httponly" else "secure"] = True
        cookies.append(cookie)
    return cookies


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _moment(created: object) -> datetime:
    try:
        moment = datetime.fromisoformat(str(created))
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
