"""The one place that sends: an httpx client set up for debugging, and `send`.

Redirects are never followed: every 302 is a step the user wants to see. The client's timeout
bounds each exchange as a whole and a body is read only up to MAX_BODY_BYTES, raw and decoded
(whatever its Content-Encoding), so a slow, endless or compressed-bomb answer can neither hold
a step nor fill memory. Tests inject `httpx.MockTransport` here
for units and use real servers on loopback for integration.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx

from pkce_tui.core.content_coding import BodyDecoder
from pkce_tui.core.errors import NetworkError, ProtocolError
from pkce_tui.core.http import MAX_BODY_BYTES, HttpRequest, HttpResponse, decode_body

DEFAULT_TIMEOUT = 10.0
#: A response extension: called with the body `send` read, so a response hook that records the
#: exchange gets the body without reading (and decompressing) it a second time, unbounded.
RECORD_BODY = "pkce_tui.record_body"
#: A request extension: the label `send` was given, so a transcript can say which exchange this
#: is (the authorize probe, beside the flow's own authorize request).
LABEL = "pkce_tui.label"


def new_client(*, insecure: bool = False, timeout: float = DEFAULT_TIMEOUT,
               transport: httpx.AsyncBaseTransport | None = None,
               event_hooks: dict | None = None) -> httpx.AsyncClient:
    """The client every network step uses: TLS verified unless `insecure`, no redirects.

    `event_hooks` lets a transcript record every exchange as it goes on the wire. Response
    hooks must not read the body: they get it through the RECORD_BODY extension once `send`
    has read it, bounded. The raw stream is capped at MAX_BODY_BYTES all the same.
    """
    hooks = event_hooks or {}
    return httpx.AsyncClient(
        verify=not insecure, timeout=timeout, follow_redirects=False, transport=transport,
        event_hooks={"request": list(hooks.get("request", [])),
                     "response": [_cap_body, *hooks.get("response", [])]},
    )


def hooks_of(client: httpx.AsyncClient) -> dict:
    """`client`'s own event hooks (a transcript's), without the body cap `new_client` adds:
    a client made with them records its exchanges in the same place."""
    hooks = client.event_hooks
    return {"request": list(hooks.get("request", [])),
            "response": [hook for hook in hooks.get("response", []) if hook is not _cap_body]}


async def send(client: httpx.AsyncClient, request: HttpRequest, *,
               label: str | None = None) -> HttpResponse:
    """Send `request` and return the response verbatim, its body cut at MAX_BODY_BYTES.

    `label` names the exchange for a transcript recording it (the `LABEL` extension). Network
    trouble is a `NetworkError`, and so is an exchange that has not ended within the
    client's timeout: httpx's own timeout bounds each read, so a server trickling bytes would
    otherwise never time out.
    """
    started = time.perf_counter()
    seconds = _deadline(client)
    try:
        async with asyncio.timeout(seconds):
            response, body = await _exchange(client, request, label)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise NetworkError(_no_answer(request, seconds), request) from exc
    except httpx.InvalidURL as exc:
        raise NetworkError(f"{request.method} {request.url}: invalid URL ({exc})", request) from exc
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise NetworkError(f"{request.method} {request.url}: {reason}", request) from exc
    except ProtocolError as exc:
        raise NetworkError(f"{request.method} {request.url}: {exc}", request) from exc
    except UnicodeEncodeError as exc:
        raise NetworkError(f"{request.method} {request.url}: cannot be sent: a header or the "
                           f"body holds text {exc.encoding} cannot encode", request) from exc
    return HttpResponse(
        status=response.status_code,
        headers=tuple(response.headers.multi_items()),
        body=decode_body(body, response.encoding),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        url=str(response.url),
    )


async def _exchange(client: httpx.AsyncClient, request: HttpRequest,
                    label: str | None = None) -> tuple[httpx.Response, bytes]:
    """Send `request` exactly as built and read at most MAX_BODY_BYTES of the answer."""
    built = client.build_request(
        request.method, request.url, headers=list(request.all_headers()),
        content=request.body.encode() if request.body is not None else None,
        extensions={LABEL: label} if label else None,
    )
    if request.header("Cookie") is None:
        built.headers.pop("Cookie", None)  # added from the client's jar, not by the caller
    response = await client.send(built, stream=True, follow_redirects=False)
    try:
        body = await _read_body(response)
    finally:
        await response.aclose()
    if (record := response.extensions.get(RECORD_BODY)) is not None:
        record(body)
    return response, body


async def _read_body(response: httpx.Response) -> bytes:
    """The decoded body up to MAX_BODY_BYTES, decoded a bounded piece at a time.

    The cap counts decoded bytes, whatever the Content-Encoding, and the loop yields to the
    event loop between pieces, so the exchange's timeout can stop a body that decodes slowly.
    """
    if response.is_stream_consumed:  # made whole in memory (httpx.MockTransport in unit tests)
        return response.content[:MAX_BODY_BYTES]
    decoder = BodyDecoder(response.headers.get("Content-Encoding"), MAX_BODY_BYTES)
    body = bytearray()
    async for raw in response.aiter_raw():
        for piece in decoder.feed(raw):
            body += piece
            await asyncio.sleep(0)
        if decoder.full:
            break
    return bytes(body)


def _deadline(client: httpx.AsyncClient) -> float | None:
    """The client's timeout taken as the bound on a whole exchange (None: no bound)."""
    return max((s for s in client.timeout.as_dict().values() if s is not None), default=None)


def _no_answer(request: HttpRequest, seconds: float | None) -> str:
    within = "the timeout" if seconds is None else f"the timeout ({seconds:g} s)"
    return f"{request.method} {request.url}: no answer within {within}"


async def _cap_body(response: httpx.Response) -> None:
    """A response hook, run first: later hooks read at most MAX_BODY_BYTES of the raw body."""
    response.stream = _CappedStream(response.stream, MAX_BODY_BYTES)


class _CappedStream(httpx.AsyncByteStream):
    """A response's raw bytes up to `limit`; the rest is left unread on the connection."""

    def __init__(self, stream: httpx.AsyncByteStream, limit: int) -> None:
        self._stream = stream
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        left = self._limit
        async for chunk in self._stream:
            yield chunk[:left]
            left -= len(chunk)
            if left <= 0:
                return

    async def aclose(self) -> None:
        await self._stream.aclose()
