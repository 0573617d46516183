"""HTTP requests and responses as plain values.

Protocol modules build an `HttpRequest`, hand it to `client.send` (the one place that sends),
and parse the `HttpResponse`; the values need no HTTP library, so the flow model and the TUI
load without one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

Headers = tuple[tuple[str, str], ...]
MAX_BODY_BYTES = 2_000_000
MAX_JSON_DEPTH = 100  # far past any real answer, far below Python's recursion limit
_NOT_JSON = object()


def decode_body(body: bytes, charset: str | None) -> str:
    """A body as text in its declared charset (RFC 9110 §8.3.2); a charset that is no text
    encoding (a server may name `rot13` or `base64`) is read as UTF-8."""
    try:
        return body.decode(charset or "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


@dataclass(frozen=True)
class HttpRequest:
    """One request as it will be sent; `form` becomes an urlencoded body, `json_body` JSON."""

    method: str
    url: str
    headers: Headers = ()
    form: tuple[tuple[str, str], ...] | None = None
    json_body: dict | None = None

    @property
    def body(self) -> str | None:
        """The body text exactly as it goes on the wire."""
        if self.form is not None:
            return urlencode(self.form)
        if self.json_body is not None:
            return json.dumps(self.json_body)
        return None

    def all_headers(self) -> Headers:
        """The headers plus the Content-Type the body implies, as they go on the wire."""
        names = {name.lower() for name, _ in self.headers}
        implied: Headers = ()
        if "content-type" not in names:
            if self.form is not None:
                implied = (("Content-Type", "application/x-www-form-urlencoded"),)
            elif self.json_body is not None:
                implied = (("Content-Type", "application/json"),)
        return self.headers + implied

    def header(self, name: str) -> str | None:
        return _header(self.all_headers(), name)


@dataclass(frozen=True)
class HttpResponse:
    """A response kept verbatim: status, headers in order, the body text, and the timing."""

    status: int
    headers: Headers
    body: str
    elapsed_ms: float = 0.0
    url: str = ""

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self) -> dict | None:
        """The body as a JSON object, or None when it is not one (or nests too deep)."""
        data = _parsed(self.body)
        return data if isinstance(data, dict) else None

    def body_for_display(self) -> dict | list | str:
        """The body parsed when JSON, else the text (the `flow --json` response shape)."""
        data = _parsed(self.body)
        return self.body if data is _NOT_JSON else data


@dataclass(frozen=True)
class Exchange:
    """One request and what came back: a response, or the error that stopped it."""

    request: HttpRequest
    response: HttpResponse | None = None
    error: str | None = None
    labels: tuple[str, ...] = field(default=())


def json_within_bounds(text: str | bytes) -> object | None:
    """`text` parsed as JSON, or None when it is not JSON or nests past MAX_JSON_DEPTH (for
    bodies sent to the sandbox as much as for answers read from servers)."""
    data = _parsed(text)
    return None if data is _NOT_JSON else data


def _parsed(text: str | bytes) -> object:
    """`text` parsed as JSON, or `_NOT_JSON` when it is not JSON or nests past MAX_JSON_DEPTH.

    A server's body may be anything: nesting past the parser's recursion limit raises
    RecursionError (not ValueError), and a document nested just under that limit would overflow
    the code that walks it later (redaction, display).
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON
    return data if _nests_within(data, MAX_JSON_DEPTH) else _NOT_JSON


def _nests_within(value: object, depth: int) -> bool:
    """True when `value` holds containers at most `depth` deep; walked level by level, since
    recursing would meet the very limit this guards."""
    level = [value]
    for _ in range(depth):
        level = [child for item in level for child in _containers_in(item)]
        if not level:
            return True
    return False


def _containers_in(value: object) -> list[object]:
    """The objects and arrays directly inside `value`."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [item for item in items if isinstance(item, dict | list)]


def _header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None
