"""API-driven logins: a username and password instead of a person at a browser.

CyberArk (Security Start/AdvanceAuthentication, then authorize with the session) and PingOne
(the flows API, then resume) each end in the authorization response that carries the code;
any provider with a plain HTML login page (the sandbox's generic and Cloudentity dialects,
CyberArk's /login page) can be walked through as a browser would (`form_login`).
Every hop is sent through `client.send` and recorded; redirects are never followed for us.
Cookies are kept in a jar that gives each back only where its server scoped it (RFC 6265), and
are added to each request by hand so the recorded request shows what it sent.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy, eff_request_host
from urllib.parse import parse_qs, urlunsplit

import httpx

from pkce_tui.core import urls
from pkce_tui.core.client import send
from pkce_tui.core.errors import NetworkError
from pkce_tui.core.htmlform import Form, parse_form
from pkce_tui.core.http import Exchange, HttpRequest, HttpResponse
from pkce_tui.core.server_says import from_html, from_response

NATIVE_CLIENT = ("X-IDAP-NATIVE-CLIENT", "true")
PINGONE_CHECK_TYPE = "application/vnd.pingidentity.usernamePassword.check+json"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_LEVELS = 5
MAX_MESSAGE_CHARS = 200


@dataclass(frozen=True)
class LoginResult:
    """How a login ended: the response carrying the code, every exchange, or why it stopped."""

    ok: bool
    redirect: HttpResponse | None
    exchanges: tuple[Exchange, ...]
    error: str | None


class LoginStopped(Exception):
    """A login cannot go on; the message is the one line for `LoginResult.error`."""


class _CookiePolicy(DefaultCookiePolicy):
    """The standard library's cookie rules (domain, path, Secure, expiry), plus RFC 6265 §5.3
    step 6: a cookie set without a Domain attribute goes back to the very host that set it, not
    to that host's subdomains."""

    def return_ok_domain(self, cookie: Cookie, request: object) -> bool:
        if not cookie.domain_specified and cookie.domain != eff_request_host(request)[1]:
            return False
        return super().return_ok_domain(cookie, request)


def _new_jar() -> httpx.Cookies:
    return httpx.Cookies(CookieJar(_CookiePolicy()))


@dataclass
class _Session:
    """Sends a login's requests, records each exchange, and keeps the cookies they set."""

    client: httpx.AsyncClient
    exchanges: list[Exchange] = field(default_factory=list)
    cookies: httpx.Cookies = field(default_factory=_new_jar)

    async def send(self, request: HttpRequest, label: str) -> HttpResponse:
        request = self._with_cookies(request)
        try:
            response = await send(self.client, request)
        except NetworkError as exc:
            self.exchanges.append(Exchange(request, error=str(exc), labels=(label,)))
            raise LoginStopped(str(exc)) from exc
        self.exchanges.append(Exchange(request, response, labels=(label,)))
        self._keep_cookies(request.url, response)
        return response

    def sends_cookie(self, url: str, name: str) -> bool:
        """True when a request to `url` would carry the cookie `name`."""
        pairs = (self._cookie_header(url) or "").split("; ")
        return any(pair.split("=", 1)[0] == name for pair in pairs)

    def _with_cookies(self, request: HttpRequest) -> HttpRequest:
        header = self._cookie_header(request.url)
        if header is None:
            return request
        return replace(request, headers=request.headers + (("Cookie", header),))

    def _cookie_header(self, url: str) -> str | None:
        """The Cookie header a browser sends to `url`: only the cookies whose domain, path and
        Secure flag match it (RFC 6265 §5.4)."""
        try:
            probe = httpx.Request("GET", url)
            self.cookies.set_cookie_header(probe)
        except (httpx.InvalidURL, ValueError):
            return None  # no URL a cookie could be scoped to: `send` says what is wrong
        return probe.headers.get("Cookie")

    def _keep_cookies(self, url: str, response: HttpResponse) -> None:
        """Store the response's cookies, scoped by the URL that set them (RFC 6265 §5.3)."""
        set_cookies = [("Set-Cookie", value) for value in response.header_values("Set-Cookie")]
        if set_cookies:
            headers = httpx.Headers(set_cookies, encoding="utf-8")
            self.cookies.extract_cookies(
                httpx.Response(response.status, headers=headers, request=httpx.Request("GET", url)))

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
    for number, mechanisms in enumerate(_challenge_levels(start)[:MAX_LEVELS], start=1):
        mechanism = _password_mechanism(mechanisms, number)
        advance = await _security_call(session, f"{tenant}/Security/AdvanceAuthentication", {
            "TenantId": start.get("TenantId"), "SessionId": start.get("SessionId"),
            "MechanismId": mechanism.get("MechanismId"), "Action": "Answer", "Answer": password,
        }, "AdvanceAuthentication")
        if advance.get("Summary") == "LoginSuccess":
            return await _authorize_with_session(session, authorize_url, advance.get("Token"))
        if advance.get("Summary") != "StartNextChallenge":
            raise LoginStopped(f"CyberArk answered the password with Summary "
                               f"{_shown(advance.get('Summary'))}, not LoginSuccess")
    raise LoginStopped("CyberArk never answered LoginSuccess, so there is no session")


async def _security_call(session: _Session, url: str, body: dict, label: str) -> dict:
    """A /Security JSON call's Result; CyberArk reports failure as HTTP 200 with
    `success: false`."""
    response = await session.send(HttpRequest("POST", url, (NATIVE_CLIENT,), json_body=body),
                                  label)
    data = response.json()
    if data is None:
        raise LoginStopped(f"CyberArk {label} answered HTTP {response.status} without a "
                           "JSON object")
    if data.get("success") is not True:
        message = _one_line(data.get("Message") or "no message")
        raise LoginStopped(f"CyberArk {label} refused the login: {message}")
    return _object(data.get("Result"), f"CyberArk {label}: Result", required=True)


def _challenge_levels(start: dict) -> list[list[dict]]:
    """StartAuthentication's challenge levels, each the list of mechanisms it offers."""
    where = "CyberArk StartAuthentication: Challenges"
    return [_objects(level.get("Mechanisms"), f"{where}[{number}].Mechanisms")
            for number, level in enumerate(_objects(start.get("Challenges"), where))]


def _password_mechanism(mechanisms: list[dict], level: int) -> dict:
    """The level's "UP" mechanism; a level without one needs a person."""
    for mechanism in mechanisms:
        if mechanism.get("Name") == "UP":
            return mechanism
    offered = " or ".join(_shown(m.get("Name")) for m in mechanisms) or "none"
    what = "a second factor" if level > 1 else "a factor other than a password"
    raise LoginStopped(f"CyberArk asks for {what} (mechanism {offered}) at challenge level "
                       f"{level}, which needs a person: use the browser")


async def _authorize_with_session(session: _Session, authorize_url: str,
                                  token: object) -> HttpResponse:
    """Authorize with the `.ASPXAUTH` cookie the login set, or the bearer Token without one."""
    if session.sends_cookie(authorize_url, ".ASPXAUTH"):
        headers: tuple[tuple[str, str], ...] = ()
    elif isinstance(token, str) and token:
        headers = (("Authorization", f"Bearer {token}"),)
    else:
        raise LoginStopped("CyberArk AdvanceAuthentication: LoginSuccess without a Token or an "
                           ".ASPXAUTH cookie for the authorize URL")
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
        raise LoginStopped(f"PingOne's flow is in status {_shown(flow.get('status'))}, which "
                           "needs a person: use the browser")
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
    params = parse_qs(urls.parts(location).query)
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
    flow_id = parse_qs(urls.parts(location).query).get("flowId", [None])[0]
    if not flow_id:
        raise LoginStopped(f"PingOne's authorize redirect has no flowId: {location}")
    flow = await session.send(HttpRequest("GET", _flows_url(authorize_url, flow_id)), "flow")
    return _flow_json(flow)


def _flows_url(authorize_url: str, flow_id: str) -> str:
    """`{authPath}/{env}/as/authorize` -> `{authPath}/{env}/flows/{flowId}`."""
    parts = urls.parts(authorize_url)
    if not parts.path.endswith("/as/authorize"):
        raise LoginStopped("cannot find PingOne's flows API: the authorize URL does not end "
                           "in /as/authorize")
    path = parts.path.removesuffix("/as/authorize") + f"/flows/{flow_id}"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


async def _check_password(session: _Session, flow: dict, username: str,
                          password: str) -> dict:
    """POST the usernamePassword.check action the flow links to (its `_links`, HAL style)."""
    links = _object(flow.get("_links"), "PingOne's flow: _links")
    link = _object(links.get("usernamePassword.check"),
                   "PingOne's flow: _links.usernamePassword.check")
    href = link.get("href")
    if not isinstance(href, str):
        raise LoginStopped("PingOne's flow offers no usernamePassword.check action")
    request = HttpRequest("POST", href, (("Content-Type", PINGONE_CHECK_TYPE),),
                          json_body={"username": username, "password": password})
    return _flow_json(await session.send(request, "usernamePassword.check"))


def _flow_json(response: HttpResponse) -> dict:
    data = response.json()
    if response.status != 200 or data is None:
        raise LoginStopped(f"PingOne's flows API answered HTTP {response.status}: "
                           f"{_server_words(response)}")
    return data


def _server_words(response: HttpResponse) -> str:
    """The most specific words of an answer, on one line (`core/server_says.py`): PingOne's
    detail messages, Cloudentity's hint, CyberArk's Message, an error page's text."""
    words = from_response(response)
    if words is not None:
        return _one_line(words.summary())
    return _one_line(response.body or "no body")


# --- Shapes of server JSON -----------------------------------------------------------------


def _object(value: object, what: str, *, required: bool = False) -> dict:
    """`value` when it is a JSON object, {} when absent (unless `required`); any other shape
    stops the login, naming `what` was wrong."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise LoginStopped(f"{what} is {'missing' if value is None else 'not an object'}")
    return value


def _objects(value: object, what: str) -> list[dict]:
    """`value` when it is a JSON array of objects; anything else stops the login."""
    if value is None:
        raise LoginStopped(f"{what} is missing")
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise LoginStopped(f"{what} is not a list of objects")
    return value


def _shown(value: object) -> str:
    """A value from a server, quoted as Python shows it, on one short line."""
    return _one_line(repr(value))


def _one_line(text: object) -> str:
    """A server's words on one line of at most MAX_MESSAGE_CHARS: the error is one line."""
    words = " ".join(str(text).split())
    return words if len(words) <= MAX_MESSAGE_CHARS else words[:MAX_MESSAGE_CHARS - 1] + "…"


# --- HTML login forms ----------------------------------------------------------------------

MAX_FORM_HOPS = 12


async def form_login(client: httpx.AsyncClient, *, authorize_url: str, redirect_uri: str,
                     username: str, password: str,
                     allow_cross_origin: bool = False) -> LoginResult:
    """Log in through the provider's HTML login page, as a browser would without scripts.

    Redirects are followed one hop at a time, the form that asks for a password is filled,
    other forms (consent) are submitted as the page set them, and the walk stops at the answer
    that redirects back to `redirect_uri`: that answer carries the code (RFC 6749 §4.1.2).
    The password goes only to the origin the login started from, and over plain http only to
    a loopback host, unless `allow_cross_origin` (DESIGN.md §7): a page may name any action.
    """
    session = _Session(client)
    return await _run(session, _walk_to_client(session, authorize_url, redirect_uri, username,
                                                password, allow_cross_origin))


#: How to send the password anyway, on the command line and in the TUI's profile form.
ALLOW_HOW = (" (--allow-cross-origin-login, or the profile's \"cross-origin login\" switch "
             "(F6), sends it anyway)")


def password_destination_problem(action: str, authorize_url: str) -> str | None:
    """Why a password must not be posted to `action`, or None: another origin than the
    login's (RFC 6454), or plain http to a host that is not loopback (RFC 8252 §8.3)."""
    target = urls.origin(action)
    if target is None:
        return f"the login form posts to {action!r}, not a valid URL"
    if target != urls.origin(authorize_url):
        return (f"the login form would send the password to {target[0]}://{target[1]}, another "
                "origin than the authorize URL's" + ALLOW_HOW)
    if target[0] != "https" and not _is_loopback(target[1]):
        return (f"the login form would send the password over plain {target[0]} to {target[1]} "
                + ALLOW_HOW.lstrip())
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _walk_to_client(session: _Session, authorize_url: str, redirect_uri: str,
                          username: str, password: str,
                          allow_cross_origin: bool) -> HttpResponse:
    request, signed_in = HttpRequest("GET", authorize_url), False
    for hop in range(MAX_FORM_HOPS):
        response = await session.send(request, f"hop {hop + 1}")
        location = response.header("Location")
        if response.status in REDIRECT_STATUSES and location:
            target = urls.join(request.url, location)
            if target is None:
                raise LoginStopped(f"the server redirected to {location!r}, not a valid URL")
            if urls.same_endpoint(target, redirect_uri):
                return response
            request = HttpRequest("GET", target)
            continue
        form = _page_form(request.url, response)
        if form.asks_password:
            if signed_in:
                raise LoginStopped("the login form came back after signing in: wrong username "
                                   "or password?")
            problem = password_destination_problem(form.action, authorize_url)
            if problem and not allow_cross_origin:
                raise LoginStopped(problem)
            form, signed_in = form.filled(username, password), True
        request = form.request()
    raise LoginStopped(f"no redirect back to {redirect_uri} within {MAX_FORM_HOPS} hops")


def _page_form(url: str, response: HttpResponse) -> Form:
    where = f"{urlunsplit(urls.parts(url)._replace(query='', fragment=''))} answered HTTP " \
            f"{response.status}"
    if "html" not in (response.header("Content-Type") or ""):
        raise LoginStopped(f"{where}, neither a redirect nor an HTML page: "
                           f"{_server_words(response)}")
    form = parse_form(response.body, url)
    if form is None and response.status >= 400:
        raise LoginStopped(f"{where}, an error page: {_server_words(response)}")
    if form is None:  # some servers show their error page with HTTP 200
        raise LoginStopped(f"{where}, an HTML page with no form to fill: "
                           f"{_one_line(from_html(response.body).summary())}")
    return form

