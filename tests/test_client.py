"""`send` bounded in time and size against real loopback servers that trickle or never stop, and
the request sent exactly as built."""

from __future__ import annotations

import asyncio
import functools
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from pkce_tui.core.client import new_client, send
from pkce_tui.core.errors import NetworkError
from pkce_tui.core.http import MAX_BODY_BYTES, HttpRequest, HttpResponse
from pkce_tui.core.transcript import Transcript

URL = "https://idp.example.test/token"
GUARD_SECONDS = 8.0  # past every bound under test: reaching it means `send` would never end
TRICKLE_SECONDS = 0.05  # one byte this often keeps httpx's per-read timeout from firing
STATUS_LINE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"

Answer = Callable[[asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serving(answer: Answer) -> AsyncIterator[str]:
    """A server on 127.0.0.1 that reads a request's head, then lets `answer` write the reply."""
    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await answer(writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up, as it should
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"


async def trickle(writer: asyncio.StreamWriter, head: bytes) -> None:
    """Write `head`, then one byte at a time for far longer than any test waits."""
    writer.write(head)
    for _ in range(int(GUARD_SECONDS * 10 / TRICKLE_SECONDS)):
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(TRICKLE_SECONDS)


async def trickled_body(writer: asyncio.StreamWriter) -> None:
    await trickle(writer, STATUS_LINE + b"Content-Length: 1000000\r\n\r\n")


async def trickled_headers(writer: asyncio.StreamWriter) -> None:
    await trickle(writer, STATUS_LINE + b"X-Padding: ")


async def endless_body(writer: asyncio.StreamWriter) -> None:
    """A body without a length, sent until the client hangs up (about 13 MB/s)."""
    writer.write(STATUS_LINE + b"Connection: close\r\n\r\n")
    while True:
        writer.write(b"x" * 65536)
        await writer.drain()
        await asyncio.sleep(0.005)


async def get(url: str, *, timeout: float, event_hooks: dict | None = None) -> HttpResponse:
    """`send` a GET; a send still running at GUARD_SECONDS fails the test instead of hanging."""
    async with new_client(timeout=timeout, event_hooks=event_hooks) as client:
        return await asyncio.wait_for(send(client, HttpRequest("GET", url)), GUARD_SECONDS)


@pytest.mark.parametrize("answer", [trickled_body, trickled_headers])
async def test_a_trickling_server_is_cut_off_at_the_timeout(answer):
    async with serving(answer) as url:
        with pytest.raises(NetworkError, match=r"^GET http://127\.0\.0\.1:\d+/: no answer "
                                               r"within the timeout \(1 s\)$"):
            await get(url, timeout=1)


async def test_an_endless_body_is_cut_at_max_body_bytes():
    async with serving(endless_body) as url:
        response = await get(url, timeout=5)
    assert response.status == 200
    assert response.body == "x" * MAX_BODY_BYTES


async def test_a_transcript_records_an_endless_body_cut_at_max_body_bytes():
    transcript = Transcript()
    async with serving(endless_body) as url:
        await get(url, timeout=5, event_hooks=transcript.event_hooks())
    [exchange] = transcript.exchanges
    assert exchange.response.body == "x" * MAX_BODY_BYTES


BOMB_BYTES = 400 * 1024 * 1024  # what the compressed body expands to


@functools.cache
def gzip_bomb_body() -> bytes:
    """A small gzip body that expands to BOMB_BYTES of zeros (made once: it costs seconds)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    chunk = bytes(1024 * 1024)
    body = b"".join(packer.compress(chunk) for _ in range(BOMB_BYTES // len(chunk)))
    return body + packer.flush()


async def gzip_bomb(writer: asyncio.StreamWriter) -> None:
    """The gzip bomb as the answer; made before the exchange starts, not within its timeout."""
    body = gzip_bomb_body()
    writer.write(STATUS_LINE + b"Content-Encoding: gzip\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()


async def test_a_transcript_never_holds_more_of_a_compressed_body_than_send_reads():
    transcript = Transcript()
    gzip_bomb_body()
    async with serving(gzip_bomb) as url:
        tracemalloc.start()
        try:
            response = await get(url, timeout=5, event_hooks=transcript.event_hooks())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    [exchange] = transcript.exchanges
    assert len(response.body) == len(exchange.response.body) == MAX_BODY_BYTES
    assert peak < BOMB_BYTES / 2  # decoded chunk by chunk and cut, never expanded whole


async def test_a_transcript_records_the_timeout_as_the_exchanges_error():
    transcript = Transcript()
    async with (serving(trickled_body) as url,
                new_client(timeout=1, event_hooks=transcript.event_hooks()) as client):
        with pytest.raises(NetworkError):
            await asyncio.wait_for(transcript.send(client, HttpRequest("GET", url)),
                                   GUARD_SECONDS)
    [exchange] = transcript.exchanges
    assert exchange.response is None
    assert exchange.error.endswith("no answer within the timeout (1 s)")


async def test_send_carries_only_the_cookies_the_request_names():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Cookie"))
        return httpx.Response(200, headers={"Set-Cookie": "sid=1; Path=/"})

    async with new_client(transport=httpx.MockTransport(handler)) as client:
        await send(client, HttpRequest("GET", URL))
        await send(client, HttpRequest("GET", URL))
        await send(client, HttpRequest("GET", URL, (("Cookie", "mine=2"),)))
    assert seen == [None, None, "mine=2"]


async def test_a_header_that_cannot_be_encoded_is_a_network_error_not_a_traceback():
    async with new_client(transport=httpx.MockTransport(lambda _: httpx.Response(204))) as client:
        with pytest.raises(NetworkError, match=f"^GET {URL}: cannot be sent: "):
            await send(client, HttpRequest("GET", URL, (("Cookie", "name=café"),)))


def test_body_decoder_makes_bounded_pieces_and_stops_at_the_limit():
    from pkce_tui.core.content_coding import PIECE_BYTES, BodyDecoder

    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    bomb = packer.compress(bytes(50_000_000)) + packer.flush()
    decoder = BodyDecoder("gzip", 1_000_000)
    pieces = list(decoder.feed(bomb))
    assert max(map(len, pieces)) <= PIECE_BYTES and sum(map(len, pieces)) == 1_000_000
    assert decoder.full


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_body_decoder_reads_deflate_wrapped_or_raw(wbits):
    from pkce_tui.core.content_coding import BodyDecoder

    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    data = packer.compress(b'{"a": 1}') + packer.flush()
    assert b"".join(BodyDecoder("deflate", 100).feed(data)) == b'{"a": 1}'


@pytest.mark.parametrize("encoding, body, message", [
    ("gzip, gzip, gzip", b"x", "3 content codings"),
    ("gzip", b"\x1f\x8bnot gzip at all", "does not decode as gzip"),
])
def test_body_decoder_refuses_stacks_and_corrupt_bodies(encoding, body, message):
    from pkce_tui.core.content_coding import BodyDecoder
    from pkce_tui.core.errors import ProtocolError

    with pytest.raises(ProtocolError, match=message):
        list(BodyDecoder(encoding, 100).feed(body))
