"""Running the sandbox: on loopback only, in a background thread or in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import sys
import threading
import time
from collections.abc import Callable

import uvicorn

from pkce_tui.core.errors import InputError, PkceTuiError
from pkce_tui.output import silence_stdout
from pkce_tui.sandbox.app import build_app
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import DIALECTS
from pkce_tui.sandbox.directory import check_client_id
from pkce_tui.sandbox.faults import check_fault
from pkce_tui.sandbox.keys import SigningKeys, load_or_create_key

ALL_DIALECTS = tuple(DIALECTS)
START_TIMEOUT = 10.0


def loopback_address(host: str) -> str:
    """The loopback IP to bind for `host`; anything else is refused (the sandbox is a toy)."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise InputError(f"--host {host!r} is not a loopback address: the sandbox only listens "
                         "on 127.0.0.1, ::1 or localhost")
    return str(address)


class Sandbox:
    """The embedded authorization server: all dialects on one loopback port.

    `with Sandbox() as sb:` starts it on a free port and stops it on leaving the block.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, key_file: str | None = None,
                 dialects: tuple[str, ...] = ALL_DIALECTS, iss: tuple[str, ...] = (),
                 log: Callable[[str], None] | None = None):
        """`iss`: dialects whose authorization responses carry `iss` although their provider
        leaves it off by default (RFC 9207)."""
        self._address = loopback_address(host)
        self._port = port
        key = load_or_create_key(key_file) if key_file else None  # None: made on first use
        self.context = SandboxContext(keys=SigningKeys(key), iss_dialects=frozenset(iss))
        self.dialects = dialects
        self._app = build_app(self.context, dialects, log)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Sandbox:
        """Bind, serve from a background thread with its own event loop, return once listening."""
        sock = self._bind()
        self.context.base_url = self._url_of(sock)
        self.context.closing.clear()
        config = uvicorn.Config(self._app, log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True,
                                        name="pkce-tui-sandbox")
        self._thread.start()
        self._wait_until_started()
        return self

    def _bind(self) -> socket.socket:
        """The listening socket, made with protocol IPPROTO_TCP (not 0).

        asyncio sets TCP_NODELAY only on accepted sockets whose protocol is IPPROTO_TCP, and an
        accepted socket inherits the listening socket's. Without it a response's body waits
        for the client's delayed ACK (Nagle, RFC 896): about 40 ms per request on a reused
        connection.
        """
        family = socket.AF_INET6 if ":" in self._address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._address, self._port))
        except OSError:
            sock.close()
            raise
        return sock

    def _url_of(self, sock: socket.socket) -> str:
        port = sock.getsockname()[1]
        host = f"[{self._address}]" if ":" in self._address else self._address
        return f"http://{host}:{port}"

    def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        asyncio.run(self._server.serve(sockets=[sock]))
        sock.close()

    def _wait_until_started(self) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started and self._thread.is_alive():
            if time.monotonic() > deadline:
                break
            time.sleep(0.001)  # started takes ~10 ms: a coarser poll adds half a tick
        if not self._server.started:
            self.stop()
            raise OSError(f"the sandbox did not start listening on {self.base_url}")

    def stop(self) -> None:
        """Stop serving and wait for the thread to end; stopping twice is harmless.

        `closing` is set first so deliberate waits (slow_token) end at once with a 503, and
        the server's grace period has nothing left to cancel.
        """
        self.context.closing.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
        self._server = self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, known once `start` has bound the port."""
        if not self.context.base_url:
            raise RuntimeError("the sandbox has no URL until start() binds its port")
        return self.context.base_url

    def issuer(self, dialect: str) -> str:
        """The issuer of `dialect` (DESIGN.md §5), e.g. `http://127.0.0.1:PORT/generic`."""
        if dialect not in self.dialects:
            raise InputError(f"dialect {dialect!r} is not served; served: "
                             f"{', '.join(self.dialects)}")
        return self.base_url + DIALECTS[dialect].issuer_path

    def set_client_fault(self, client_id: str, fault: str | None) -> None:
        """Switch a fault on for every request of `client_id` (all dialects), or off with None.

        An unknown client id is an InputError: a fault set for it would silently never fire.
        """
        check_client_id(client_id)
        if fault is None:
            self.context.client_faults.pop(client_id, None)
            return
        self.context.client_faults[client_id] = check_fault(fault)


def run_foreground(host: str, port: int, dialect: str | None, key_file: str | None,
                   client_faults: tuple[tuple[str, str], ...] = (),
                   iss: tuple[str, ...] = ()) -> int:
    """`pkce-tui sandbox`: print the base URL first, then the issuers, then one line per request.

    `client_faults` pairs a client id with a fault for every grant of that client; `iss` names
    dialects that send RFC 9207 `iss` although their provider does not by default. Returns 0
    after ctrl+c, 2 for bad options (a non-loopback host, an unknown dialect, client or fault,
    a key file that cannot be read or written), 1 when the port cannot be bound.
    """
    dialects = (dialect,) if dialect else ALL_DIALECTS
    announced = threading.Event()

    def log_after_announcement(line: str) -> None:
        announced.wait()
        _print_line(line)

    try:
        sandbox = Sandbox(host, port, key_file=key_file, dialects=dialects, iss=iss,
                          log=log_after_announcement)
        for client_id, fault in client_faults:
            sandbox.set_client_fault(client_id, fault)
        sandbox.start()
    except PkceTuiError as exc:
        print(f"pkce-tui sandbox: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"pkce-tui sandbox: cannot listen on {host}:{port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    _print_line(sandbox.base_url)
    for name in dialects:
        _print_line(f"{name}: issuer {sandbox.issuer(name)}")
    announced.set()
    return _serve_until_interrupted(sandbox)


def _serve_until_interrupted(sandbox: Sandbox) -> int:
    try:
        while sandbox.running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


def _print_line(line: str) -> None:
    """Print one line of the foreground output.

    When the reader of stdout goes away (`pkce-tui sandbox | head -1` keeps only the URL), the
    sandbox keeps serving: the user started a server and may be using it, and the request
    log is only a courtesy. stdout is pointed at os.devnull (as Python's documentation on
    SIGPIPE advises) so later lines and the flush at exit are dropped quietly, and stderr
    says once why the log stopped.
    """
    try:
        print(line, flush=True)
    except BrokenPipeError:
        _stop_printing()


def _stop_printing() -> None:
    """Send stdout to os.devnull and say on stderr, if it is still there, why the log stopped."""
    silence_stdout()
    with contextlib.suppress(OSError):
        print("pkce-tui sandbox: stdout was closed; requests are no longer logged",
              file=sys.stderr, flush=True)
