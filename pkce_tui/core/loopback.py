"""A one-shot listener for the loopback redirect of a native app (RFC 8252 §7.3).

It binds only the redirect URI's own loopback address and port, answers only the callback
path on the redirect URI's own Host (a page that rebinds a name to 127.0.0.1 is refused),
refuses a callback whose `state` is not the one sent (RFC 6749 §10.12), and stops after the
one callback it accepts. Every connection is bounded in size and time (a few seconds to send
its request), and when all the places are taken the oldest connection makes room, so idle
connections cannot keep the browser's callback out. HTTP is parsed by h11, never by hand.
"""

from __future__ import annotations

import asyncio
import errno
from urllib.parse import parse_qs, urlsplit

import h11

from pkce_tui.core import urls
from pkce_tui.core.errors import InputError, NetworkError

#: The hosts RFC 8252 §7.3 and §8.3 allow, and the address each one binds.
LOOPBACK_HOSTS = {"127.0.0.1": "127.0.0.1", "::1": "::1", "localhost": "127.0.0.1"}
MAX_HEAD_BYTES = 16_384
READ_TIMEOUT = 3.0  # a browser sends its request at once; an idle preconnect is dropped
MAX_CONNECTIONS = 32

ACCEPTED_PAGE = (
    "<!doctype html><title>pkce-tui</title><h1>pkce-tui received the redirect</h1>"
    "<p>You can close this tab and return to the terminal.</p>"
)
WRONG_STATE_PAGE = (
    "<!doctype html><title>pkce-tui</title><h1>Wrong state</h1>"
    "<p>This callback's state is not the one pkce-tui sent, so it was refused. "
    "pkce-tui is still waiting for the right one.</p>"
)
NOT_FOUND_PAGE = "<!doctype html><title>Not found</title><p>Not the callback path.</p>"
METHOD_PAGE = "<!doctype html><title>Method not allowed</title><p>Callbacks come as GET.</p>"
DONE_PAGE = "<!doctype html><title>Done</title><p>pkce-tui already has its callback.</p>"
BAD_REQUEST_PAGE = "<!doctype html><title>Bad request</title><p>Malformed request.</p>"
WRONG_HOST_PAGE = ("<!doctype html><title>Misdirected</title><p>This request names another "
                   "host than the redirect URI's.</p>")


def is_loopback_redirect(uri: str) -> bool:
    """True for an `http` URI on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def _bind_target(redirect_uri: str) -> tuple[str, int, str]:
    """The address, port and callback path a redirect URI asks the listener to serve."""
    if not is_loopback_redirect(redirect_uri):
        raise InputError(
            f"redirect URI {redirect_uri!r} is not a loopback http URI "
            "(127.0.0.1, [::1] or localhost, RFC 8252 §7.3)"
        )
    parts = urlsplit(redirect_uri)
    if parts.port == 0:
        raise InputError(f"redirect URI {redirect_uri!r} names port 0; give the registered port")
    port = 80 if parts.port is None else parts.port
    return LOOPBACK_HOSTS[parts.hostname or ""], port, parts.path or "/"


def _bind_failure(host: str, port: int, exc: OSError) -> str:
    """One line saying why `host` port `port` could not be bound."""
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use"
    if exc.errno == errno.EACCES:
        return f"port {port} on {host} needs privileges to bind; use a port above 1023"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"address {host} is not available on this machine"
    return f"cannot listen on port {port} on {host}: {exc.strerror or exc}"


async def _read_request(connection: h11.Connection,
                        reader: asyncio.StreamReader) -> h11.Request | None:
    """The next request head, or None when the client hangs up before sending one."""
    while True:
        event = connection.next_event()
        if event is not h11.NEED_DATA:
            return event if isinstance(event, h11.Request) else None
        connection.receive_data(await reader.read(4096))


async def _respond(connection: h11.Connection, writer: asyncio.StreamWriter, status: int,
                   page: str) -> None:
    """A small static page that loads nothing (CSP) and leaks nothing (no referrer, no cache)."""
    body = page.encode()
    headers = [
        ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
        ("Content-Security-Policy", "default-src 'none'"), ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"), ("Connection", "close"),
    ]
    if status == 405:
        headers.append(("Allow", "GET"))
    data = connection.send(h11.Response(status_code=status, headers=headers))
    data += connection.send(h11.Data(data=body)) + connection.send(h11.EndOfMessage())
    writer.write(data)
    await writer.drain()


class LoopbackListener:
    """Waits for the one authorization response a browser brings to a loopback redirect URI.

    Use as `async with LoopbackListener(uri, expected_state=s) as listener:`, open the browser,
    then `await listener.wait()`. Callbacks refused for a wrong state are kept in `rejected`.
    """

    def __init__(self, redirect_uri: str, *, expected_state: str | None = None,
                 timeout: float = 300.0):
        self.redirect_uri = redirect_uri
        self.expected_state = expected_state
        self.timeout = timeout
        self.rejected: list[str] = []
        self.host = ""
        self.port = 0
        self._path = "/"
        self._server: asyncio.Server | None = None
        self._callback: asyncio.Future[str] | None = None
        self._connections: dict[asyncio.Task, asyncio.StreamWriter] = {}

    async def __aenter__(self) -> LoopbackListener:
        """Bind now, so the port is taken before the browser is sent to the server."""
        self.host, self.port, self._path = _bind_target(self.redirect_uri)
        self._callback = asyncio.get_running_loop().create_future()
        try:
            self._server = await asyncio.start_server(self._handle, self.host, self.port)
        except OSError as exc:
            raise NetworkError(_bind_failure(self.host, self.port, exc)) from exc
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop listening and drop every connection still open."""
        if self._server is None:
            return
        self._server.close()
        for writer in self._connections.values():
            writer.close()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    async def wait(self) -> str:
        """The full URL of the accepted callback; NetworkError when none comes in time."""
        if self._callback is None:
            raise RuntimeError("LoopbackListener.wait() called outside `async with`")
        try:
            return await asyncio.wait_for(asyncio.shield(self._callback), self.timeout)
        except TimeoutError:
            raise NetworkError(
                f"no callback reached {self.redirect_uri} within {self.timeout:g} s"
            ) from None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection: at most one request, bounded in size and time, then close."""
        task = asyncio.current_task()
        if task is None:
            writer.close()
            return
        if len(self._connections) >= MAX_CONNECTIONS:
            self._drop_oldest()
        self._connections[task] = writer
        try:
            await self._serve(reader, writer)
        except (OSError, TimeoutError, h11.ProtocolError):
            pass  # a client that hangs up, stalls or speaks garbage only loses its own answer
        finally:
            self._connections.pop(task, None)
            writer.close()

    def _drop_oldest(self) -> None:
        """Close the connection open longest: a new one (the browser's) is never kept out."""
        oldest = next(iter(self._connections))
        self._connections.pop(oldest).close()
        oldest.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        try:
            request = await asyncio.wait_for(_read_request(connection, reader), READ_TIMEOUT)
        except h11.RemoteProtocolError as exc:
            await _respond(connection, writer, exc.error_status_hint, BAD_REQUEST_PAGE)
            return
        if request is None:
            return
        status, page = self._route(request)
        await _respond(connection, writer, status, page)

    def _route(self, request: h11.Request) -> tuple[int, str]:
        """Status and page for a request; the first good callback is accepted on the spot."""
        target = urlsplit(request.target.decode("ascii", "replace"))
        if not self._host_matches(request):
            return 421, WRONG_HOST_PAGE
        if target.path != self._path:
            return 404, NOT_FOUND_PAGE
        if request.method != b"GET":
            return 405, METHOD_PAGE
        if self._callback is None or self._callback.done():
            return 410, DONE_PAGE
        url = self._callback_url(target.path, target.query)
        if not self._state_matches(target.query):
            self.rejected.append(url)
            return 400, WRONG_STATE_PAGE
        self._accept(url)
        return 200, ACCEPTED_PAGE

    def _host_matches(self, request: h11.Request) -> bool:
        """The Host header names a loopback host on the redirect URI's port (RFC 9110 §7.2),
        as a browser sent to the redirect URI does; a request for another name that resolves
        to loopback (DNS rebinding) does not."""
        hosts = [value for name, value in request.headers if name == b"host"]
        if len(hosts) != 1:
            return False
        named = urls.split("//" + hosts[0].decode("ascii", "replace"))
        if named is None or named.hostname not in LOOPBACK_HOSTS:
            return False
        return (80 if named.port is None else named.port) == self.port

    def _callback_url(self, path: str, query: str) -> str:
        """The callback as the browser was sent to it: the redirect URI's origin, path, query."""
        origin = urlsplit(self.redirect_uri)
        return f"http://{origin.netloc}{path}" + (f"?{query}" if query else "")

    def _state_matches(self, query: str) -> bool:
        """RFC 6749 §10.12: exactly the state that was sent, once; anything goes without one."""
        states = parse_qs(query, keep_blank_values=True).get("state", [])
        return self.expected_state is None or states == [self.expected_state]

    def _accept(self, callback_url: str) -> None:
        """Hand the callback to `wait()` and stop listening: the listener is one-shot."""
        if self._callback is not None:
            self._callback.set_result(callback_url)
        if self._server is not None:
            self._server.close()
