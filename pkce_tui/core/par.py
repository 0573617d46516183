"""Pushed authorization requests (RFC 9126): the request posted to the server first, then an
authorization URL that carries only `client_id` and the `request_uri` it was given.

Values in, values out: building the push, reading the answer, and the request the browser
then opens. Sending is `client.send`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

from pkce_tui.core.authorize import AuthorizeRequest
from pkce_tui.core.http import HttpRequest, HttpResponse
from pkce_tui.core.token import ClientAuth, form_request


@dataclass(frozen=True)
class PushedAuthorizeRequest(AuthorizeRequest):
    """An authorization request already pushed: every parameter is known (state, nonce,
    redirect_uri for the later checks), but the URL carries only `client_id` and
    `request_uri` (RFC 9126 §4)."""

    request_uri: str = ""
    expires_in: int | None = None

    def pushed_params(self) -> list[tuple[str, str]]:
        """The parameters that were pushed (RFC 9126 §2.1)."""
        return super().params()

    def params(self) -> list[tuple[str, str]]:
        return [("client_id", self.client_id), ("request_uri", self.request_uri)]


def par_request(endpoint: str, auth: ClientAuth, request: AuthorizeRequest) -> HttpRequest:
    """The push (RFC 9126 §2.1): the authorization request's parameters as a form, with the
    client authenticated as at the token endpoint. `client_id` is sent once: in the form for
    Basic (§2.1 keeps it a request parameter), else as client authentication adds it."""
    fields = tuple((name, value) for name, value in request.params() if name != "client_id")
    if auth.method == "client_secret_basic":
        fields = (("client_id", auth.client_id), *fields)
    return form_request(endpoint, "pushed authorization request endpoint", auth, fields)


@dataclass(frozen=True)
class ParAnswer:
    """The PAR endpoint's answer (RFC 9126 §2.2, §2.3): a request_uri, or why not."""

    request_uri: str | None
    expires_in: int | None
    error: str | None
    problems: tuple[str, ...] = ()


def parse_par_response(response: HttpResponse) -> ParAnswer:
    """201 with `request_uri` and `expires_in` (§2.2); an OAuth error otherwise (§2.3)."""
    body = response.json() or {}
    if "error" in body or not 200 <= response.status < 300:
        said = str(body.get("error") or f"HTTP {response.status}")
        if body.get("error_description"):
            said += f": {body['error_description']}"
        return ParAnswer(None, None, said)
    request_uri, expires_in = body.get("request_uri"), body.get("expires_in")
    if not isinstance(request_uri, str) or not request_uri:
        return ParAnswer(None, None, "the answer has no request_uri (RFC 9126 §2.2)")
    problems = []
    if response.status != 201:
        problems.append(f"HTTP {response.status}; RFC 9126 §2.2 says 201 Created")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        problems.append(f"expires_in is {expires_in!r}, not a number of seconds")
        expires_in = None
    return ParAnswer(request_uri, expires_in, None, tuple(problems))
