"""The one place that sends: an httpx client set up for debugging, and `send`.

Redirects are never followed: every 302 is a step the user wants to see. Tests inject
`httpx.MockTransport` here for units and use real servers on loopback for integration.
"""

from __future__ import annotations

import time

import httpx

from pkce_tui.core.errors import NetworkError
from pkce_tui.core.http import MAX_BODY_BYTES, HttpRequest, HttpResponse

DEFAULT_TIMEOUT = 10.0


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
