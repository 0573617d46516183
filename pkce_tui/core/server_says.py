"""The server's own words about a refusal, read from whatever shape it answered in.

Every provider speaks its own dialect of "no": RFC 6749 §4.1.2.1/§5.2 `error`,
`error_description` and `error_uri` (in JSON, or in a redirect's query or fragment),
Cloudentity's `error_hint`, `cause`, `status_code` and `X-Trace-ID`, PingOne's platform errors
(`code`, `message`, `details[]` with `code`/`target`/`message`, a correlation id), CyberArk's
envelope (`success: false`, `Message`, `ErrorCode`, `ErrorID`), an HTML error page (its JSON in
a `<pre>`, or its visible text) and plain text. Diagnosis rules match causes on these fields
before any free text, so the structured fields are kept apart, not flattened into one line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from pkce_tui.core.errors import PkceTuiError, ProtocolError
from pkce_tui.core.http import HttpResponse

MAX_TEXT_CHARS = 500
#: Elements whose text a browser does not show.
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
_CORRELATION = re.compile(r"correlation id:?\s*([\w-]+)", re.IGNORECASE)
_TRACE_HEADERS = ("X-Trace-ID", "X-Correlation-ID", "Correlation-Id", "X-Request-ID")
_OAUTH_FIELDS = ("error", "error_description", "error_uri")
#: Provider fields kept as they are, under their own names.
_EXTRA_FIELDS = ("error_hint", "cause", "error_cause", "status_code", "trace_id", "code",
                 "message", "id")
_CYBERARK_FIELDS = ("Message", "ErrorCode", "ErrorID", "MessageID")


@dataclass(frozen=True)
class ServerSays:
    """What the server said, by field; `source` names the shape it was read from.

    `extras` holds the provider's own fields under their own names (`error_hint`, `cause`,
    `details`, `Message`, `trace_id`, `correlation_id`, `text`, ...).
    """

    source: str
    error: str | None = None
    error_description: str | None = None
    error_uri: str | None = None
    extras: Mapping[str, object] = field(default_factory=dict)

    def get(self, name: str) -> object:
        """A field by name: the three RFC 6749 fields or a provider extra."""
        if name in _OAUTH_FIELDS:
            return getattr(self, name)
        return self.extras.get(name)

    @property
    def details(self) -> list[dict]:
        """PingOne's `details[]` entries, each an object."""
        value = self.extras.get("details")
        return [d for d in value if isinstance(d, dict)] if isinstance(value, list) else []

    @property
    def cause(self) -> str | None:
        """Cloudentity's machine-readable cause (`cause` in JSON, `error_cause` in redirects)."""
        value = self.extras.get("cause") or self.extras.get("error_cause")
        return str(value) if value else None

    @property
    def specific(self) -> str:
        """The most specific words: Cloudentity's hint over its generic description, PingOne's
        detail messages over its generic message, CyberArk's Message, else the page's text."""
        for name in ("error_hint", "Message"):
            if self.extras.get(name):
                return str(self.extras[name])
        messages = [str(d.get("message")) for d in self.details if d.get("message")]
        if messages:
            return "; ".join(messages)
        return self.error_description or str(self.extras.get("message") or "") \
            or str(self.extras.get("text") or "")

    def words(self) -> str:
        """Every field's text in one lower-case string, for the free-text rules."""
        parts = [self.error or "", self.error_description or "", self.cause or ""]
        parts += [str(v) for k, v in self.extras.items() if k not in ("details", "cause")]
        parts += [f"{d.get('code', '')} {d.get('target', '')} {d.get('message', '')}"
                  for d in self.details]
        return " ".join(p for p in parts if p).lower()

    def summary(self) -> str:
        """One line: the error code and the most specific words."""
        specific = self.specific
        if self.error and specific:
            return f"{self.error}: {specific}"
        return self.error or specific or "no words"

    def to_json(self) -> dict:
        """The `server_says` object of `flow --json` (DESIGN.md §3): present fields only."""
        document: dict = {"source": self.source}
        for name in _OAUTH_FIELDS:
            if getattr(self, name) is not None:
                document[name] = getattr(self, name)
        document.update(self.extras)
        return document


def from_params(params: Mapping[str, str], source: str = "query") -> ServerSays | None:
    """An authorization error response's words (RFC 6749 §4.1.2.1), None when it has no error."""
    if not params.get("error"):
        return None
    extras = {name: params[name] for name in ("error_hint", "error_cause", "trace_id")
              if params.get(name)}
    return ServerSays(source, params.get("error"), params.get("error_description"),
                      params.get("error_uri"), extras)


def from_response(response: HttpResponse | None) -> ServerSays | None:
    """What an HTTP answer says about a refusal; None for a success or an empty answer.

    A 2xx JSON answer says something only when it carries an error (RFC 6749 §5.2 allows
    none, yet some servers do) or CyberArk's `success: false`; a 3xx is read from its
    Location's query and fragment; any 4xx/5xx is read in whatever shape its body has.
    """
    if response is None:
        return None
    if 300 <= response.status < 400:
        return _from_location(response.header("Location") or "")
    data = response.json()
    if data is not None:
        return _from_json(data, response, "json")
    if response.status < 400:
        return None
    return _from_text_body(response)


def last_words(exchanges) -> ServerSays | None:
    """What the last answer of several (a login's hops) said, when one said something."""
    for exchange in reversed(tuple(exchanges)):
        words = from_response(exchange.response)
        if words is not None:
            return words
    return None


def _from_location(location: str) -> ServerSays | None:
    parts = urlsplit(location)
    for component, source in ((parts.query, "query"), (parts.fragment, "fragment")):
        said = from_params(dict(parse_qsl(component, keep_blank_values=True)), source)
        if said is not None:
            return said
    return None


def _from_json(data: dict, response: HttpResponse | None, source: str) -> ServerSays | None:
    """CyberArk's envelope when `success` is false; else RFC 6749 §5.2 fields plus whichever
    provider's fields the object carries, when it reports an error or came with a 4xx/5xx."""
    if data.get("success") is False:
        return _cyberark(data)
    failed = response is None or response.status >= 400
    if "error" not in data and not failed:
        return None
    return _oauth(data, response, source)


def _oauth(data: dict, response: HttpResponse | None, source: str) -> ServerSays:
    extras: dict[str, object] = {name: data[name] for name in _EXTRA_FIELDS + _CYBERARK_FIELDS
                                 if data.get(name) not in (None, "", {}, [])}
    if isinstance(data.get("details"), list) and data["details"]:
        extras["details"] = [_detail(d) for d in data["details"] if isinstance(d, dict)]
    extras.update(_ids(data, response))
    return ServerSays(source, _text(data.get("error")), _text(data.get("error_description")),
                      _text(data.get("error_uri")), extras)


def _detail(entry: dict) -> dict:
    """One PingOne detail: its code, target and message (and any inner details)."""
    kept = {name: entry[name] for name in ("code", "target", "message") if name in entry}
    if isinstance(entry.get("innerError"), dict):
        kept["innerError"] = entry["innerError"]
    return kept


def _cyberark(data: dict) -> ServerSays:
    extras: dict[str, object] = {"success": data.get("success")}
    extras.update({name: data[name] for name in _CYBERARK_FIELDS if data.get(name)})
    result = data.get("Result")
    if isinstance(result, dict) and result.get("Summary"):
        extras["Summary"] = result["Summary"]
    return ServerSays("cyberark", _text(data.get("error")),
                      _text(data.get("error_description")), None, extras)


def _ids(data: dict, response: HttpResponse | None) -> dict[str, str]:
    """The ids a support ticket quotes: Cloudentity's trace id, PingOne's correlation id."""
    found: dict[str, str] = {}
    for name in _TRACE_HEADERS:
        value = response.header(name) if response is not None else None
        if value:
            key = "trace_id" if "trace" in name.lower() else "correlation_id"
            found.setdefault(key, value)
    text = " ".join(str(data.get(k) or "") for k in ("error_description", "message"))
    match = _CORRELATION.search(text)
    if match:
        found.setdefault("correlation_id", match.group(1))
    return found


_CHALLENGE_PARAM = re.compile(r'(error|error_description|error_uri)="([^"]*)"')


def _from_challenge(response: HttpResponse) -> ServerSays | None:
    """A Bearer challenge's error (RFC 6750 §3): `WWW-Authenticate: Bearer error="…"`."""
    params = dict(_CHALLENGE_PARAM.findall(response.header("WWW-Authenticate") or ""))
    if not params.get("error"):
        return None
    return ServerSays("www_authenticate", params["error"], params.get("error_description"),
                      params.get("error_uri"))


def _from_text_body(response: HttpResponse) -> ServerSays | None:
    content_type = (response.header("Content-Type") or "").lower()
    body = response.body.strip()
    challenge = _from_challenge(response)
    if challenge is not None:
        return challenge
    if not body:
        return ServerSays("status", extras={"text": f"HTTP {response.status} with no body"})
    if "html" in content_type or body[:1] == "<":
        return from_html(body, response)
    return ServerSays("text", extras={"text": _clipped(body)})


def from_html(page: str, response: HttpResponse | None = None) -> ServerSays:
    """An HTML error page: JSON in a `<pre>` read as JSON, else the page's visible text.

    The HTML parser is loaded here, on the first page, so the flow model starts without it.
    """
    from pkce_tui.core.html_page import parse_html

    try:
        document = parse_html(page, what="error page", error=ProtocolError)
    except PkceTuiError:
        return ServerSays("html_text", extras={"text": _clipped(re.sub(r"<[^>]*>", " ", page))})
    for pre in document.iter("pre"):
        data = _json_object("".join(pre.itertext()))
        if data is not None:
            said = _from_json(data, response, "html_json")
            if said is not None:
                return said
    text = _visible_text(document)
    title = " ".join("".join(t.itertext()) for t in document.iter("title")).strip()
    extras: dict[str, object] = {"text": _clipped(text)}
    if title:
        extras["title"] = _clipped(title)
    error, description = _labelled_error(text)
    return ServerSays("html_text", error, description, None, extras)


def _json_object(text: str) -> dict | None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _visible_text(document) -> str:
    """The text a browser shows: every element's text and tail but scripts, styles and the
    head. Walked with a stack, since a hostile page may nest deeper than recursion allows."""
    pieces: list[str] = []
    pending: list = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            pieces.append(item)
            continue
        if not isinstance(item.tag, str) or item.tag.lower() in _HIDDEN:
            continue  # comments, processing instructions, hidden elements
        if item.text:
            pieces.append(item.text)
        for child in reversed(list(item)):
            if child.tail:
                pending.append(child.tail)
            pending.append(child)
    return " ".join(" ".join(pieces).split())


_LABELLED = re.compile(r"\berror\b\s*[:=]\s*([a-z_]+)(?:.*?\berror_description\b\s*[:=]\s*"
                       r"(.+?)(?=\s+\b(?:error_\w+|state|iss)\b\s*[:=]|$))?", re.IGNORECASE)


def _labelled_error(text: str) -> tuple[str | None, str | None]:
    """`error: invalid_client error_description: …` as many servers' error pages print it."""
    match = _LABELLED.search(text)
    if not match:
        return None, None
    return match.group(1), (match.group(2) or "").strip() or None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _clipped(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS - 1] + "…"
