"""API-driven logins against the running sandbox over HTTP, their failures as one line (answers
of the wrong shape included), and cookies sent only where their server scoped them."""

from __future__ import annotations

import httpx
import pytest
from sandbox_fixtures import authorization

from pkce_tui.core.client import new_client
from pkce_tui.core.login import cyberark_login, form_login, pingone_login
from pkce_tui.core.redirect import parse_http_response


async def login_cyberark(client, sandbox, username="alice", password="pass", request=None):
    request = request or authorization()
    return await cyberark_login(client, tenant_url=sandbox.base_url + "/cyberark",
                                authorize_url=request.url(sandbox, "cyberark"),
                                username=username, password=password)


async def login_pingone(client, sandbox, password="pass", **params):
    return await pingone_login(client, authorize_url=authorization(**params).url(sandbox,
                                                                                "pingone"),
                               username="alice", password=password)


def labels(result) -> list[str]:
    return [exchange.labels[0] for exchange in result.exchanges]


async def test_cyberark_login_ends_in_the_code_redirect(client, sandbox):
    result = await login_cyberark(client, sandbox)
    assert result.ok and result.error is None
    assert labels(result) == ["StartAuthentication", "AdvanceAuthentication", "authorize"]
    redirect = parse_http_response(result.redirect, expected_state="state-123")
    assert redirect.kind == "code" and redirect.params["responseType"] == "code"


async def test_cyberark_login_sends_the_native_header_and_carries_the_session_cookie(
        client, sandbox):
    result = await login_cyberark(client, sandbox)
    start, advance, authorize = result.exchanges
    assert start.request.header("X-IDAP-NATIVE-CLIENT") == "true"
    assert advance.request.json_body["Answer"] == "pass"
    session = advance.response.json()["Result"]["Token"]
    assert authorize.request.header("Cookie") == f".ASPXAUTH={session}"


async def test_cyberark_wrong_password_stops_with_the_servers_message(client, sandbox):
    result = await login_cyberark(client, sandbox, password="wrong")
    assert not result.ok and result.redirect is None
    assert result.error.startswith("CyberArk AdvanceAuthentication refused the login: "
                                   "Authentication (login or challenge) has failed.")
    assert labels(result) == ["StartAuthentication", "AdvanceAuthentication"]


async def test_cyberark_unknown_user(client, sandbox):
    result = await login_cyberark(client, sandbox, username="mallory")
    assert not result.ok
    assert "StartAuthentication refused the login" in result.error


async def test_cyberark_second_factor_is_reported_with_its_mechanisms(client, sandbox):
    result = await login_cyberark(client, sandbox, username="bob")
    assert not result.ok
    assert result.error == ("CyberArk asks for a second factor (mechanism 'OTP' or 'EMAIL') at "
                            "challenge level 2, which needs a person: use the browser")
    assert "\n" not in result.error


async def test_cyberark_authorize_error_is_not_a_login_failure(client, sandbox):
    request = authorization(method=None)
    result = await login_cyberark(client, sandbox, request=request)
    assert result.ok
    assert parse_http_response(result.redirect).error == "invalid_request"


async def test_pingone_login_ends_in_the_resume_redirect(client, sandbox):
    result = await login_pingone(client, sandbox)
    assert result.ok, result.error
    assert labels(result) == ["authorize", "flow", "usernamePassword.check", "resume"]
    check = result.exchanges[2].request
    assert check.header("Content-Type") == ("application/vnd.pingidentity."
                                            "usernamePassword.check+json")
    assert "interactionToken=" in result.exchanges[1].request.header("Cookie")
    assert "ST=" in result.exchanges[3].request.header("Cookie")
    redirect = parse_http_response(result.redirect, expected_state="state-123")
    assert redirect.kind == "code"


async def test_pingone_pi_flow_mode(client, sandbox):
    result = await login_pingone(client, sandbox, response_mode="pi.flow")
    assert result.ok, result.error
    assert labels(result) == ["authorize", "usernamePassword.check", "resume"]
    assert result.redirect.json()["authorizeResponse"]["code"]


async def test_pingone_wrong_password(client, sandbox):
    result = await login_pingone(client, sandbox, password="wrong")
    assert not result.ok
    assert result.error == ("PingOne's flows API answered HTTP 400: "
                            "Invalid username and/or password.")


async def test_pingone_authorize_refusal_is_reported(client, sandbox):
    result = await login_pingone(client, sandbox, redirect_uri="https://evil.example/cb")
    assert not result.ok
    assert result.error.startswith("PingOne answered authorize with HTTP 400: ")
    assert "redirect_uri" in result.error


async def test_pingone_authorize_error_redirect_is_the_result(client, sandbox):
    result = await login_pingone(client, sandbox, code_challenge_method="plain")
    assert result.ok
    assert labels(result) == ["authorize"]
    assert parse_http_response(result.redirect).error == "invalid_request"


async def test_pingone_flows_api_is_found_beside_as_authorize_only():
    def to_sign_on(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://apps.example.test/signon/"
                                                        "?flowId=f1"})

    async with new_client(transport=httpx.MockTransport(to_sign_on)) as client:
        result = await pingone_login(client, authorize_url="https://auth.example.test/env/"
                                     "oauth/authorize?client_id=c", username="a", password="p")
    assert result.error == ("cannot find PingOne's flows API: the authorize URL does not end "
                            "in /as/authorize")


async def test_network_failure_is_one_line_with_the_exchange_recorded():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with new_client(transport=httpx.MockTransport(refuse)) as client:
        result = await cyberark_login(client, tenant_url="https://tenant.example.test",
                                      authorize_url="https://tenant.example.test/OAuth2/"
                                      "Authorize/app", username="alice", password="pass")
    assert not result.ok and "connection refused" in result.error
    assert result.exchanges[0].error == result.error
    assert result.exchanges[0].response is None


async def test_cyberark_non_json_answer_is_reported():
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="<html>maintenance</html>")

    async with new_client(transport=httpx.MockTransport(html)) as client:
        result = await cyberark_login(client, tenant_url="https://tenant.example.test/",
                                      authorize_url="https://tenant.example.test/x",
                                      username="alice", password="pass")
    assert result.error == ("CyberArk StartAuthentication answered HTTP 503 without a JSON "
                            "object")


# --- Answers of the wrong shape ------------------------------------------------------------

TENANT = "https://tenant.example.test"
PINGONE_AUTHORIZE = "https://auth.example.test/env/as/authorize?client_id=c"
PASSWORD_LEVEL = [{"Mechanisms": [{"Name": "UP", "MechanismId": "m1"}]}]


def answered(result: object) -> dict:
    return {"success": True, "Result": result, "Message": None}


async def cyberark_answering(start: dict, advance: dict | None = None):
    """A CyberArk login against a tenant answering the two /Security calls with these bodies."""
    bodies = {"/Security/StartAuthentication": start, "/Security/AdvanceAuthentication": advance}

    def tenant(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=bodies[request.url.path])

    async with new_client(transport=httpx.MockTransport(tenant)) as client:
        return await cyberark_login(client, tenant_url=TENANT,
                                    authorize_url=f"{TENANT}/OAuth2/Authorize/app",
                                    username="alice", password="pass")


@pytest.mark.parametrize(("result", "error"), [
    ({"Challenges": ["UP"]}, "Challenges is not a list of objects"),
    ({"Challenges": {}}, "Challenges is not a list of objects"),
    ({"Challenges": {"UP": {}}}, "Challenges is not a list of objects"),
    ({"SessionId": "s1"}, "Challenges is missing"),
    ({"Challenges": [{"Mechanisms": "UP"}]}, "Challenges[0].Mechanisms is not a list of objects"),
    ({"Challenges": [{"Mechanisms": [{"Name": "UP"}, "OTP"]}]},
     "Challenges[0].Mechanisms is not a list of objects"),
    ([], "Result is not an object"),
])
async def test_cyberark_start_answer_of_the_wrong_shape_stops_the_login(result, error):
    login = await cyberark_answering(answered(result))
    assert not login.ok and login.redirect is None
    assert login.error == f"CyberArk StartAuthentication: {error}"
    assert labels(login) == ["StartAuthentication"]


@pytest.mark.parametrize(("result", "error"), [
    ("LoginSuccess", "CyberArk AdvanceAuthentication: Result is not an object"),
    ({"Summary": "LoginSuccess", "Token": {"value": "t"}},
     "CyberArk AdvanceAuthentication: LoginSuccess without a Token or an .ASPXAUTH cookie for "
     "the authorize URL"),
])
async def test_cyberark_advance_answer_of_the_wrong_shape_stops_the_login(result, error):
    login = await cyberark_answering(answered({"Challenges": PASSWORD_LEVEL}), answered(result))
    assert login.error == error
    assert labels(login) == ["StartAuthentication", "AdvanceAuthentication"]


async def test_cyberark_message_over_several_lines_is_reported_on_one():
    refusal = {"success": False, "Result": None, "Message": "Account locked.\r\n  Call\tthe desk."}
    login = await cyberark_answering(refusal)
    assert login.error == "CyberArk StartAuthentication refused the login: Account locked. " \
                          "Call the desk."


@pytest.mark.parametrize(("links", "error"), [
    ([], "PingOne's flow: _links is not an object"),
    (["usernamePassword.check"], "PingOne's flow: _links is not an object"),
    ({"usernamePassword.check": "https://auth.example.test/env/flows/f1"},
     "PingOne's flow: _links.usernamePassword.check is not an object"),
    ({"usernamePassword.check": []},
     "PingOne's flow: _links.usernamePassword.check is not an object"),
])
async def test_pingone_flow_links_of_the_wrong_shape_stop_the_login(links, error):
    def flow(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "USERNAME_PASSWORD_REQUIRED", "_links": links})

    async with new_client(transport=httpx.MockTransport(flow)) as client:
        login = await pingone_login(client, authorize_url=PINGONE_AUTHORIZE, username="alice",
                                    password="pass")
    assert not login.ok and login.error == error
    assert labels(login) == ["authorize"]


# --- Cookies go only where their server scoped them (RFC 6265) ----------------------------

CALLBACK = "https://app.example.test/callback"


async def walk(hops: dict[str, tuple[str, str | None]]):
    """`form_login` through redirects only: each URL answers 302 to the next, setting the
    cookie given; returns the result and the Cookie header each URL received on the wire."""
    received: dict[str, str | None] = {}

    def server(request: httpx.Request) -> httpx.Response:
        url = str(request.url.copy_with(query=None))
        received[url] = request.headers.get("Cookie")
        location, cookie = hops[url]
        return httpx.Response(302, headers=[("Location", location)]
                              + ([("Set-Cookie", cookie)] if cookie else []))

    async with new_client(transport=httpx.MockTransport(server)) as client:
        result = await form_login(client, authorize_url="https://idp.example.test/authorize",
                                  redirect_uri=CALLBACK, username="alice", password="pass")
    assert result.ok, result.error
    return result, received


def recorded_cookies(result) -> list[str | None]:
    return [exchange.request.header("Cookie") for exchange in result.exchanges]


async def test_a_cookie_set_by_one_host_is_not_sent_to_another():
    result, received = await walk({
        "https://idp.example.test/authorize": ("https://tracker.example.net/pixel",
                                               "sid=s3cret; Path=/; HttpOnly"),
        "https://tracker.example.net/pixel": ("https://idp.example.test/login", None),
        "https://idp.example.test/login": (f"{CALLBACK}?code=c", None),
    })
    assert received == {"https://idp.example.test/authorize": None,
                        "https://tracker.example.net/pixel": None,
                        "https://idp.example.test/login": "sid=s3cret"}
    assert recorded_cookies(result) == [None, None, "sid=s3cret"]


@pytest.mark.parametrize(("set_cookie", "next_url", "sent"), [
    ("sid=1; Path=/; Secure", "http://idp.example.test/next", None),
    ("sid=1; Path=/; Secure", "https://idp.example.test/next", "sid=1"),
    ("sid=1; Path=/authorize", "https://idp.example.test/next", None),
    ("sid=1; Path=/", "https://sub.idp.example.test/next", None),
    ("sid=1; Path=/; Domain=idp.example.test", "https://sub.idp.example.test/next", "sid=1"),
    ("sid=1; Path=/; Domain=example.net", "https://www.example.net/next", None),
    ("sid=1; Path=/; Max-Age=0", "https://idp.example.test/next", None),
], ids=["secure-not-over-http", "secure-over-https", "outside-its-path", "host-only-not-subdomain",
        "domain-to-subdomain", "domain-of-another-site-refused", "expired"])
async def test_a_cookie_goes_only_where_its_attributes_allow(set_cookie, next_url, sent):
    result, received = await walk({
        "https://idp.example.test/authorize": (next_url, set_cookie),
        next_url: (f"{CALLBACK}?code=c", None),
    })
    assert received[next_url] == sent
    assert recorded_cookies(result) == [None, sent]


# --- Where a password may go (DESIGN.md §7) ------------------------------------------------

LOGIN_PAGE = ('<html><body><form method="post" action="{action}"><input name="username">'
              '<input type="password" name="password"></form></body></html>')


async def login_at(authorize_url: str, action: str, **options):
    """`form_login` on a page whose form posts to `action`; the result and the URLs asked."""
    asked: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url.copy_with(query=None)))
        if request.method == "POST":
            return httpx.Response(302, headers=[("Location", f"{CALLBACK}?code=c&state=s")])
        return httpx.Response(200, headers=[("Content-Type", "text/html")],
                              text=LOGIN_PAGE.format(action=action))

    async with new_client(transport=httpx.MockTransport(server)) as client:
        result = await form_login(client, authorize_url=authorize_url, redirect_uri=CALLBACK,
                                  username="alice", password="pass", **options)
    return result, asked


@pytest.mark.parametrize("authorize_url, action, reason", [
    ("https://idp.example.test/authorize", "https://evil.example.test/steal", "another origin"),
    ("https://idp.example.test/authorize", "http://idp.example.test/login", "another origin"),
    ("http://idp.example.test/authorize", "/login", "plain http"),
])
async def test_the_password_is_not_sent_elsewhere_unless_allowed(authorize_url, action, reason):
    result, asked = await login_at(authorize_url, action)
    assert not result.ok and reason in result.error
    assert asked == [authorize_url]  # the form was never posted
    allowed, asked = await login_at(authorize_url, action, allow_cross_origin=True)
    assert allowed.ok and len(asked) == 2


async def test_a_same_origin_form_on_loopback_http_is_posted():
    result, asked = await login_at("http://127.0.0.1:8080/authorize", "/login")
    assert result.ok and asked[-1] == "http://127.0.0.1:8080/login"


@pytest.mark.parametrize("location", ["http://127.0.0.1:99999/next", "http://[::1/next",
                                      "http://127.0.0.1:-1/next"])
async def test_a_redirect_to_an_unreadable_url_stops_the_login(location):
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers=[("Location", location)])

    async with new_client(transport=httpx.MockTransport(server)) as client:
        result = await form_login(client, authorize_url="https://idp.example.test/authorize",
                                  redirect_uri=CALLBACK, username="alice", password="pass")
    assert not result.ok and "URL" in result.error  # one line, whoever noticed first
