"""Shared fixtures: free loopback ports, the certified OpenID provider, the stand-in browser,
and the check that no process a test started outlives it.

The provider is panva's oidc-provider run by Node from `tests/peers` (install it with
`npm ci --prefix tests/peers`); the stand-in browser is `tests/peers/browser.py`, used as
`$BROWSER` so the tool's `webbrowser` call walks the login pages without a person.

The suite runs in parallel (pytest-xdist): each worker starts its own provider, on a port
the provider picks when it listens, and every fixture here is per worker.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, settings
from processes import (
    become_subreaper,
    kill_group,
    kill_trees,
    live_children,
    survivors,
)

from pkce_tui.core.client import new_client
from pkce_tui.core.runner import FlowRunner
from pkce_tui.sandbox import Sandbox

PEERS_DIR = Path(__file__).parent / "peers"
STANDIN_BROWSER = PEERS_DIR / "browser.py"
LOOPBACK = "127.0.0.1"
STARTUP_SECONDS = 60.0  # a bound for a provider that cannot start, however loaded
STOP_SECONDS = 5.0
CALLBACK_WAIT_SECONDS = 30.0
LISTENING_PREFIX = "listening "
# Property tests draw the same examples on every run and machine, and nothing in them is
# timed (no per-example deadline, no "too slow" health check): a loaded machine must not fail
# them, and a failure must reproduce.
settings.register_profile("suite", deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

#: How long `pause_until` lets the app take to get where a test waits for it. A bound for an
#: app that never gets there, not a timing: a worker waiting on a socket or on a thread takes
#: wall time that no count of pauses measures, and a loaded machine may take seconds.
PATIENCE_SECONDS = 60.0
#: The pause between two looks at the app once it did not get there at once.
POLL_SECONDS = 0.01


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def standin_browser_command() -> str:
    """The `$BROWSER` value that runs the stand-in browser with this Python (`%s` is the URL)."""
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(STANDIN_BROWSER))} %s"


class _CallbackHandler(BaseHTTPRequestHandler):
    """Records the callback's query parameters and answers with a short page."""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.server.callback_params = dict(parse_qsl(urlsplit(self.path).query))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"done")

    def log_message(self, *args: object) -> None:
        """Silent: the query carries the code."""


class CallbackListener:
    """A one-shot `http://127.0.0.1:{port}/callback` listener standing in for a client.

    Use as a context manager; after the block `params` holds the callback's query parameters
    (None when nothing came within CALLBACK_WAIT_SECONDS).
    """

    def __init__(self) -> None:
        self._server = HTTPServer((LOOPBACK, 0), _CallbackHandler)
        self._server.timeout = CALLBACK_WAIT_SECONDS
        self._server.callback_params = None
        self._thread = threading.Thread(target=self._server.handle_request, daemon=True)
        self.redirect_uri = f"http://{LOOPBACK}:{self._server.server_address[1]}/callback"

    @property
    def params(self) -> dict[str, str] | None:
        return self._server.callback_params

    def __enter__(self) -> CallbackListener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._thread.join(CALLBACK_WAIT_SECONDS)
        self._server.server_close()


@dataclass(frozen=True)
class OidcProvider:
    """A running oidc-provider: its issuer, its registered clients, and where it logs."""

    issuer: str
    log_path: Path
    public_client_id: str = "test-public"
    basic_client_id: str = "test-basic"
    basic_client_secret: str = "test-basic-secret"
    post_client_id: str = "test-post"
    post_client_secret: str = "test-post-secret"

    def log_text(self) -> str:
        """Everything the provider wrote to stderr so far (its reasons behind each error)."""
        return self.log_path.read_text(errors="replace")


def _require_node() -> str:
    """The node executable and an installed provider, or a one-line failure saying what to do."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: install Node.js to run the provider", pytrace=False)
    if not (PEERS_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("run `npm ci --prefix tests/peers` first", pytrace=False)
    return node


def _wait_for_listening(process: subprocess.Popen, log_path: Path) -> str:
    """The issuer from the provider's `listening URL` line, waiting at most STARTUP_SECONDS."""
    deadline = time.monotonic() + STARTUP_SECONDS
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0:
            if not selector.select(remaining):
                break
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith(LISTENING_PREFIX):
                return line.removeprefix(LISTENING_PREFIX).strip()
    last_lines = log_path.read_text(errors="replace").strip().splitlines()[-1:]
    reason = " ".join(last_lines) or "no output"
    pytest.fail(f"the OpenID provider did not start: {reason}", pytrace=False)


def _stop(process: subprocess.Popen) -> None:
    """Ask the process group to end, then kill it if it has not within STOP_SECONDS."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_SECONDS)
    kill_group(process)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """panva's oidc-provider on a loopback port of its choosing (port 0, so two workers never
    collide) for the whole session of this worker; stopped with its process group."""
    node = _require_node()
    log_path = tmp_path_factory.mktemp("oidc-provider") / "stderr.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [node, "server.js", "--port", "0"], cwd=PEERS_DIR, stdout=subprocess.PIPE,
            stderr=log_file, text=True, start_new_session=True,
        )
    try:
        issuer = _wait_for_listening(process, log_path)
        yield OidcProvider(issuer=issuer, log_path=log_path)
    finally:
        _stop(process)


@pytest.fixture(scope="session", autouse=True)
def no_process_outlives_the_session() -> Iterator[None]:
    """Fail the run loudly if any process a test or fixture started is still running at the
    end (and kill it): set up first, so it is torn down after every other fixture."""
    become_subreaper()
    yield
    left = survivors(known=set())
    if left:
        kill_trees(list(left))
        pytest.fail(f"processes outlived the test session: {_listed(left)}", pytrace=False)


@pytest.fixture(autouse=True)
def no_process_outlives_its_test() -> Iterator[None]:
    """Fail the test that left a process running (and kill it), naming the process."""
    before = set(live_children())
    yield
    left = survivors(known=before)
    if left:
        kill_trees(list(left))
        pytest.fail(f"processes outlived the test: {_listed(left)}", pytrace=False)


def _listed(processes: dict[int, str]) -> str:
    return "; ".join(f"pid {pid}: {command}" for pid, command in sorted(processes.items()))


@pytest.fixture
def standin_browser_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """`$BROWSER` set to the stand-in browser, here and in the environment it returns.

    Pass the returned dict as `env=` to a subprocess; in-process `webbrowser` calls see it too.
    """
    monkeypatch.setenv("BROWSER", standin_browser_command())
    return dict(os.environ)


def _is_loopback(address: object) -> bool:
    """True for a unix socket path or a loopback host: 127.0.0.0/8, ::1 or `localhost`."""
    if not isinstance(address, tuple):
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_network_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any connection from this process to an address beyond loopback fail at once."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(address: object) -> None:
        if not _is_loopback(address):
            raise ConnectionRefusedError(f"test guard: no network beyond loopback ({address!r})")

    def connect(self: socket.socket, address: object) -> None:
        guard(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        guard(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """The embedded sandbox on a free loopback port, shared by one test module."""
    with Sandbox() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The client the flow uses (redirects never followed), for driving servers by hand."""
    async with new_client() as http:
        yield http


@pytest.fixture
async def runner(client: httpx.AsyncClient) -> FlowRunner:
    """A flow runner on `client`, for running flows against the sandbox over real HTTP."""
    return FlowRunner(client)


async def settle(pilot) -> None:
    """Wait until no worker runs and every message the workers posted has been handled.

    A worker's result can start another worker (a run's next step, the probe after
    discovery), so one wait is not enough: this waits until a pause leaves none unfinished.
    """
    app = pilot.app
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
        if time.monotonic() > deadline:
            pytest.fail("the app's workers never finished", pytrace=False)


async def pause_until(pilot, condition: Callable[[], object], what: str) -> None:
    """Pause the app until `condition()` holds, or fail naming `what` after PATIENCE_SECONDS.

    One pause is not enough after an action that pushes a screen or starts a worker: the new
    screen mounts, and the worker's result lands, some messages later, and under load later
    still. Waiting on the state itself keeps such a test independent of the machine's speed.
    """
    await pilot.pause()
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"the app never got to: {what}", pytrace=False)
        await pilot.pause(POLL_SECONDS)
