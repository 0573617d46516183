"""API-driven logins: a username and password instead of a person at a browser.

CyberArk (Security Start/AdvanceAuthentication, then authorize with the session) and PingOne
(the flows API, then resume) each end in the authorization response that carries the code;
any provider with a plain HTML login page (the sandbox's generic and Cloudentity dialects,
CyberArk's /login page) can be walked through as a browser would (`form_login`).
Every hop is sent through `client.send` and recorded; redirects are never followed for us, and
cookies are carried by hand from `Set-Cookie` so each request shows what it sent.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

import httpx

from pkce_tui.core.client import send
from pkce_tui.core.errors import NetworkError
from pkce_tui.core.htmlform import Form, parse_form
from pkce_tui.core.http import Exchange, HttpRequest, HttpResponse

NATIVE_CLIENT = ("X-IDAP-NATIVE-CLIENT", "true")
PINGONE_CHECK_TYPE = "application/vnd.pingidentity.usernamePassword.check+json"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_LEVELS = 5


@dataclass(frozen=True)
class LoginResult:
    """How a login ended: the response carrying the code, every exchange, or why it stopped."""

    ok: bool
    redirect: HttpResponse | None
    exchanges: tuple[Exchange, ...]
    error: str | None


class LoginStopped(Exception):
    """A login cannot go on; the message is the one line for `LoginResult.error`."""


@dataclass
class _Session:
    """Sends a login's requests, records each exchange, and carries the cookies it is given."""

    client: httpx.AsyncClient
    exchanges: list[Exchange] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)

    async def send(self, request: HttpRequest, label: str) -> HttpResponse:
        if self.cookies:
            cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            request = HttpRequest(request.method, request.url,
                                  request.headers + (("Cookie", cookie),),
                                  request.form, request.json_body)
        try:
            response = await send(self.client, request)
        except NetworkError as exc:
            self.exchanges.append(Exchange(request, error=str(exc), labels=(label,)))
            raise LoginStopped(str(exc)) from exc
        self.exchanges.append(Exchange(request, response, labels=(label,)))
        self._keep_cookies(response)
        return response

    def _keep_cookies(self, response: HttpResponse) -> None:
        for header in response.header_values("Set-Cookie"):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})

    def result(self, redirect: HttpResponse | None, error: str | None = None) -> LoginResult:
        return LoginResult(error is None, redirect, tuple(self.exchanges), error)


async def _run(session: _Session, steps: Awaitable[HttpResponse]) -> LoginResult:
    """Run a login's steps; a `LoginStopped` becomes a failed result with the exchanges so far."""
    try:
        return session.result(await steps)
    except LoginStopped as stop:
        return session.result(None, str(stop))


# --- CyberArk ----------------------------------------------------------------------------


async def cyberark_login(client: httpx.AsyncClient, *, tenant_url: str, authorize_url: str,
                         username: str, password: str) -> LoginResult:
    """Log in with CyberArk's Security API (mechanism "UP"), then authorize with the session.

    Each challenge level must offer the password mechanism; a level that asks for another
    factor stops the login with a message naming the mechanisms it offers.
    """
    session = _Session(client)
    tenant = tenant_url.rstrip("/")
    return await _run(session, _cyberark_steps(session, tenant, authorize_url, username,
                                               password))


async def _cyberark_steps(session: _Session, tenant: str, authorize_url: str, username: str,
                          password: str) -> HttpResponse:
    start = await _security_call(session, f"{tenant}/Security/StartAuthentication",
                                 {"User": username, "Version": "1.0"}, "StartAuthentication")
    levels = [level.get("Mechanisms") or [] for level in start.get("Challenges") or []]
    token = None
    for number, mechanisms in enumerate(levels[:MAX_LEVELS], start=1):
        mechanism = _password_mechanism(mechanisms, number)
        advance = await _security_call(session, f"{tenant}/Security/AdvanceAuthentication", {
            "TenantId": start.get("TenantId"), "SessionId": start.get("SessionId"),
            "MechanismId": mechanism.get("MechanismId"), "Action": "Answer", "Answer": password,
        }, "AdvanceAuthentication")
        if advance.get("Summary") == "LoginSuccess":
            token = advance.get("Token")
            break
        if advance.get("Summary") != "StartNextChallenge":
            raise LoginStopped(f"CyberArk answered the password with Summary "
                               f"{advance.get('Summary')!r}, not LoginSuccess")
    if token is None:
        raise LoginStopped("CyberArk never answered LoginSuccess, so there is no session")
    return await _authorize_with_session(session, authorize_url, token)


async def _security_call(session: _Session, url: str, body: dict, label: str) -> dict:
    """A /Security JSON call; CyberArk reports failure as HTTP 200 with `success: false`."""
    response = await session.send(HttpRequest("POST", url, (NATIVE_CLIENT,), json_body=body),
                                  label)
    data = response.json()
    if data is None:
        raise LoginStopped(f"CyberArk {label} answered HTTP {response.status} without a "
                           "JSON object")
    if data.get("success") is not True:
        message = data.get("Message") or "no message"
        raise LoginStopped(f"CyberArk {label} refused the login: {message}")
    result = data.get("Result")
    return result if isinstance(result, dict) else {}


def _password_mechanism(mechanisms: list, level: int) -> dict:
    """The level's "UP" mechanism; a level without one needs a person."""
    names = [str(m.get("Name")) for m in mechanisms if isinstance(m, dict)]
    for mechanism in mechanisms:
        if isinstance(mechanism, dict) and mechanism.get("Name") == "UP":
            return mechanism
    offered = " or ".join(repr(name) for name in names) or "none"
    what = "a second factor" if level > 1 else "a factor other than a password"
    raise LoginStopped(f"CyberArk asks for {what} (mechanism {offered}) at challenge level "
                       f"{level}, which needs a person: use the browser")


async def _authorize_with_session(session: _Session, authorize_url: str,
                                  token: str) -> HttpResponse:
    """Authorize with the `.ASPXAUTH` cookie the login set, or the bearer Token without one."""
    headers = () if ".ASPXAUTH" in session.cookies else (("Authorization", f"Bearer {token}"),)
    response = await session.send(HttpRequest("GET", authorize_url, headers), "authorize")
    if response.status not in REDIRECT_STATUSES:
        raise LoginStopped(f"CyberArk answered the authorize request with HTTP "
                           f"{response.status}, not a redirect: {_server_words(response)}")
    return response


# --- PingOne -----------------------------------------------------------------------------


async def pingone_login(client: httpx.AsyncClient, *, authorize_url: str, username: str,
                        password: str) -> LoginResult:
    """Log in through PingOne's flows API: authorize, read the flow, check the password,
    resume; the resume response carries the code (a 302, or JSON in `pi.flow` mode)."""
    session = _Session(client)
    return await _run(session, _pingone_steps(session, authorize_url, username, password))


async def _pingone_steps(session: _Session, authorize_url: str, username: str,
                         password: str) -> HttpResponse:
    authorize = await session.send(HttpRequest("GET", authorize_url), "authorize")
    if _returns_to_client(authorize):
        return authorize
    flow = await _open_flow(session, authorize_url, authorize)
    if flow.get("status") == "USERNAME_PASSWORD_REQUIRED":
        flow = await _check_password(session, flow, username, password)
    if flow.get("status") != "COMPLETED":
        raise LoginStopped(f"PingOne's flow is in status {flow.get('status')!r}, which needs "
                           "a person: use the browser")
    resume_url = flow.get("resumeUrl")
    if not isinstance(resume_url, str):
        raise LoginStopped("PingOne's completed flow has no resumeUrl")
    response = await session.send(HttpRequest("GET", resume_url), "resume")
    if response.status not in REDIRECT_STATUSES and "authorizeResponse" not in (
            response.json() or {}):
        raise LoginStopped(f"PingOne answered resume with HTTP {response.status}: "
                           f"{_server_words(response)}")
    return response


def _returns_to_client(response: HttpResponse) -> bool:
    """Authorize already answered the client (an error such as a refused PKCE method, or a
    code from an existing session): that redirect is the login's result, not a failure."""
    location = response.header("Location") or ""
    params = parse_qs(urlsplit(location).query)
    return response.status in REDIRECT_STATUSES and ("error" in params or "code" in params)


async def _open_flow(session: _Session, authorize_url: str, response: HttpResponse) -> dict:
    """The flow authorize started: its JSON in pi.flow mode, else read from the flows API."""
    data = response.json()
    if response.status == 200 and data is not None and "status" in data:
        return data
    if response.status not in REDIRECT_STATUSES:
        raise LoginStopped(f"PingOne answered authorize with HTTP {response.status}: "
                           f"{_server_words(response)}")
    location = response.header("Location") or ""
    flow_id = parse_qs(urlsplit(location).query).get("flowId", [None])[0]
    if not flow_id:
        raise LoginStopped(f"PingOne's authorize redirect has no flowId: {location}")
    flow = await session.send(HttpRequest("GET", _flows_url(authorize_url, flow_id)), "flow")
    return _flow_json(flow)


def _flows_url(authorize_url: str, flow_id: str) -> str:
    """`{authPath}/{env}/as/authorize` -> `{authPath}/{env}/flows/{flowId}`."""
    parts = urlsplit(authorize_url)
    if not parts.path.endswith("/as/authorize"):
        raise LoginStopped("cannot find PingOne's flows API: the authorize URL does not end "
                           "in /as/authorize")
    path = parts.path.removesuffix("/as/authorize") + f"/flows/{flow_id}"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


async def _check_password(session: _Session, flow: dict, username: str,
                          password: str) -> dict:
    """POST the usernamePassword.check action the flow links to."""
    link = (flow.get("_links") or {}).get("usernamePassword.check") or {}
    if not isinstance(link.get("href"), str):
        raise LoginStopped("PingOne's flow offers no usernamePassword.check action")
    request = HttpRequest("POST", link["href"], (("Content-Type", PINGONE_CHECK_TYPE),),
                          json_body={"username": username, "password": password})
    return _flow_json(await session.send(request, "usernamePassword.check"))


def _flow_json(response: HttpResponse) -> dict:
    data = response.json()
    if response.status != 200 or data is None:
        raise LoginStopped(f"PingOne's flows API answered HTTP {response.status}: "
                           f"{_server_words(response)}")
    return data


def _server_words(response: HttpResponse) -> str:
    """The most specific message of an error body: PingOne's platform shape, an OAuth error
    (RFC 6749 §5.2) with Cloudentity's hint, or the start of the text."""
    data = response.json() or {}
    details = data.get("details")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("message") or data.get("message"))
    if data.get("error"):
        described = f"{data['error']}: {data.get('error_description') or 'no description'}"
        hint = data.get("error_hint")  # Cloudentity's specific reason
        return f"{described} ({hint})" if hint else described
    text = data.get("message")
    return str(text) if text else (response.body[:200] or "no body")


# --- HTML login forms ----------------------------------------------------------------------

MAX_FORM_HOPS = 12


async def form_login(client: httpx.AsyncClient, *, authorize_url: str, redirect_uri: str,
                     username: str, password: str) -> LoginResult:
    """Log in through the provider's HTML login page, as a browser would without scripts.

    Redirects are followed one hop at a time, the form that asks for a password is filled,
    other forms (consent) are submitted as the page set them, and the walk stops at the answer
    that redirects back to `redirect_uri`: that answer carries the code (RFC 6749 §4.1.2).
    """
    session = _Session(client)
    return await _run(session, _walk_to_client(session, authorize_url, redirect_uri, username,
                                                password))


async def _walk_to_client(session: _Session, authorize_url: str, redirect_uri: str,
                          username: str, password: str) -> HttpResponse:
    request, signed_in = HttpRequest("GET", authorize_url), False
    for hop in range(MAX_FORM_HOPS):
        response = await session.send(request, f"hop {hop + 1}")
        location = response.header("Location")
        if response.status in REDIRECT_STATUSES and location:
            target = urljoin(request.url, location)
            if _same_endpoint(target, redirect_uri):
                return response
            request = HttpRequest("GET", target)
            continue
        form = _page_form(request.url, response)
        if form.asks_password:
            if signed_in:
                raise LoginStopped("the login form came back after signing in: wrong username "
                                   "or password?")
            form, signed_in = form.filled(username, password), True
        request = form.request()
    raise LoginStopped(f"no redirect back to {redirect_uri} within {MAX_FORM_HOPS} hops")


def _page_form(url: str, response: HttpResponse) -> Form:
    where = f"{urlunsplit(urlsplit(url)._replace(query='', fragment=''))} answered HTTP " \
            f"{response.status}"
    if "html" not in (response.header("Content-Type") or ""):
        raise LoginStopped(f"{where}, neither a redirect nor an HTML page: "
                           f"{_server_words(response)}")
    form = parse_form(response.body, url)
    if form is None:
        raise LoginStopped(f"{where}, an HTML page with no form to fill")
    return form


def _same_endpoint(url: str, redirect_uri: str) -> bool:
    """True when `url` goes to the redirect URI: same scheme, host, port and path."""
    def endpoint(value: str) -> tuple:
        parts = urlsplit(value)
        return parts.scheme, parts.hostname, parts.port, parts.path
    return endpoint(url) == endpoint(redirect_uri)
