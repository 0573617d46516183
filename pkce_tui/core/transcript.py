"""Every HTTP exchange of a flow as sent and received, recorded by httpx event hooks.

Exports go through `redaction.py`: secrets and tokens masked (DESIGN.md §7).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from functools import partial
from urllib.parse import parse_qsl

import httpx

from pkce_tui.core import client
from pkce_tui.core.errors import NetworkError
from pkce_tui.core.http import Exchange, HttpRequest, HttpResponse, decode_body
from pkce_tui.core.redaction import redacted_exchange


def _request_value(request: httpx.Request) -> HttpRequest:
    """An httpx request as the value it went out as: real headers, form or JSON object body."""
    text = request.content.decode("utf-8", "replace")
    content_type = request.headers.get("content-type", "").lower()
    form = json_body = None
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = tuple(parse_qsl(text, keep_blank_values=True))
    elif "json" in content_type:
        json_body = _json_object(text)
    return HttpRequest(method=request.method, url=str(request.url),
                       headers=tuple(request.headers.multi_items()), form=form,
                       json_body=json_body)


def _json_object(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _response_value(response: httpx.Response, body: bytes, elapsed_ms: float) -> HttpResponse:
    """An httpx response kept verbatim, with the body `client.send` read."""
    return HttpResponse(
        status=response.status_code, headers=tuple(response.headers.multi_items()),
        body=decode_body(body, response.encoding),
        elapsed_ms=round(elapsed_ms, 1), url=str(response.url),
    )


class Transcript:
    """Every HTTP exchange of a flow, as sent and received, recorded by httpx event hooks.

    Pass `event_hooks()` to `new_client`; each request is recorded when it leaves, and its
    response fills it in. A request that gets no answer stays recorded without a response until
    `record_error` (or `send`, which calls it) says what stopped it.
    """

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._pending: dict[int, tuple[httpx.Request, int, float]] = {}

    def event_hooks(self) -> dict:
        """`{"request": [...], "response": [...]}` for `httpx.AsyncClient(event_hooks=...)`."""
        return {"request": [self._on_request], "response": [self._on_response]}

    async def _on_request(self, request: httpx.Request) -> None:
        self._pending[id(request)] = (request, len(self.exchanges), time.perf_counter())
        label = request.extensions.get(client.LABEL)
        self.exchanges.append(Exchange(request=_request_value(request),
                                       labels=(label,) if label else ()))

    async def _on_response(self, response: httpx.Response) -> None:
        """Ask `client.send` for the body; the exchange stays pending until it is read."""
        response.extensions[client.RECORD_BODY] = partial(self._record_body, response)

    def _record_body(self, response: httpx.Response, body: bytes) -> None:
        _, index, started = self._pending.pop(id(response.request))
        value = _response_value(response, body, (time.perf_counter() - started) * 1000)
        self.exchanges[index] = replace(self.exchanges[index], response=value)

    def record_error(self, request: HttpRequest, error_text: str) -> None:
        """Mark the newest unanswered exchange to `request`'s URL as failed, or add one.

        A request can fail before the hooks see it (an invalid URL), hence the fallback.
        """
        for entry, (_, index, _) in reversed(list(self._pending.items())):
            recorded = self.exchanges[index]
            if (recorded.request.method, recorded.request.url) == _target(request):
                del self._pending[entry]
                self.exchanges[index] = replace(recorded, error=error_text)
                return
        self.exchanges.append(Exchange(request=request, error=error_text))

    async def send(self, http_client: httpx.AsyncClient, request: HttpRequest) -> HttpResponse:
        """`client.send`, with a failure recorded before the `NetworkError` goes on up."""
        try:
            return await client.send(http_client, request)
        except NetworkError as exc:
            self.record_error(request, str(exc))
            raise

    def redacted(self) -> list[dict]:
        """Every exchange for export, with secrets and tokens masked (DESIGN.md §7)."""
        return [redacted_exchange(exchange) for exchange in self.exchanges]


def _target(request: HttpRequest) -> tuple[str, str]:
    """Method and URL as httpx writes them, so a recorded request can be matched."""
    try:
        return request.method.upper(), str(httpx.URL(request.url))
    except httpx.InvalidURL:
        return request.method.upper(), request.url
