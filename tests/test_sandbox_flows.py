"""Whole flows against the running sandbox over HTTP, and each provider's refusals in its own
shape: PKCE policies, client authentication, single-use codes, refresh rotation, userinfo."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sandbox_fixtures import (
    DIALECT_NAMES,
    REDIRECT_URI,
    authorization,
    authorization_code,
    authorization_response,
    endpoint,
    exchange_code,
    fill_login_form,
    token_request,
    tokens,
)

from pkce_tui.core.jwt import validate
from pkce_tui.core.redirect import parse_redirect
from pkce_tui.sandbox import Sandbox
from pkce_tui.sandbox.pages import object_moved


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
@pytest.mark.parametrize("client_id", ["demo-public", "demo-confidential", "demo-post"])
async def test_whole_flow_yields_a_valid_id_token_and_userinfo(sandbox, client, dialect,
                                                                client_id):
    request = authorization(client_id)
    body = await tokens(client, sandbox, dialect, request)
    jwks = (await client.get(endpoint(sandbox, dialect, "jwks_uri"))).json()
    report = validate(body["id_token"], jwks=jwks, issuer=sandbox.issuer(dialect),
                      audience=client_id, nonce="nonce-456", access_token=body["access_token"])
    assert report.valid, [c for c in report.checks if c.ok is False]
    assert {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
            "azp"} <= set(report.payload)
    info = await client.get(endpoint(sandbox, dialect, "userinfo_endpoint"),
                            headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.json()["sub"] == "alice"
    assert info.json()["email"] == "alice@example.test"


@pytest.mark.parametrize("dialect", ["cyberark", "pingone"])
async def test_plain_challenge_is_accepted_where_the_provider_allows_it(sandbox, client,
                                                                        dialect):
    body = await tokens(client, sandbox, dialect, authorization("demo-confidential", "plain"))
    assert "access_token" in body


@pytest.mark.parametrize(("dialect", "expires_in", "token_type"), [
    ("cyberark", 18000, "Bearer"), ("cloudentity", 3599, "bearer"),
    ("pingone", 3600, "Bearer"), ("generic", 3600, "Bearer")])
async def test_token_response_fields_follow_the_provider(sandbox, client, dialect,
                                                         expires_in, token_type):
    body = await tokens(client, sandbox, dialect, authorization())
    assert (body["expires_in"], body["token_type"]) == (expires_in, token_type)
    assert body["scope"] == "openid profile email"


async def test_cyberark_object_moved_page_is_byte_exact_and_parses_back(sandbox, client):
    request = authorization()
    response = await authorization_response(client, sandbox, "cyberark", request)
    location = response.header("Location")
    assert response.status == 302
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    assert location.startswith(REDIRECT_URI + "?responseType=code&code=")
    assert response.body == (
        "<html><head><title>Object moved</title></head><body>\r\n"
        f'<h2>Object moved to <a href="{location.replace("&", "&amp;")}">here</a>.</h2>\r\n'
        "</body></html>\r\n")
    result = parse_redirect(response.body, expected_state="state-123")
    assert (result.kind, result.source) == ("code", "html_anchor")
    assert result.code == query_of(location)["code"]
    assert result.state == "state-123"


async def test_cyberark_without_session_moves_to_the_login_page(sandbox, client):
    response = await client.get(authorization().url(sandbox, "cyberark"))
    location = response.headers["location"]
    assert response.status_code == 302
    assert location.startswith("/cyberark/login?cloudRedirect=Oauth2%2FAuthorize%2Fdemo-app"
                               "%3Fbounce%3D")
    assert f'<a href="{location}">here</a>' in response.text
    assert parse_redirect(response.text).kind == "login_required"


async def test_cyberark_login_form_completes_the_flow_in_a_browser(sandbox):
    request = authorization()
    async with httpx.AsyncClient(base_url=sandbox.base_url) as browser:
        moved = await browser.get(request.url(sandbox, "cyberark"))
        form_page = await browser.get(moved.headers["location"])
        wrong = await fill_login_form(browser, form_page, password="wrong")
        assert "has failed" in wrong.text and 'name="password"' in wrong.text
        signed_in = await fill_login_form(browser, form_page)
        back = await browser.get(signed_in.headers["location"])
    assert back.status_code == 302
    assert query_of(back.headers["location"])["state"] == "state-123"


async def test_cyberark_login_refuses_a_cloud_redirect_with_a_line_break(sandbox):
    target = "Oauth2/Authorize/demo-app?bounce=x\r\nSet-Cookie: .ASPXAUTH=forged"
    async with httpx.AsyncClient(base_url=sandbox.base_url) as browser:
        refused = await browser.post("/cyberark/login", data={
            "cloudRedirect": target, "username": "alice", "password": "pass"})
        still_serving = await browser.get("/cyberark/OAuth2/Keys/demo-app")
    assert refused.status_code == 400 and "location" not in refused.headers
    assert "cloudRedirect" in refused.text and "forged" not in refused.headers.get(
        "set-cookie", "")
    assert still_serving.status_code == 200


async def cyberark_signed_in(browser: httpx.AsyncClient) -> str:
    """Sign alice in through the login API; the browser keeps .ASPXAUTH, the Token returns."""
    native = {"X-IDAP-NATIVE-CLIENT": "true"}
    start = (await browser.post("/cyberark/Security/StartAuthentication", headers=native,
                                json={"User": "alice", "Version": "1.0"})).json()["Result"]
    done = await browser.post("/cyberark/Security/AdvanceAuthentication", headers=native, json={
        "TenantId": start["TenantId"], "SessionId": start["SessionId"], "Action": "Answer",
        "MechanismId": start["Challenges"][0]["Mechanisms"][0]["MechanismId"],
        "Answer": "pass"})
    return done.json()["Result"]["Token"]


async def test_cyberark_end_session_signs_out_and_returns_to_a_registered_uri(sandbox):
    async with httpx.AsyncClient(base_url=sandbox.base_url) as browser:
        token = await cyberark_signed_in(browser)
        discovery = (await browser.get("/cyberark/demo-app/.well-known/openid-configuration"))
        end_session = discovery.json()["end_session_endpoint"]
        signed_out = await browser.get(end_session, params={
            "post_logout_redirect_uri": REDIRECT_URI, "state": "bye"})
        again = await browser.get(authorization().url(sandbox, "cyberark"))
        whoami = await browser.post("/cyberark/Security/Whoami", json={},
                                    headers={"Authorization": f"Bearer {token}"})
    assert signed_out.status_code == 302
    assert signed_out.headers["location"] == REDIRECT_URI + "?state=bye"
    assert "Object moved" in signed_out.text
    assert signed_out.headers["set-cookie"].startswith(".ASPXAUTH=")
    assert "Max-Age=0" in signed_out.headers["set-cookie"]
    assert again.headers["location"].startswith("/cyberark/login?")
    assert whoami.json()["success"] is False


@pytest.mark.parametrize("target", [None, "https://evil.example/callback"])
async def test_cyberark_end_session_without_a_registered_target_shows_a_page(sandbox, target):
    params = {"post_logout_redirect_uri": target} if target else {}
    async with httpx.AsyncClient(base_url=sandbox.base_url) as browser:
        response = await browser.get("/cyberark/oauth2/endsession/demo-app", params=params)
    assert response.status_code == 200 and "location" not in response.headers
    assert "Signed out" in response.text
    assert "Max-Age=0" in response.headers["set-cookie"]


@pytest.mark.parametrize("dialect", ["cloudentity", "generic"])
async def test_form_login_wrong_password_shows_the_form_again(sandbox, client, dialect):
    page = await client.get(authorization().url(sandbox, dialect))
    again = await fill_login_form(client, page, password="nope")
    assert again.status_code == 200
    assert "Wrong username or password" in again.text
    assert '<form method="post"' in again.text


@pytest.mark.parametrize(("dialect", "sends_iss"), [("generic", True), ("cloudentity", False),
                                                    ("pingone", False), ("cyberark", False)])
async def test_iss_in_the_authorization_response(sandbox, client, dialect, sends_iss):
    response = await authorization_response(client, sandbox, dialect, authorization())
    params = query_of(response.header("Location"))
    assert ("iss" in params) is sends_iss
    if sends_iss:
        assert params["iss"] == sandbox.issuer(dialect)


@pytest.mark.parametrize("dialect", ["cloudentity", "pingone", "cyberark"])
async def test_iss_switched_on_for_a_dialect_that_leaves_it_off(client, dialect):
    with Sandbox(iss=(dialect,)) as switched_on:
        discovery = await client.get(switched_on.issuer(dialect).rstrip("/")
                                     + "/.well-known/openid-configuration")
        response = await authorization_response(client, switched_on, dialect, authorization())
    assert discovery.json()["authorization_response_iss_parameter_supported"] is True
    assert query_of(response.header("Location"))["iss"] == switched_on.issuer(dialect)


async def test_pingone_authorize_redirects_to_a_sign_on_page_with_a_flow(sandbox, client):
    response = await client.get(authorization().url(sandbox, "pingone"))
    assert response.status_code == 302
    assert "/pingone/demo-env/signon/?flowId=" in response.headers["location"]


async def test_pingone_sign_on_page_completes_the_flow_in_a_browser(sandbox):
    async with httpx.AsyncClient() as browser:
        redirect = await browser.get(authorization().url(sandbox, "pingone"))
        page = await browser.get(redirect.headers["location"])
        resumed = await fill_login_form(browser, page)
        back = await browser.get(resumed.headers["location"])
    assert back.status_code == 302
    assert back.headers["location"].startswith(REDIRECT_URI + "?code=")


async def test_pingone_pi_flow_mode_answers_with_json(sandbox, client):
    request = authorization(response_mode="pi.flow")
    flow = await client.get(request.url(sandbox, "pingone"))
    assert flow.json()["status"] == "USERNAME_PASSWORD_REQUIRED"
    check = flow.json()["_links"]["usernamePassword.check"]["href"]
    wrong_type = await client.post(check, json={"username": "alice", "password": "pass"})
    assert wrong_type.status_code == 400 and wrong_type.json()["code"] == "INVALID_REQUEST"
    done = await client.post(check, content=b'{"username":"alice","password":"pass"}',
                             headers={"Content-Type": "application/vnd.pingidentity."
                                                      "usernamePassword.check+json"})
    assert done.json()["status"] == "COMPLETED" and "ST" in done.cookies
    assert done.json()["session"]["id"] != done.cookies["ST"]  # the cookie is a credential
    resumed = await client.get(done.json()["resumeUrl"])
    assert resumed.json()["authorizeResponse"]["state"] == "state-123"


# --- PKCE policies -----------------------------------------------------------------------


def redirected_error(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    return query_of(response.headers["location"])


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
async def test_public_client_without_challenge_is_refused(sandbox, client, dialect):
    response = await client.get(authorization(method=None).url(sandbox, dialect))
    error = redirected_error(response)
    assert error["error"] == "invalid_request"
    said = error["error_hint"] if dialect == "cloudentity" else error["error_description"]
    assert "code_challenge" in said
    assert error["state"] == "state-123"


async def test_pingone_s256_required_refuses_plain_and_a_missing_method(sandbox, client):
    plain = authorization(method="plain")
    defaulted = authorization(code_challenge_method=None)
    for request in (plain, defaulted):
        error = redirected_error(await client.get(request.url(sandbox, "pingone")))
        assert error["error"] == "invalid_request"
        assert "S256" in error["error_description"]


@pytest.mark.parametrize(("policy", "client_id", "method", "accepted"), [
    ("OPTIONAL", "demo-confidential", None, True),
    ("REQUIRED", "demo-post", None, False),
    ("REQUIRED", "demo-post", "plain", True),
    ("S256_REQUIRED", "demo-public", "plain", False),
    ("S256_REQUIRED", "demo-public", "S256", True),
])
async def test_pingone_enforces_each_clients_pkce_policy(sandbox, client, policy, client_id,
                                                         method, accepted):
    request = authorization(client_id, method)
    if accepted:
        assert "access_token" in await tokens(client, sandbox, "pingone", request)
        return
    error = redirected_error(await client.get(request.url(sandbox, "pingone")))
    assert (error["error"], error["state"]) == ("invalid_request", "state-123")
    assert "code_challenge" in error["error_description"]


async def test_pingone_required_client_defaults_the_method_to_plain(sandbox, client):
    request = authorization("demo-post", "plain", code_challenge_method=None)
    assert "access_token" in await tokens(client, sandbox, "pingone", request)


@pytest.mark.parametrize("dialect", ["cyberark", "cloudentity", "generic"])
async def test_demo_post_pkce_is_optional_outside_pingone(sandbox, client, dialect):
    body = await tokens(client, sandbox, dialect, authorization("demo-post", None))
    assert "access_token" in body


async def test_generic_refuses_plain_and_requires_the_method(sandbox, client):
    for request in (authorization(method="plain"), authorization(code_challenge_method=None)):
        error = redirected_error(await client.get(request.url(sandbox, "generic")))
        assert error["error"] == "invalid_request"
        assert error["iss"] == sandbox.issuer("generic")


async def test_cloudentity_authorize_error_carries_hint_cause_and_trace(sandbox, client):
    error = redirected_error(await client.get(authorization(method=None).url(sandbox,
                                                                             "cloudentity")))
    assert error["error_cause"] == "invalid_pkce"
    assert "code_challenge" in error["error_hint"]
    assert error["trace_id"]


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
async def test_wrong_verifier_is_invalid_grant_and_keeps_the_code(sandbox, client, dialect):
    request = authorization()
    code = await authorization_code(client, sandbox, dialect, request)
    wrong = await exchange_code(client, sandbox, dialect, code, request,
                                code_verifier="x" * 43)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    right = await exchange_code(client, sandbox, dialect, code, request)
    assert right.status_code == 200


async def test_cloudentity_token_error_shape(sandbox, client):
    request = authorization()
    code = await authorization_code(client, sandbox, "cloudentity", request)
    response = await exchange_code(client, sandbox, "cloudentity", code, request,
                                   code_verifier="y" * 43)
    body = response.json()
    assert body["status_code"] == 400 and body["cause"] == "invalid_pkce"
    assert "code_verifier" in body["error_hint"]
    assert response.headers["X-Trace-ID"]


async def test_missing_grant_type_is_invalid_request(sandbox, client):
    request = authorization()
    code = await authorization_code(client, sandbox, "cloudentity", request)
    response = await token_request(client, sandbox, "cloudentity",
                                   {"authorization_code": code, "code_verifier": request.verifier})
    assert response.json()["error"] == "invalid_request"
    assert "grant_type" in response.json()["error_hint"]


# --- codes, redirect URIs, client authentication -----------------------------------------


async def test_reused_code_is_refused_and_revokes_the_grant(sandbox, client):
    request = authorization()
    code = await authorization_code(client, sandbox, "generic", request)
    first = (await exchange_code(client, sandbox, "generic", code, request)).json()
    again = await exchange_code(client, sandbox, "generic", code, request)
    assert again.json()["error"] == "invalid_grant" and "already used" in again.text
    info = await client.get(endpoint(sandbox, "generic", "userinfo_endpoint"),
                            headers={"Authorization": f"Bearer {first['access_token']}"})
    assert info.status_code == 401
    refresh = await token_request(client, sandbox, "generic", {
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert refresh.json()["error"] == "invalid_grant"


async def test_expired_code_is_refused(sandbox, client):
    request = authorization()
    code = await authorization_code(client, sandbox, "generic", request)
    store = sandbox.context.store
    real_clock = store.clock
    store.clock = lambda: real_clock() + 61
    try:
        response = await exchange_code(client, sandbox, "generic", code, request)
    finally:
        store.clock = real_clock
    assert response.json()["error"] == "invalid_grant" and "expired" in response.text


async def test_redirect_uri_must_match_the_authorize_one(sandbox, client):
    request = authorization()
    code = await authorization_code(client, sandbox, "pingone", request)
    response = await exchange_code(client, sandbox, "pingone", code, request,
                                   redirect_uri="http://localhost:8765/callback")
    assert response.json()["error"] == "invalid_grant" and "redirect_uri" in response.text


@pytest.mark.parametrize("uri", ["http://127.0.0.1:9/other", "https://evil.example/callback",
                                 "http://10.0.0.1/callback"])
async def test_unregistered_redirect_uri_is_never_redirected_to(sandbox, client, uri):
    response = await client.get(authorization(redirect_uri=uri).url(sandbox, "generic"))
    assert response.status_code == 400 and "location" not in response.headers


async def test_pingone_unregistered_redirect_uri_is_a_platform_error(sandbox, client):
    url = authorization(redirect_uri="https://evil.example/cb").url(sandbox, "pingone")
    body = (await client.get(url)).json()
    assert body["code"] == "INVALID_DATA" and body["details"][0]["target"] == "redirect_uri"


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
async def test_a_redirect_uri_with_a_line_break_is_not_registered(sandbox, client, dialect):
    """urlsplit drops the CR/LF, so the path looks like /callback: it must still be refused."""
    broken = REDIRECT_URI.replace("/callback", "/call\r\nback")
    response = await client.get(authorization(redirect_uri=broken).url(sandbox, dialect))
    assert response.status_code == 400 and "location" not in response.headers


def test_object_moved_percent_encodes_what_cannot_go_into_a_header():
    response = object_moved("/cyberark/a b\r\nSet-Cookie: x=1?é")
    assert response.headers["location"] == "/cyberark/a%20b%0D%0ASet-Cookie:%20x=1?%C3%A9"


@pytest.mark.parametrize("redirect_uri", ["http://localhost:1/callback",
                                          "http://[::1]:5000/callback",
                                          "https://app.example.test/callback"])
async def test_registered_redirect_uris(sandbox, client, redirect_uri):
    page = await client.get(authorization(redirect_uri=redirect_uri).url(sandbox, "generic"))
    assert page.status_code == 200 and 'name="password"' in page.text


@pytest.mark.parametrize(("client_id", "wrong_method"), [
    ("demo-confidential", "client_secret_post"), ("demo-post", "client_secret_basic"),
    ("demo-public", "client_secret_post")])
async def test_only_the_registered_auth_method_is_accepted(sandbox, client, client_id,
                                                           wrong_method):
    request = authorization(client_id)
    code = await authorization_code(client, sandbox, "generic", request)
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": request.verifier}
    response = await token_request(client, sandbox, "generic", body, client_id, wrong_method)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


async def test_pingone_unsupported_auth_method_text(sandbox, client):
    body = {"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT_URI}
    response = await token_request(client, sandbox, "pingone", body, "demo-confidential",
                                   "client_secret_post")
    assert response.json()["error_description"].startswith(
        "Request denied: Unsupported authentication method (Correlation ID: ")


async def test_wrong_client_secret_is_invalid_client(sandbox, client):
    response = await client.post(endpoint(sandbox, "generic", "token_endpoint"), data={
        "grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT_URI},
        auth=("demo-confidential", "not-the-secret"))
    assert response.status_code == 401 and "secret" in response.json()["error_description"]
    assert response.headers["WWW-Authenticate"].startswith("Basic")


# --- refresh, revocation -----------------------------------------------------------------


@pytest.mark.parametrize(("dialect", "rotates"), [("cyberark", False), ("pingone", True),
                                                  ("cloudentity", True), ("generic", True)])
async def test_refresh_rotates_where_the_provider_rotates(sandbox, client, dialect, rotates):
    first = await tokens(client, sandbox, dialect, authorization())
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    refreshed = (await token_request(client, sandbox, dialect, form)).json()
    assert "access_token" in refreshed
    assert ("refresh_token" in refreshed) is rotates
    reused = await token_request(client, sandbox, dialect, form)
    assert (reused.status_code == 200) is not rotates


async def test_revoking_the_refresh_token_revokes_the_grant(sandbox, client):
    body = await tokens(client, sandbox, "cloudentity", authorization("demo-post"))
    revoke = await client.post(endpoint(sandbox, "cloudentity", "revocation_endpoint"), data={
        "token": body["refresh_token"], "client_id": "demo-post", "client_secret": "demo-secret"})
    assert revoke.status_code == 200 and revoke.content == b""
    info = await client.get(endpoint(sandbox, "cloudentity", "userinfo_endpoint"),
                            headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 401
    assert info.json()["error"] == "invalid_token"


async def test_revoking_an_unknown_token_is_fine(sandbox, client):
    response = await client.post(endpoint(sandbox, "cyberark", "revocation_endpoint"),
                                 data={"token": "nothing", "client_id": "demo-public"})
    assert response.status_code == 200


async def test_cyberark_whoami_with_the_access_token(sandbox, client):
    body = await tokens(client, sandbox, "cyberark", authorization())
    whoami = await client.post(sandbox.base_url + "/cyberark/Security/Whoami", json={},
                               headers={"Authorization": f"Bearer {body['access_token']}"})
    assert whoami.json()["success"] is True
    async with httpx.AsyncClient() as fresh:
        anonymous = await fresh.post(sandbox.base_url + "/cyberark/security/whoami", json={})
    assert anonymous.status_code == 200 and anonymous.json()["success"] is False


async def test_cyberark_security_api_requires_the_native_client_header(sandbox, client):
    response = await client.post(sandbox.base_url + "/cyberark/Security/StartAuthentication",
                                 json={"User": "alice", "Version": "1.0"})
    assert response.status_code == 200
    assert response.json()["success"] is False
    assert "X-IDAP-NATIVE-CLIENT" in response.json()["Message"]


async def test_prompt_none_without_session_is_login_required(sandbox, client):
    error = redirected_error(await client.get(authorization(prompt="none").url(sandbox,
                                                                               "generic")))
    assert error["error"] == "login_required"


async def test_unknown_scope_is_invalid_scope(sandbox, client):
    error = redirected_error(await client.get(authorization(scope="openid admin").url(
        sandbox, "cloudentity")))
    assert error["error"] == "invalid_scope"
