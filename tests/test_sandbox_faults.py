"""Each sandbox fault, seen by the client as the failure it names."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sandbox_fixtures import (
    DIALECT_NAMES,
    authorization,
    authorization_code,
    endpoint,
    exchange_code,
    token_request,
    tokens,
)

from pkce_tui.core.client import new_client, send
from pkce_tui.core.errors import InputError, NetworkError
from pkce_tui.core.http import HttpRequest, HttpResponse
from pkce_tui.core.jwt import validate
from pkce_tui.core.server_says import from_response
from pkce_tui.sandbox import FAULTS

ID_TOKEN_FAULTS = {"expired_id_token": "exp", "wrong_aud": "aud", "wrong_iss": "iss",
                   "bad_signature": "signature", "rotated_key": "kid", "missing_sub": "sub"}


async def id_token_report(client, sandbox, dialect, request):
    body = await tokens(client, sandbox, dialect, request)
    jwks = (await client.get(endpoint(sandbox, dialect, "jwks_uri"))).json()
    return validate(body["id_token"], jwks=jwks, issuer=sandbox.issuer(dialect),
                    audience=request.params["client_id"], nonce="nonce-456",
                    access_token=body["access_token"])


def failed_checks(report) -> set[str]:
    return {check.name for check in report.checks if check.ok is False}


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
@pytest.mark.parametrize(("fault", "check"), ID_TOKEN_FAULTS.items())
async def test_id_token_fault_fails_the_check_it_names(sandbox, client, dialect, fault, check):
    report = await id_token_report(client, sandbox, dialect,
                                   authorization(sandbox_fault=fault))
    assert failed_checks(report) == {check}


async def test_alg_none_is_an_unsigned_token(sandbox, client):
    report = await id_token_report(client, sandbox, "cloudentity",
                                   authorization(sandbox_fault="alg_none"))
    assert report.header == {"alg": "none", "typ": "JWT"}
    assert {"alg", "signature"} <= failed_checks(report)


async def test_rotated_key_kid_is_not_in_the_jwks(sandbox, client):
    request = authorization(sandbox_fault="rotated_key")
    report = await id_token_report(client, sandbox, "generic", request)
    jwks = (await client.get(endpoint(sandbox, "generic", "jwks_uri"))).json()
    assert report.header["kid"] not in {key["kid"] for key in jwks["keys"]}


async def test_per_client_fault_applies_to_every_grant_of_that_client(sandbox, client):
    sandbox.set_client_fault("demo-post", "wrong_aud")
    try:
        faulty = await id_token_report(client, sandbox, "pingone", authorization("demo-post"))
        other = await id_token_report(client, sandbox, "pingone", authorization("demo-public"))
    finally:
        sandbox.set_client_fault("demo-post", None)
    healed = await id_token_report(client, sandbox, "pingone", authorization("demo-post"))
    assert failed_checks(faulty) == {"aud"}
    assert other.valid and healed.valid


def test_unknown_client_fault_is_refused(sandbox):
    with pytest.raises(InputError, match="unknown sandbox fault"):
        sandbox.set_client_fault("demo-public", "meltdown")


async def test_unknown_request_fault_is_an_authorize_error(sandbox, client):
    response = await client.get(authorization(sandbox_fault="meltdown").url(sandbox, "generic"))
    assert response.status_code == 302
    assert "error=invalid_request" in response.headers["location"]


async def test_token_500(sandbox, client):
    request = authorization(sandbox_fault="token_500")
    code = await authorization_code(client, sandbox, "cloudentity", request)
    response = await exchange_code(client, sandbox, "cloudentity", code, request)
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"


async def test_invalid_grant_once_then_the_same_request_works(sandbox, client):
    request = authorization(sandbox_fault="invalid_grant_once")
    code = await authorization_code(client, sandbox, "cyberark", request)
    first = await exchange_code(client, sandbox, "cyberark", code, request)
    second = await exchange_code(client, sandbox, "cyberark", code, request)
    assert (first.status_code, first.json()["error"]) == (400, "invalid_grant")
    assert second.status_code == 200


async def test_slow_token_outlasts_a_short_timeout_while_the_sandbox_stays_responsive(
        sandbox, client):
    request = authorization(sandbox_fault="slow_token", sandbox_delay="60")
    code = await authorization_code(client, sandbox, "generic", request)
    form = (("grant_type", "authorization_code"), ("code", code),
            ("redirect_uri", request.params["redirect_uri"]),
            ("code_verifier", request.verifier), ("client_id", "demo-public"))
    token_call = HttpRequest("POST", endpoint(sandbox, "generic", "token_endpoint"), form=form)
    async with new_client(timeout=1.0) as impatient:
        slow = asyncio.create_task(send(impatient, token_call))
        discovery = await client.get(sandbox.issuer("generic")
                                     + "/.well-known/openid-configuration")
        assert discovery.status_code == 200
        with pytest.raises(NetworkError):
            await slow


def test_slow_token_delay_is_bounded(sandbox):
    response = httpx.get(authorization(sandbox_fault="slow_token", sandbox_delay="3600").url(
        sandbox, "generic"))
    assert "sandbox_delay" in response.headers["location"]


def test_request_uri_expired_refuses_the_pushed_request_at_authorize(sandbox):
    par = f"{sandbox.issuer('generic')}/par"
    pushed = httpx.post(par, auth=("demo-par", "demo-secret"), data={
        "client_id": "demo-par", "response_type": "code", "scope": "openid",
        "redirect_uri": "http://127.0.0.1:9/callback", "code_challenge": "c" * 43,
        "code_challenge_method": "S256", "sandbox_fault": "request_uri_expired"})
    assert pushed.status_code == 201
    answer = httpx.get(f"{sandbox.issuer('generic')}/authorize", params={
        "client_id": "demo-par", "request_uri": pushed.json()["request_uri"]})
    assert answer.status_code == 400 and "location" not in answer.headers
    words = from_response(HttpResponse(answer.status_code, tuple(answer.headers.multi_items()),
                                       answer.text))  # the provider's error page
    assert words.error == "invalid_request_uri"
    assert "expired" in words.error_description


def test_every_fault_has_a_test_here():
    assert set(FAULTS) == {*ID_TOKEN_FAULTS, "alg_none", "slow_token", "token_500",
                           "invalid_grant_once",
                           "request_uri_expired"}


@pytest.mark.parametrize("dialect", ["pingone", "generic"])  # both rotate refresh tokens
async def test_concurrent_refreshes_of_one_token_on_a_slow_grant_win_once(
        sandbox, client, dialect, caplog, capfd):
    """20 refreshes of one refresh token that all wait (slow_token): one rotates it, the
    others are told invalid_grant in the provider's shape; no 500, no token in any log."""
    request = authorization(sandbox_fault="slow_token", sandbox_delay="1")
    refresh_token = (await tokens(client, sandbox, dialect, request))["refresh_token"]
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    answers = await asyncio.gather(*(token_request(client, sandbox, dialect, form)
                                     for _ in range(20)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [400] * 19
    assert {a.json()["error"] for a in answers if a.status_code == 400} == {"invalid_grant"}
    logged = caplog.text + "".join(capfd.readouterr())
    assert refresh_token not in logged and "Traceback" not in logged


async def test_deeply_nested_json_to_the_cyberark_login_api_is_refused_in_its_shape(
        sandbox, client):
    url = f"{sandbox.base_url}/cyberark/Security/StartAuthentication"
    for body in ('{"User": ' + "[" * 20_000 + "]" * 20_000 + "}",
                 '{"User": ' + "[" * 900 + "]" * 900 + "}"):
        answer = await client.post(url, content=body,
                                   headers={"Content-Type": "application/json",
                                            "X-IDAP-NATIVE-CLIENT": "true"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["success"] is False and answer.json()["Message"]
