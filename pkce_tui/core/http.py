"""HTTP requests and responses as plain values, and the one place that sends them.

Protocol modules build an `HttpRequest`, hand it to `send`, and parse the `HttpResponse`;
they never touch httpx themselves, so unit tests drive them with `httpx.MockTransport`.
Redirects are never followed: every 302 is a step the user wants to see.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from pkce_tui.core.errors import NetworkError

Headers = tuple[tuple[str, str], ...]
DEFAULT_TIMEOUT = 10.0
MAX_BODY_BYTES = 2_000_000


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
        """The body as a JSON object, or None when it is not one."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def body_for_display(self) -> dict | list | str:
        """The body parsed when JSON, else the text (the `flow --json` response shape)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body


@dataclass(frozen=True)
class Exchange:
    """One request and what came back: a response, or the error that stopped it."""

    request: HttpRequest
    response: HttpResponse | None = None
    error: str | None = None
    labels: tuple[str, ...] = field(default=())


def _header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


def new_client(*, insecure: bool = False, timeout: float = DEFAULT_TIMEOUT,
               transport: httpx.AsyncBaseTransport | None = None,
               event_hooks: dict | None = None) -> httpx.AsyncClient:
    """The client every network step uses: TLS verified unless `insecure`, no redirects.

    `event_hooks` lets a transcript record every exchange as it goes on the wire.
    """
    return httpx.AsyncClient(
        verify=not insecure, timeout=timeout, follow_redirects=False, transport=transport,
        event_hooks=event_hooks,
    )


async def send(client: httpx.AsyncClient, request: HttpRequest) -> HttpResponse:
    """Send `request` and return the response verbatim; network trouble is a `NetworkError`."""
    started = time.perf_counter()
    try:
        response = await client.request(
            request.method, request.url, headers=list(request.all_headers()),
            content=request.body.encode() if request.body is not None else None,
            follow_redirects=False,
        )
        body = response.content[:MAX_BODY_BYTES].decode(response.encoding or "utf-8", "replace")
    except httpx.TimeoutException as exc:
        raise NetworkError(f"{request.method} {request.url}: no answer within the timeout",
                           request) from exc
    except httpx.InvalidURL as exc:
        raise NetworkError(f"{request.method} {request.url}: invalid URL ({exc})", request) from exc
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise NetworkError(f"{request.method} {request.url}: {reason}", request) from exc
    return HttpResponse(
        status=response.status_code,
        headers=tuple(response.headers.multi_items()),
        body=body,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        url=str(response.url),
    )
