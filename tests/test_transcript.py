"""Recording exchanges, masking secrets, exporting, and curl commands that really run."""

import base64
import json
import shlex
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from processes import run_process

from pkce_tui.core.client import new_client, send
from pkce_tui.core.errors import NetworkError
from pkce_tui.core.http import Exchange, HttpRequest, HttpResponse
from pkce_tui.core.redaction import (
    mask,
    mask_header,
    masked_request,
    redact,
    response_json,
    to_curl,
)
from pkce_tui.core.token import (
    ClientAuth,
    authorization_code_request,
    userinfo_request,
    whoami_request,
)
from pkce_tui.core.transcript import Transcript

TOKEN_URL = "https://idp.example.test/token"
BASIC = ClientAuth("demo-confidential", "client_secret_basic", "demo-secret")
POST = ClientAuth("demo-post", "client_secret_post", "demo-secret")
BASIC_CREDENTIALS = base64.b64encode(b"demo-confidential:demo-secret").decode()
TOKENS = {"access_token": "at-1", "refresh_token": "rt-1", "id_token": "id-1",
          "token_type": "Bearer"}


def code_request(auth=POST, **extra):
    return authorization_code_request(TOKEN_URL, auth, code="the-code",
                                      redirect_uri="http://127.0.0.1:8080/callback",
                                      code_verifier="v" * 43, **extra)


def token_server(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=TOKENS, headers=[("Set-Cookie", "sid=s3cret; Path=/")])


def curl_words(command: str) -> list[str]:
    """The words a POSIX shell would pass to curl (backslash-newline continues a line)."""
    return shlex.split(command.replace("\\\n", ""))


def test_mask_keeps_the_length_and_a_fingerprint_of_the_sha256():
    assert mask("demo-secret") == "••••••(11·cd577f)"  # sha256("demo-secret")[:6]
    assert mask(mask("demo-secret")) == mask("demo-secret")


def test_secret_code_and_verifier_are_masked_in_a_request():
    body = masked_request(code_request())["body"]
    assert body["client_secret"] == mask("demo-secret")
    assert body["code"] == mask("the-code") and body["code_verifier"] == mask("v" * 43)
    assert body["client_id"] == "demo-post"


def test_reveal_shows_the_secret():
    shown = masked_request(code_request(BASIC), reveal=True)
    assert shown["headers"]["Authorization"].startswith("Basic ZGVtby1jb25")


def test_basic_and_bearer_authorization_keep_only_the_scheme():
    shown = masked_request(code_request(BASIC))
    assert shown["headers"]["Authorization"] == f"Basic {mask(BASIC_CREDENTIALS)}"
    shown = masked_request(userinfo_request("https://idp.example.test/userinfo", "at-1"))
    assert shown["headers"]["Authorization"] == f"Bearer {mask('at-1')}"
    assert shown["body"] is None and shown["method"] == "GET"


def test_masked_request_shows_the_implied_content_type():
    headers = masked_request(code_request())["headers"]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_cookie_values_are_masked_but_names_stay():
    assert mask_header("Cookie", ".ASPXAUTH=abc; lang=en") == (
        f".ASPXAUTH={mask('abc')}; lang={mask('en')}")
    assert mask_header("Set-Cookie", "ST=xyz; Path=/; HttpOnly") == (
        f"ST={mask('xyz')}; Path=/; HttpOnly")
    assert mask_header("X-Trace-ID", "t-1") == "t-1"


def test_password_in_a_json_body_is_masked_in_any_case():
    request = HttpRequest("POST", "https://t.example.test/Security/AdvanceAuthentication",
                          json_body={"SessionId": "s", "Answer": "pass",
                                     "nested": {"password": "p"}})
    body = masked_request(request)["body"]
    assert body == {"SessionId": "s", "Answer": mask("pass"),
                    "nested": {"password": mask("p")}}


def test_secret_in_a_url_query_is_masked():
    request = HttpRequest("GET", "https://t.example.test/authorize?client_id=c&client_secret=abc")
    assert masked_request(request)["url"] == (
        f"https://t.example.test/authorize?client_id=c&client_secret={mask('abc')}"
    )


def test_url_without_secrets_is_kept_exactly():
    url = "https://t.example.test/authorize?scope=openid%20profile&state=a%2Bb"
    assert masked_request(HttpRequest("GET", url))["url"] == url


def test_a_response_is_shown_parsed_with_its_cookies_and_tokens_masked():
    response = HttpResponse(200, (("Content-Type", "application/json"), ("Set-Cookie", "a=1"),
                                  ("Set-Cookie", "b=22; Secure")), json.dumps(TOKENS))
    assert response_json(response)["body"] == TOKENS
    shown = redact(response_json(response))
    assert shown["status"] == 200
    assert shown["body"] == {**{k: mask(v) for k, v in TOKENS.items() if k != "token_type"},
                             "token_type": "Bearer"}
    assert shown["headers"]["Set-Cookie"] == f"a={mask('1')}, b={mask('22')}; Secure"


def test_response_json_keeps_text_bodies_as_text():
    response = HttpResponse(302, (("Location", "http://127.0.0.1/cb?code=c"),), "<html>moved")
    assert response_json(response)["body"] == "<html>moved"


def test_curl_is_shell_quoted_and_masks_secrets():
    command = to_curl(code_request(BASIC))
    words = curl_words(command)
    assert words[:2] == ["curl", TOKEN_URL]
    assert f"Authorization: Basic {mask(BASIC_CREDENTIALS)}" in words
    assert "demo-secret" not in command


def test_curl_uses_request_for_methods_curl_does_not_infer():
    request = HttpRequest("DELETE", "https://idp.example.test/thing")
    assert curl_words(to_curl(request))[:3] == ["curl", "--request", "DELETE"]
    assert "--request" not in to_curl(userinfo_request("https://idp.example.test/u", "at"))


def test_curl_quotes_hostile_values():
    request = code_request(extra=(("code", "x'; rm -rf / #"),))
    words = curl_words(to_curl(request, reveal=True))
    assert words[words.index("--data-raw") + 1] == request.body


def test_curl_globoff_for_ipv6_literals():
    assert "--globoff" in to_curl(HttpRequest("GET", "http://[::1]:8080/x"))


def sent_by_curl(command: str, port: int) -> dict:
    """Run `command` against a one-request loopback server and return what curl sent."""
    seen: dict = {}

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
            length = int(self.headers["Content-Length"])
            seen.update(line=self.requestline, headers=self.headers,
                        body=self.rfile.read(length).decode())
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    with HTTPServer(("127.0.0.1", port), Recorder) as server:
        thread = threading.Thread(target=server.handle_request)
        thread.start()
        run_process(command, shell=True, check=True, timeout=10, capture_output=True)
        thread.join(timeout=10)
    return seen


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_revealed_curl_sends_the_same_request(unused_tcp_port):
    url = f"http://127.0.0.1:{unused_tcp_port}/token"
    request = authorization_code_request(url, BASIC, code="a b&c'd", redirect_uri=None,
                                         code_verifier="v~._-")
    seen = sent_by_curl(to_curl(request, reveal=True), unused_tcp_port)
    assert seen["line"] == "POST /token HTTP/1.1"
    assert seen["headers"]["Authorization"] == request.header("Authorization")
    assert seen["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert seen["body"] == request.body


async def test_hooks_record_request_and_response_as_on_the_wire():
    transcript = Transcript()
    transport = httpx.MockTransport(token_server)
    async with new_client(transport=transport, event_hooks=transcript.event_hooks()) as client:
        response = await send(client, code_request(BASIC))
    [exchange] = transcript.exchanges
    assert exchange.request.url == TOKEN_URL and exchange.request.method == "POST"
    assert dict(exchange.request.form)["code"] == "the-code"
    assert exchange.request.header("Authorization") == code_request(BASIC).header("Authorization")
    assert exchange.request.header("Host") == "idp.example.test"
    assert exchange.response.status == 200 and exchange.response.json() == TOKENS
    assert exchange.response.body == response.body and exchange.error is None


async def test_hooks_record_json_bodies():
    transcript = Transcript()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"success": True}))
    async with new_client(transport=transport, event_hooks=transcript.event_hooks()) as client:
        await send(client, whoami_request("https://t.example.test/Security/Whoami", "at"))
    assert transcript.exchanges[0].request.json_body == {}


async def test_exchanges_keep_their_order():
    transcript = Transcript()
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    async with new_client(transport=transport, event_hooks=transcript.event_hooks()) as client:
        for path in ("a", "b", "c"):
            await send(client, HttpRequest("GET", f"https://idp.example.test/{path}"))
    assert [e.request.url.rsplit("/", 1)[1] for e in transcript.exchanges] == ["a", "b", "c"]


async def test_send_records_a_request_that_got_no_answer():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transcript = Transcript()
    transport = httpx.MockTransport(refuse)
    async with new_client(transport=transport, event_hooks=transcript.event_hooks()) as client:
        with pytest.raises(NetworkError):
            await transcript.send(client, code_request())
    [exchange] = transcript.exchanges
    assert exchange.response is None and "connection refused" in exchange.error
    assert exchange.request.header("Host") == "idp.example.test"


async def test_send_returns_the_response_and_records_it():
    transcript = Transcript()
    transport = httpx.MockTransport(token_server)
    async with new_client(transport=transport, event_hooks=transcript.event_hooks()) as client:
        response = await transcript.send(client, code_request())
    assert response.json() == TOKENS and transcript.exchanges[0].response.json() == TOKENS


def test_record_error_for_a_request_the_hooks_never_saw_adds_it():
    transcript = Transcript()
    request = HttpRequest("GET", "http://bad host/")
    transcript.record_error(request, "invalid URL")
    assert transcript.exchanges == [Exchange(request=request, error="invalid URL")]


async def test_redacted_export_masks_secrets_tokens_and_cookies():
    transcript = Transcript()
    transport = httpx.MockTransport(token_server)
    async with new_client(transport=transport, event_hooks=transcript.event_hooks()) as client:
        await send(client, code_request())
    [exported] = transcript.redacted()
    text = json.dumps(exported, ensure_ascii=False)
    for secret in ("demo-secret", "at-1", "rt-1", "id-1", "s3cret"):
        assert secret not in text
    assert exported["request"]["body"]["client_secret"] == mask("demo-secret")
    assert exported["request"]["body"]["code"] == mask("the-code")
    assert exported["response"]["body"]["access_token"] == mask("at-1")
    assert exported["response"]["body"]["token_type"] == "Bearer"
    assert exported["error"] is None


def test_redacted_export_masks_a_token_sent_for_revocation():
    transcript = Transcript()
    basic = base64.b64encode(b"c:s").decode()
    request = HttpRequest("POST", "https://idp.example.test/revoke",
                          headers=(("Authorization", f"Basic {basic}"),), form=(("token", "rt-9"),))
    transcript.record_error(request, "timed out")
    [exported] = transcript.redacted()
    assert exported["request"]["body"] == {"token": mask("rt-9")}
    assert exported["response"] is None and exported["error"] == "timed out"
