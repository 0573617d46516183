"""The one-shot loopback redirect listener, with real sockets on loopback."""

import asyncio
import socket

import httpx
import pytest

from pkce_tui.core import loopback
from pkce_tui.core.errors import InputError, NetworkError
from pkce_tui.core.loopback import LoopbackListener, is_loopback_redirect


@pytest.fixture
async def browser():
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        yield client


@pytest.fixture
def redirect_uri(unused_tcp_port):
    return f"http://127.0.0.1:{unused_tcp_port}/callback"


def ipv6_port() -> int:
    """A free port on [::1], or skip when this host has no IPv6 loopback."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
            return probe.getsockname()[1]
    except OSError:
        pytest.skip("this host has no IPv6 loopback")


async def test_callback_is_accepted_and_answered_with_a_static_page(browser, redirect_uri):
    async with LoopbackListener(redirect_uri, expected_state="s1") as listener:
        answer = await browser.get(f"{redirect_uri}?code=abc&state=s1")
        assert await listener.wait() == f"{redirect_uri}?code=abc&state=s1"
    assert answer.status_code == 200
    assert "close this tab" in answer.text
    assert answer.headers["content-security-policy"] == "default-src 'none'"
    assert answer.headers["content-type"].startswith("text/html")


async def test_error_callback_is_accepted_too(browser, redirect_uri):
    async with LoopbackListener(redirect_uri, expected_state="s1") as listener:
        answer = await browser.get(f"{redirect_uri}?error=access_denied&state=s1")
        assert await listener.wait() == f"{redirect_uri}?error=access_denied&state=s1"
    assert answer.status_code == 200


async def test_other_paths_get_404_and_do_not_consume_the_callback(browser, redirect_uri):
    base = redirect_uri.removesuffix("/callback")
    async with LoopbackListener(redirect_uri) as listener:
        favicon = await browser.get(f"{base}/favicon.ico")
        near_miss = await browser.get(f"{redirect_uri}/x?code=abc")
        await browser.get(f"{redirect_uri}?code=abc")
        assert await listener.wait() == f"{redirect_uri}?code=abc"
    assert favicon.status_code == 404 and near_miss.status_code == 404


async def test_wrong_state_is_rejected_recorded_and_the_right_one_accepted(browser, redirect_uri):
    async with LoopbackListener(redirect_uri, expected_state="good") as listener:
        wrong = await browser.get(f"{redirect_uri}?code=evil&state=bad")
        assert listener.rejected == [f"{redirect_uri}?code=evil&state=bad"]
        right = await browser.get(f"{redirect_uri}?code=abc&state=good")
        assert await listener.wait() == f"{redirect_uri}?code=abc&state=good"
    assert wrong.status_code == 400 and right.status_code == 200


@pytest.mark.parametrize("query", ["code=abc", "code=abc&state=good&state=good", "state="])
async def test_missing_repeated_or_empty_state_is_rejected(browser, redirect_uri, query):
    async with LoopbackListener(redirect_uri, expected_state="good", timeout=0.05) as listener:
        answer = await browser.get(f"{redirect_uri}?{query}")
        with pytest.raises(NetworkError):
            await listener.wait()
    assert answer.status_code == 400 and len(listener.rejected) == 1


async def test_non_get_callback_is_refused_without_consuming(browser, redirect_uri):
    async with LoopbackListener(redirect_uri) as listener:
        posted = await browser.post(redirect_uri, data={"code": "abc"})
        await browser.get(f"{redirect_uri}?code=abc")
        assert await listener.wait() == f"{redirect_uri}?code=abc"
    assert posted.status_code == 405 and posted.headers["allow"] == "GET"


async def test_listener_is_one_shot(browser, redirect_uri):
    async with LoopbackListener(redirect_uri) as listener:
        await browser.get(f"{redirect_uri}?code=abc")
        await listener.wait()
        with pytest.raises(httpx.ConnectError):
            await browser.get(f"{redirect_uri}?code=second")


async def test_no_callback_in_time_is_a_network_error(redirect_uri):
    async with LoopbackListener(redirect_uri, timeout=0.05) as listener:
        with pytest.raises(NetworkError, match="no callback reached"):
            await listener.wait()


async def test_port_in_use_is_a_network_error(unused_tcp_port):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", unused_tcp_port))
        taken.listen()
        uri = f"http://127.0.0.1:{unused_tcp_port}/callback"
        with pytest.raises(NetworkError, match=f"port {unused_tcp_port} on 127.0.0.1 is in use"):
            async with LoopbackListener(uri):
                pass


@pytest.mark.parametrize("uri", [
    "https://127.0.0.1:8080/callback", "http://example.test:8080/callback",
    "http://127.0.0.2:8080/callback", "http://192.168.1.10:8080/callback", "not a uri",
    "http://127.0.0.1:99999/callback",
])
async def test_non_loopback_uri_is_refused(uri):
    with pytest.raises(InputError, match="not a loopback http URI"):
        async with LoopbackListener(uri):
            pass


async def test_port_zero_is_refused():
    with pytest.raises(InputError, match="port 0"):
        async with LoopbackListener("http://127.0.0.1:0/callback"):
            pass


async def test_localhost_binds_127_0_0_1_and_keeps_the_uri_host(browser, unused_tcp_port):
    uri = f"http://localhost:{unused_tcp_port}/callback"
    async with LoopbackListener(uri) as listener:
        assert listener.host == "127.0.0.1"
        await browser.get(f"http://127.0.0.1:{unused_tcp_port}/callback?code=abc")
        assert await listener.wait() == f"{uri}?code=abc"


async def test_ipv6_loopback_binds_and_accepts(browser):
    uri = f"http://[::1]:{ipv6_port()}/callback"
    async with LoopbackListener(uri) as listener:
        assert listener.host == "::1"
        await browser.get(f"{uri}?code=abc")
        assert await listener.wait() == f"{uri}?code=abc"


async def test_oversized_request_is_refused_without_consuming(browser, redirect_uri,
                                                             unused_tcp_port):
    async with LoopbackListener(redirect_uri) as listener:
        reader, writer = await asyncio.open_connection("127.0.0.1", unused_tcp_port)
        writer.write(b"GET /callback?code=big HTTP/1.1\r\nX-Big: " + b"a" * loopback.MAX_HEAD_BYTES)
        assert (await reader.read()).startswith(b"HTTP/1.1 431 ")
        writer.close()
        await browser.get(f"{redirect_uri}?code=abc")
        assert await listener.wait() == f"{redirect_uri}?code=abc"


async def test_garbage_is_answered_400_without_consuming(browser, redirect_uri, unused_tcp_port):
    async with LoopbackListener(redirect_uri) as listener:
        reader, writer = await asyncio.open_connection("127.0.0.1", unused_tcp_port)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        assert (await reader.read()).startswith(b"HTTP/1.1 400 ")
        writer.close()
        await browser.get(f"{redirect_uri}?code=abc")
        assert await listener.wait() == f"{redirect_uri}?code=abc"


async def test_idle_connection_does_not_block_the_callback(browser, redirect_uri,
                                                           unused_tcp_port):
    async with LoopbackListener(redirect_uri) as listener:
        _, idle = await asyncio.open_connection("127.0.0.1", unused_tcp_port)
        idle.write(b"GET /callback?code=slow HTTP/1.1\r\n")
        await browser.get(f"{redirect_uri}?code=abc")
        assert await listener.wait() == f"{redirect_uri}?code=abc"
    idle.close()


async def test_slow_client_is_dropped_after_the_read_time(monkeypatch, redirect_uri,
                                                          unused_tcp_port):
    monkeypatch.setattr(loopback, "READ_TIMEOUT", 0.05)
    async with LoopbackListener(redirect_uri):
        reader, writer = await asyncio.open_connection("127.0.0.1", unused_tcp_port)
        writer.write(b"GET /callback?code=slow HTTP/1.1\r\n")
        assert await reader.read() == b""
        writer.close()


@pytest.mark.parametrize(("uri", "expected"), [
    ("http://127.0.0.1:8080/callback", True),
    ("http://[::1]:8080/callback", True),
    ("http://localhost/callback", True),
    ("HTTP://LOCALHOST:1/cb", True),
    ("https://127.0.0.1:8080/callback", False),
    ("http://127.0.0.1.example.test/callback", False),
    ("http://[::1]:notaport/callback", False),
    ("https://app.example.test/callback", False),
    ("", False),
])
def test_is_loopback_redirect(uri, expected):
    assert is_loopback_redirect(uri) is expected


async def test_idle_connections_cannot_keep_the_callback_out(browser, redirect_uri,
                                                             unused_tcp_port):
    """More idle connections than the listener keeps: the oldest make room for the browser."""
    async with LoopbackListener(redirect_uri, timeout=20) as listener:
        idle = [await asyncio.open_connection("127.0.0.1", unused_tcp_port)
                for _ in range(loopback.MAX_CONNECTIONS + 8)]
        await asyncio.sleep(0)
        answer = await browser.get(f"{redirect_uri}?code=abc")
        assert await listener.wait() == f"{redirect_uri}?code=abc"
    assert answer.status_code == 200
    for _, writer in idle:
        writer.close()


def test_idle_connections_are_dropped_within_seconds():
    assert loopback.READ_TIMEOUT <= 5


@pytest.mark.parametrize("host", ["evil.example.test", "127.0.0.1:1", "localhost.evil.test",
                                  "[::1", "127.0.0.1:99999"])
async def test_a_request_for_another_host_is_refused_without_consuming(
        redirect_uri, unused_tcp_port, host):
    async with LoopbackListener(redirect_uri, timeout=20) as listener:
        async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
            rebound = await client.get(f"{redirect_uri}?code=stolen", headers={"Host": host})
            assert rebound.status_code == 421
            await client.get(f"{redirect_uri}?code=abc")
        assert await listener.wait() == f"{redirect_uri}?code=abc"
