"""Token endpoint requests and the judging of token responses."""

import base64
import json
from urllib.parse import parse_qsl, unquote_plus

import httpx
import pytest

from pkce_tui.core.client import send
from pkce_tui.core.errors import InputError
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.token import (
    AUTH_METHODS,
    ClientAuth,
    authorization_code_request,
    parse_token_response,
    refresh_request,
    revocation_request,
    userinfo_request,
    whoami_request,
)

TOKEN_URL = "https://idp.example.test/oauth2/token"
PUBLIC = ClientAuth("demo-public")
BASIC = ClientAuth("demo-confidential", "client_secret_basic", "demo-secret")
POST = ClientAuth("demo-post", "client_secret_post", "demo-secret")
JSON_HEADERS = (("Content-Type", "application/json"), ("Cache-Control", "no-store"))
GOOD_TOKENS = {"access_token": "at", "token_type": "Bearer", "expires_in": 3600}


def code_request(auth=PUBLIC, **overrides):
    arguments = {"code": "the-code", "redirect_uri": "http://127.0.0.1:8080/callback",
                 "code_verifier": "v" * 43}
    arguments.update(overrides)
    return authorization_code_request(TOKEN_URL, auth, **arguments)


def decode_basic(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    assert scheme == "Basic"
    client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


def response(body, status=200, headers=JSON_HEADERS) -> HttpResponse:
    text = body if isinstance(body, str) else json.dumps(body)
    return HttpResponse(status=status, headers=headers, body=text)


def test_public_code_exchange_sends_grant_code_redirect_verifier_and_client_id():
    request = code_request()
    assert request.method == "POST" and request.url == TOKEN_URL
    assert request.form == (
        ("grant_type", "authorization_code"), ("code", "the-code"),
        ("redirect_uri", "http://127.0.0.1:8080/callback"), ("code_verifier", "v" * 43),
        ("client_id", "demo-public"),
    )
    assert request.header("Accept") == "application/json"
    assert request.header("Authorization") is None


def test_absent_redirect_uri_and_verifier_are_left_out():
    request = code_request(redirect_uri=None, code_verifier=None)
    names = [name for name, _ in request.form]
    assert "redirect_uri" not in names and "code_verifier" not in names


def test_extra_fields_override_same_named_fields_and_append_new_ones():
    request = code_request(extra=(("code_verifier", "wrong"), ("resource", "api")))
    form = dict(request.form)
    assert form["code_verifier"] == "wrong" and form["resource"] == "api"
    assert [name for name, _ in request.form].count("code_verifier") == 1


def test_basic_auth_puts_credentials_in_the_header_not_the_form():
    request = code_request(BASIC)
    assert decode_basic(request.header("Authorization")) == ("demo-confidential", "demo-secret")
    assert "client_secret" not in dict(request.form)
    assert "client_id" not in dict(request.form)


@pytest.mark.parametrize("secret", ["a:b", "100%", "p+q r", "ünï/&="])
def test_basic_auth_form_encodes_before_base64_so_odd_secrets_survive(secret):
    request = code_request(ClientAuth("id:with%colon", "client_secret_basic", secret))
    assert decode_basic(request.header("Authorization")) == ("id:with%colon", secret)


def test_basic_auth_encoding_matches_rfc_6749_section_2_3_1():
    request = code_request(ClientAuth("my client", "client_secret_basic", "s:%"))
    _, _, encoded = request.header("Authorization").partition(" ")
    assert base64.b64decode(encoded) == b"my+client:s%3A%25"


def test_post_auth_puts_id_and_secret_in_the_form():
    form = dict(code_request(POST).form)
    assert form["client_id"] == "demo-post" and form["client_secret"] == "demo-secret"


def test_the_form_body_goes_on_the_wire_urlencoded():
    request = code_request(POST)
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert parse_qsl(request.body) == list(request.form)


def test_unknown_auth_method_is_an_input_error():
    with pytest.raises(InputError, match="private_key_jwt"):
        ClientAuth("c", "private_key_jwt", "s")


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_secret_methods_need_a_secret(method):
    with pytest.raises(InputError, match="secret"):
        ClientAuth("c", method)


def test_auth_methods_are_the_four_supported():
    assert AUTH_METHODS == ("none", "client_secret_basic", "client_secret_post",
                            "private_key_jwt")


@pytest.mark.parametrize("endpoint", ["", "/token", "ftp://h/token", "idp.example.test/token"])
def test_endpoint_must_be_absolute_http_url(endpoint):
    with pytest.raises(InputError, match="not an absolute http"):
        authorization_code_request(endpoint, PUBLIC, code="c", redirect_uri=None,
                                   code_verifier=None)


def test_refresh_request_sends_grant_token_scope_and_auth():
    request = refresh_request(TOKEN_URL, BASIC, "rt-1", scope="openid")
    assert request.form == (
        ("grant_type", "refresh_token"), ("refresh_token", "rt-1"), ("scope", "openid"),
    )
    assert request.header("Authorization").startswith("Basic ")


def test_refresh_request_without_scope_leaves_scope_out():
    request = refresh_request(TOKEN_URL, PUBLIC, "rt-1")
    assert "scope" not in dict(request.form)
    assert dict(request.form)["client_id"] == "demo-public"


def test_revocation_request_sends_token_hint_and_auth():
    request = revocation_request(TOKEN_URL, POST, "rt-1", hint="refresh_token")
    form = dict(request.form)
    assert form["token"] == "rt-1" and form["token_type_hint"] == "refresh_token"
    assert form["client_secret"] == "demo-secret"


def test_userinfo_request_is_a_get_with_bearer():
    request = userinfo_request("https://idp.example.test/userinfo", "at-1")
    assert request.method == "GET" and request.body is None
    assert request.header("Authorization") == "Bearer at-1"


def test_whoami_request_posts_an_empty_json_object_with_bearer():
    request = whoami_request("https://t.example.test/Security/Whoami", "at-1")
    assert request.method == "POST" and request.body == "{}"
    assert request.header("Content-Type") == "application/json"
    assert request.header("Authorization") == "Bearer at-1"


@pytest.mark.parametrize("token", ["", "a b", "at\n", "at\r\nX-Evil: 1"])
def test_bearer_token_that_cannot_go_in_a_header_is_refused(token):
    with pytest.raises(InputError, match="access token"):
        userinfo_request("https://idp.example.test/userinfo", token)


async def test_requests_go_through_send_as_built():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["auth"] = request.headers["authorization"]
        seen["form"] = parse_qsl(request.content.decode())
        return httpx.Response(200, json=GOOD_TOKENS, headers={"Cache-Control": "no-store"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        result = parse_token_response(await send(client, code_request(BASIC)))
    assert decode_basic(seen["auth"]) == ("demo-confidential", "demo-secret")
    assert dict(seen["form"])["code"] == "the-code"
    assert result.ok and result.tokens["access_token"] == "at" and result.problems == ()


def test_good_token_response_is_ok_without_problems():
    result = parse_token_response(response(GOOD_TOKENS))
    assert result.ok and result.error is None and result.problems == ()
    assert result.tokens == GOOD_TOKENS


def test_oauth_error_is_reported_with_description():
    body = {"error": "invalid_grant", "error_description": "grant request is invalid"}
    result = parse_token_response(response(body, status=400))
    assert not result.ok
    assert (result.error, result.error_description) == ("invalid_grant", "grant request is invalid")


def test_oauth_error_with_status_200_is_still_an_error_and_a_problem():
    result = parse_token_response(response({"error": "invalid_grant"}))
    assert not result.ok and result.error == "invalid_grant"
    assert any("RFC 6749 §5.2" in problem for problem in result.problems)


def test_non_json_body_is_an_error():
    result = parse_token_response(response("<html>Bad Request</html>", status=400,
                                           headers=(("Content-Type", "text/html"),)))
    assert not result.ok and "not a JSON object" in result.error and result.tokens == {}


def test_json_array_body_is_not_a_json_object():
    result = parse_token_response(response([1, 2]))
    assert not result.ok and "not a JSON object" in result.error


def test_server_failure_is_an_error_naming_the_status():
    result = parse_token_response(response("oops", status=503))
    assert not result.ok and "503" in result.error


def test_redirect_is_not_a_token_response():
    headers = (("Location", "https://idp.example.test/login"),)
    result = parse_token_response(response("", status=302, headers=headers))
    assert not result.ok and "https://idp.example.test/login" in result.error


def test_client_error_without_oauth_error_code_names_the_status():
    result = parse_token_response(response({"message": "denied"}, status=403))
    assert not result.ok and "403" in result.error and result.error_description == "denied"


def test_missing_access_token_is_an_error():
    result = parse_token_response(response({"token_type": "Bearer"}))
    assert not result.ok and "access_token" in result.error


def test_empty_json_object_is_missing_the_access_token():
    result = parse_token_response(response({}))
    assert not result.ok and "access_token" in result.error


def test_non_bearer_token_type_is_an_error():
    result = parse_token_response(response({**GOOD_TOKENS, "token_type": "DPoP"}))
    assert not result.ok and "DPoP" in result.error


def test_lowercase_bearer_is_ok_but_noted():
    result = parse_token_response(response({**GOOD_TOKENS, "token_type": "bearer"}))
    assert result.ok
    assert any("'bearer'" in problem for problem in result.problems)


def test_missing_token_type_is_ok_but_noted():
    tokens = {"access_token": "at", "expires_in": 60}
    result = parse_token_response(response(tokens))
    assert result.ok and any("token_type is missing" in p for p in result.problems)


@pytest.mark.parametrize("expires_in", ["3600", True, None, -1, 0])
def test_odd_expires_in_is_a_problem_not_an_error(expires_in):
    tokens = {**GOOD_TOKENS, "expires_in": expires_in}
    result = parse_token_response(response(tokens))
    assert result.ok and any("expires_in" in problem for problem in result.problems)


def test_missing_cache_control_and_wrong_content_type_are_problems():
    headers = (("Content-Type", "text/plain"),)
    result = parse_token_response(response(GOOD_TOKENS, headers=headers))
    assert result.ok
    assert any("Cache-Control" in problem for problem in result.problems)
    assert any("Content-Type" in problem for problem in result.problems)


def test_non_string_refresh_token_is_a_problem():
    result = parse_token_response(response({**GOOD_TOKENS, "refresh_token": 5}))
    assert result.ok and any("refresh_token" in problem for problem in result.problems)


def test_the_raw_response_is_kept():
    raw = response(GOOD_TOKENS)
    assert parse_token_response(raw).http is raw
