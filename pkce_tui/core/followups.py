"""Follow-ups after the tokens: introspection (RFC 7662), revocation (RFC 7009) and
RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

Requests are built and answers judged as values; nothing here sends. The token request's
client authentication is reused, since both RFC 7662 §2.1 and RFC 7009 §2.1 ask for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from pkce_tui.core import urls
from pkce_tui.core.http import HttpRequest, HttpResponse
from pkce_tui.core.token import ClientAuth, form_request

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


def introspection_request(endpoint: str, auth: ClientAuth, token: str,
                          hint: str | None = "access_token") -> HttpRequest:
    """The introspection request (RFC 7662 §2.1): the token, a type hint, client auth."""
    fields: tuple[tuple[str, str], ...] = (("token", token),)
    if hint:
        fields += (("token_type_hint", hint),)
    return form_request(endpoint, "introspection endpoint", auth, fields)


@dataclass(frozen=True)
class Introspection:
    """An introspection answer (RFC 7662 §2.2): `active` and the token's claims, or why not."""

    active: bool | None
    claims: dict
    error: str | None


def parse_introspection(response: HttpResponse) -> Introspection:
    """`active` must be a JSON boolean (RFC 7662 §2.2); anything else is a failed answer."""
    body = response.json()
    if response.status != 200 or body is None:
        said = body.get("error") if body else None
        why = f"HTTP {response.status}" + (f": {said}" if said else "")
        if body and body.get("error_description"):
            why += f" ({body['error_description']})"
        return Introspection(None, body or {}, why)
    active = body.get("active")
    if not isinstance(active, bool):
        return Introspection(None, body, "the answer has no boolean `active` (RFC 7662 §2.2)")
    return Introspection(active, body, None)


def revocation_verdict(response: HttpResponse) -> str | None:
    """None when the server accepted the revocation (RFC 7009 §2.2: HTTP 200, any body,
    also for a token it did not know), else one line saying why not (§2.2.1)."""
    if response.status == 200:
        return None
    body = response.json() or {}
    said = body.get("error")
    why = f"HTTP {response.status}" + (f": {said}" if said else "")
    if body.get("error_description"):
        why += f" ({body['error_description']})"
    return why


def logout_request(endpoint: str, *, id_token_hint: str | None, client_id: str | None,
                   post_logout_redirect_uri: str | None, state: str | None) -> HttpRequest:
    """The RP-initiated logout request (RP-Initiated Logout 1.0 §2): a GET the browser makes
    to the end-session endpoint; `state` is sent only with a post-logout redirect URI."""
    params = [("id_token_hint", id_token_hint), ("client_id", client_id),
              ("post_logout_redirect_uri", post_logout_redirect_uri),
              ("state", state if post_logout_redirect_uri else None)]
    query = urlencode([(name, value) for name, value in params if value])
    separator = "&" if urls.parts(endpoint).query else "?"
    return HttpRequest("GET", f"{endpoint}{separator}{query}" if query else endpoint,
                       headers=(("Accept", "text/html,application/json"),))


@dataclass(frozen=True)
class LogoutOutcome:
    """Where a logout answer leaves the browser: `status` ok / warning / error, and why."""

    status: str
    summary: str
    location: str | None = None


def judge_logout(response: HttpResponse, url: str, post_logout_redirect_uri: str | None,
                 state: str | None) -> LogoutOutcome:
    """Read an end-session answer: a redirect back to the post-logout URI with our `state`
    (RP-Initiated Logout §3) is success; a redirect elsewhere, or a page, is what the provider
    shows the user; a 4xx or 5xx, or a wrong `state`, is a failure."""
    location = response.header("Location")
    if response.status in REDIRECT_STATUSES and location:
        target = urls.join(url, location)
        if target is None:
            return LogoutOutcome("error", f"the provider redirected to {location!r}, not a "
                                 "valid URL")
        return _judge_redirect(target, post_logout_redirect_uri, state)
    if response.status >= 400:
        return LogoutOutcome("error", f"HTTP {response.status}: the provider refused the logout")
    if post_logout_redirect_uri:
        return LogoutOutcome("warning", f"HTTP {response.status}: the provider shows a page "
                             "instead of returning to the post-logout redirect URI (it may "
                             "ask the user to confirm)")
    return LogoutOutcome("ok", f"HTTP {response.status}: the provider's signed-out page")


def _judge_redirect(target: str, expected: str | None, state: str | None) -> LogoutOutcome:
    params = dict(parse_qsl(urls.parts(target).query))
    if expected and urls.same_endpoint(target, expected):
        if "error" in params:
            return LogoutOutcome("error", f"{params['error']}: "
                                 f"{params.get('error_description', 'no description')}", target)
        if state and params.get("state") != state:
            return LogoutOutcome("error", "the state that came back is not the one sent",
                                 target)
        return LogoutOutcome("ok", "signed out; back at the post-logout redirect URI", target)
    if expected:
        return LogoutOutcome("warning", f"signed out, but sent to {target}, not to the "
                             "post-logout redirect URI", target)
    return LogoutOutcome("ok", f"signed out; the provider sends the browser to {target}", target)

