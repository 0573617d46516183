"""Helpers for the sandbox tests: a running sandbox, authorize requests, logins per dialect.

Each dialect's login is driven the way a client would: the HTML form filled from its parsed
markup (cloudentity, generic), or the API-driven logins of `pkce_tui.core.login`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

import html5lib
import httpx

from pkce_tui.core.flow import FlowConfig
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.login import cyberark_login, pingone_login
from pkce_tui.core.pkce import generate_verifier, make_challenge
from pkce_tui.core.profiles import sandbox_coordinates
from pkce_tui.core.redirect import parse_http_response
from pkce_tui.sandbox import Sandbox
from pkce_tui.sandbox.dialects import DIALECTS

REDIRECT_URI = "http://127.0.0.1:8765/callback"
DIALECT_NAMES = tuple(DIALECTS)
SECRETS = {"demo-public": None, "demo-confidential": "demo-secret", "demo-post": "demo-secret"}


def dialect_target(dialect: str, base: str) -> dict[str, str]:
    """Where `dialect` lives in the sandbox at `base`, in that dialect's own settings: the issuer
    for generic, the tenant coordinates the issuer is derived from for the others."""
    coordinates = sandbox_coordinates(dialect, base)
    if dialect != "generic":
        coordinates.pop("issuer")
    return coordinates


def sandbox_flow_config(sandbox: Sandbox, dialect: str, **settings) -> FlowConfig:
    """A flow against `sandbox`'s `dialect` where alice logs in by API; `settings` add or
    override any field."""
    values = dict(dialect=dialect, username="alice", password="pass", login="api", timeout=5,
                  **dialect_target(dialect, sandbox.base_url))
    return FlowConfig(**{**values, **settings})


def endpoint(sandbox: Sandbox, dialect: str, name: str) -> str:
    return sandbox.base_url + DIALECTS[dialect].path(name)


@dataclass(frozen=True)
class Authorization:
    """An authorization request's parameters and the verifier behind its challenge."""

    params: dict[str, str]
    verifier: str

    def url(self, sandbox: Sandbox, dialect: str) -> str:
        return endpoint(sandbox, dialect, "authorization_endpoint") + "?" + urlencode(self.params)


def authorization(client_id: str = "demo-public", method: str | None = "S256",
                  **overrides: str | None) -> Authorization:
    """A code-flow request with PKCE (RFC 7636 §4.3); overrides of None drop a parameter."""
    verifier = generate_verifier()
    params = {"client_id": client_id, "redirect_uri": REDIRECT_URI, "response_type": "code",
              "scope": "openid profile email", "state": "state-123", "nonce": "nonce-456"}
    if method is not None:
        params["code_challenge"] = make_challenge(verifier, method).code_challenge
        params["code_challenge_method"] = method
    params.update(overrides)
    return Authorization({k: v for k, v in params.items() if v is not None}, verifier)


def form_fields(html: str) -> tuple[str, dict[str, str]]:
    """The first form's action and its inputs' names and values, read from parsed HTML."""
    document = html5lib.parse(html, namespaceHTMLElements=False)
    form = document.find(".//form")
    assert form is not None, "the page has no form"
    assert form.get("method", "").lower() == "post"
    fields = {field.get("name"): field.get("value", "") for field in form.iter("input")}
    return form.get("action", ""), fields


async def fill_login_form(client: httpx.AsyncClient, page: httpx.Response,
                          username: str = "alice", password: str = "pass") -> httpx.Response:
    """Submit the page's login form as a browser would."""
    action, fields = form_fields(page.text)
    fields.update(username=username, password=password)
    return await client.post(urljoin(str(page.url), action), data=fields)


async def authorization_response(client: httpx.AsyncClient, sandbox: Sandbox, dialect: str,
                                 request: Authorization) -> HttpResponse:
    """The response that carries the code back to the client, after logging in as alice."""
    url = request.url(sandbox, dialect)
    if dialect == "cyberark":
        result = await cyberark_login(client, tenant_url=sandbox.base_url + "/cyberark",
                                      authorize_url=url, username="alice", password="pass")
    elif dialect == "pingone":
        result = await pingone_login(client, authorize_url=url, username="alice",
                                     password="pass")
    else:
        form_page = await client.get(url)
        answer = await fill_login_form(client, form_page)
        return HttpResponse(answer.status_code, tuple(answer.headers.multi_items()), answer.text)
    assert result.ok, result.error
    assert result.redirect is not None
    return result.redirect


async def authorization_code(client: httpx.AsyncClient, sandbox: Sandbox, dialect: str,
                             request: Authorization) -> str:
    response = await authorization_response(client, sandbox, dialect, request)
    result = parse_http_response(response, expected_state=request.params.get("state"))
    assert result.kind == "code", result
    return result.code


async def token_request(client: httpx.AsyncClient, sandbox: Sandbox, dialect: str,
                        form: dict[str, str], client_id: str = "demo-public",
                        auth_method: str | None = None) -> httpx.Response:
    """POST to the token endpoint, authenticating as `client_id` by its registered method."""
    secret = SECRETS[client_id]
    method = auth_method or {"demo-public": "none", "demo-confidential": "client_secret_basic",
                             "demo-post": "client_secret_post"}[client_id]
    body, auth = {**form}, None
    if method == "client_secret_basic":
        auth = httpx.BasicAuth(client_id, secret or "")
    else:
        body["client_id"] = client_id
    if method == "client_secret_post":
        body["client_secret"] = secret or ""
    return await client.post(endpoint(sandbox, dialect, "token_endpoint"), data=body, auth=auth)


async def exchange_code(client: httpx.AsyncClient, sandbox: Sandbox, dialect: str, code: str,
                        request: Authorization, **form: str) -> httpx.Response:
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if "code_challenge" in request.params:
        body["code_verifier"] = request.verifier
    body.update(form)
    return await token_request(client, sandbox, dialect, body, request.params["client_id"])


async def tokens(client: httpx.AsyncClient, sandbox: Sandbox, dialect: str,
                 request: Authorization) -> dict:
    """Log in, exchange the code, and return the token response body."""
    code = await authorization_code(client, sandbox, dialect, request)
    response = await exchange_code(client, sandbox, dialect, code, request)
    assert response.status_code == 200, response.text
    return response.json()
