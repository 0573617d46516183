"""The one place that sends: errors become NetworkError, redirects stay, bodies stay verbatim;
response bodies read as JSON only when they are JSON a person could have meant."""

import httpx
import pytest

from pkce_tui.core.client import new_client, send
from pkce_tui.core.errors import NetworkError
from pkce_tui.core.http import MAX_JSON_DEPTH, Exchange, HttpRequest, HttpResponse
from pkce_tui.core.redaction import redacted_exchange

URL = "https://idp.example.test/token"


def nested(depth: int) -> str:
    """A JSON object whose one value is `depth` - 1 arrays deep."""
    return '{"a": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def client_for(handler) -> httpx.AsyncClient:
    return new_client(transport=httpx.MockTransport(handler))


def raising(exception_type):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exception_type("boom", request=request)
    return handler


@pytest.mark.parametrize("exception_type", [httpx.ConnectTimeout, httpx.ReadTimeout])
async def test_timeout_is_a_network_error_naming_the_request(exception_type):
    request = HttpRequest("GET", URL)
    async with client_for(raising(exception_type)) as client:
        with pytest.raises(NetworkError, match=f"GET {URL}: no answer") as caught:
            await send(client, request)
    assert caught.value.request is request


async def test_refused_connection_is_a_network_error():
    async with client_for(raising(httpx.ConnectError)) as client:
        with pytest.raises(NetworkError, match=f"POST {URL}: boom"):
            await send(client, HttpRequest("POST", URL, form=(("a", "b"),)))


async def test_refused_connection_on_a_real_closed_port_is_a_network_error(unused_tcp_port):
    async with new_client(timeout=5) as client:
        with pytest.raises(NetworkError, match="127.0.0.1"):
            await send(client, HttpRequest("GET", f"http://127.0.0.1:{unused_tcp_port}/"))


async def test_unsupported_scheme_is_a_network_error_not_a_traceback():
    async with new_client() as client:
        with pytest.raises(NetworkError):
            await send(client, HttpRequest("GET", "gopher://idp.example.test/"))


async def test_redirect_is_returned_not_followed():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/"})

    async with client_for(handler) as client:
        response = await send(client, HttpRequest("GET", URL))
    assert response.status == 302
    assert response.header("location") == "https://elsewhere.test/"
    assert calls == [URL]


async def test_body_and_headers_are_kept_verbatim():
    body = '{ "b": 1,\r\n  "a" : "x" }\n'
    headers = [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X-Trace-ID", "t")]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, headers=headers, content=body.encode())

    async with client_for(handler) as client:
        response = await send(client, HttpRequest("GET", URL))
    assert response.body == body
    assert response.header_values("set-cookie") == ["a=1", "b=2"]
    assert response.header("x-trace-id") == "t"
    assert response.url == URL


async def test_body_is_decoded_with_the_declared_charset():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "text/plain; charset=latin-1"},
                              content="café".encode("latin-1"))

    async with client_for(handler) as client:
        assert (await send(client, HttpRequest("GET", URL))).body == "café"


async def test_request_goes_out_as_built_with_implied_content_type():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(method=request.method, body=request.content,
                    type=request.headers["content-type"], accept=request.headers["accept"])
        return httpx.Response(204)

    request = HttpRequest("POST", URL, headers=(("Accept", "application/json"),),
                          form=(("grant_type", "authorization_code"), ("code", "a b&c")))
    async with client_for(handler) as client:
        await send(client, request)
    assert seen == {"method": "POST", "body": b"grant_type=authorization_code&code=a+b%26c",
                    "type": "application/x-www-form-urlencoded", "accept": "application/json"}


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 600, 50_000])
def test_json_nested_too_deep_is_not_a_json_object_but_text(depth):
    response = HttpResponse(200, (), nested(depth))
    assert response.json() is None
    assert response.body_for_display() == response.body


def test_json_nested_within_the_limit_is_parsed():
    response = HttpResponse(200, (), nested(MAX_JSON_DEPTH))
    assert response.json() is not None
    assert response.body_for_display() == response.json()


def test_a_deeply_nested_body_exports_as_text():
    exchange = Exchange(HttpRequest("GET", URL), HttpResponse(200, (), nested(600)))
    assert redacted_exchange(exchange)["response"]["body"] == nested(600)
