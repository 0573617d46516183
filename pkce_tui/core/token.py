"""Token endpoint requests (code exchange, refresh, revocation), follow-ups, and their answers.

Every function here builds an `HttpRequest` or reads an `HttpResponse`; nothing sends. The
token response is judged the way a careful client would judge it, so a support engineer sees
both the fatal fault and the small oddities a lenient client would let through.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import quote_plus, urlsplit

from pkce_tui.core.errors import InputError
from pkce_tui.core.http import Headers, HttpRequest, HttpResponse

AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post", "private_key_jwt")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # RFC 7523 §2.2
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
Form = tuple[tuple[str, str], ...]
ACCEPT_JSON = ("Accept", "application/json")


@dataclass(frozen=True)
class ClientAuth:
    """How the client authenticates at the token endpoint (RFC 6749 §2.3).

    `none` is a public client that only names itself (RFC 6749 §3.2.1); the two secret methods
    carry the client secret in a Basic header or in the form body (RFC 6749 §2.3.1);
    `private_key_jwt` carries a JWT the client signed (RFC 7523 §2.2, OIDC Core §9).
    """

    client_id: str
    method: str = "none"
    secret: str | None = None
    assertion: str | None = None  # private_key_jwt: the signed JWT (RFC 7523 §2.2)

    def __post_init__(self) -> None:
        if self.method not in AUTH_METHODS:
            raise InputError(
                f"unknown client auth method {self.method!r}: use {', '.join(AUTH_METHODS)}"
            )
        if self.method in SECRET_METHODS and not self.secret:
            raise InputError(f"client auth method {self.method} needs a client secret")
        if self.method == "private_key_jwt" and not self.assertion:
            raise InputError("client auth method private_key_jwt needs a signed assertion "
                             "(--client-key FILE)")


def basic_credentials(client_id: str, secret: str) -> str:
    """The Basic header value: id and secret form-urlencoded, then base64 (RFC 6749 §2.3.1).

    Encoding first is what the RFC asks and what lets a secret with `:` or `%` survive.
    """
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def client_auth_parts(auth: ClientAuth) -> tuple[Headers, Form]:
    """The headers and form fields that authenticate `auth` (RFC 6749 §2.3.1, §3.2.1)."""
    if auth.method == "client_secret_basic":
        return (("Authorization", basic_credentials(auth.client_id, auth.secret or "")),), ()
    if auth.method == "client_secret_post":
        return (), (("client_id", auth.client_id), ("client_secret", auth.secret or ""))
    if auth.method == "private_key_jwt":
        return (), (("client_id", auth.client_id), ("client_assertion_type", ASSERTION_TYPE),
                    ("client_assertion", auth.assertion or ""))
    return (), (("client_id", auth.client_id),)


def with_overrides(form: Form, extra: Form) -> Form:
    """`form` with each `extra` field replacing the field of the same name, or appended.

    Replacing (not duplicating) lets a learner send a deliberately wrong value on purpose.
    """
    names = {name for name, _ in extra}
    return tuple(field for field in form if field[0] not in names) + tuple(extra)


def _require_url(url: str, what: str) -> None:
    """Refuse an endpoint that is not an absolute http(s) URL, before anything is sent."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"{what} {url!r} is not an absolute http(s) URL")


def form_request(endpoint: str, what: str, auth: ClientAuth, fields: Form,
                  extra: Form = ()) -> HttpRequest:
    """A form POST to `endpoint` carrying `fields`, then client authentication, then `extra`."""
    _require_url(endpoint, what)
    headers, auth_fields = client_auth_parts(auth)
    return HttpRequest(
        method="POST", url=endpoint, headers=(ACCEPT_JSON, *headers),
        form=with_overrides(fields + auth_fields, extra),
    )


def authorization_code_request(token_endpoint: str, auth: ClientAuth, *, code: str,
                               redirect_uri: str | None, code_verifier: str | None,
                               extra: Form = ()) -> HttpRequest:
    """The code exchange (RFC 6749 §4.1.3) with the PKCE verifier (RFC 7636 §4.5).

    `redirect_uri` and `code_verifier` are left out when None, as a client that did not send
    them at authorize time would; `extra` fields are added last and override same-named ones.
    """
    fields: Form = (("grant_type", "authorization_code"), ("code", code))
    if redirect_uri is not None:
        fields += (("redirect_uri", redirect_uri),)
    if code_verifier is not None:
        fields += (("code_verifier", code_verifier),)
    return form_request(token_endpoint, "token endpoint", auth, fields, extra)


def refresh_request(token_endpoint: str, auth: ClientAuth, refresh_token: str,
                    scope: str | None = None) -> HttpRequest:
    """The refresh_token grant (RFC 6749 §6); `scope` narrows the grant when given."""
    fields: Form = (("grant_type", "refresh_token"), ("refresh_token", refresh_token))
    if scope is not None:
        fields += (("scope", scope),)
    return form_request(token_endpoint, "token endpoint", auth, fields)


def revocation_request(endpoint: str, auth: ClientAuth, token: str,
                       hint: str | None = None) -> HttpRequest:
    """Token revocation (RFC 7009 §2.1); `hint` is `access_token` or `refresh_token`."""
    fields: Form = (("token", token),)
    if hint is not None:
        fields += (("token_type_hint", hint),)
    return form_request(endpoint, "revocation endpoint", auth, fields)


def bearer_header(access_token: str) -> tuple[str, str]:
    """The Authorization header of RFC 6750 §2.1; a token that cannot go in a header is refused."""
    if not access_token:
        raise InputError("the access token is empty")
    if any(char.isspace() or not char.isprintable() for char in access_token):
        raise InputError("the access token contains whitespace or control characters")
    return ("Authorization", f"Bearer {access_token}")


def userinfo_request(endpoint: str, access_token: str) -> HttpRequest:
    """The OIDC UserInfo request (OIDC Core §5.3.1): GET with the Bearer access token."""
    _require_url(endpoint, "userinfo endpoint")
    return HttpRequest(
        method="GET", url=endpoint, headers=(ACCEPT_JSON, bearer_header(access_token)),
    )


def whoami_request(endpoint: str, access_token: str) -> HttpRequest:
    """CyberArk's `POST /Security/Whoami` with the Bearer token and the empty JSON body it wants."""
    _require_url(endpoint, "whoami endpoint")
    return HttpRequest(
        method="POST", url=endpoint, headers=(ACCEPT_JSON, bearer_header(access_token)),
        json_body={},
    )


@dataclass(frozen=True)
class TokenResponse:
    """A token endpoint answer (RFC 6749 §5.1 success, §5.2 error) and what is wrong with it.

    `ok` is True exactly when `error` is None: a 2xx JSON object with a Bearer access token.
    `problems` are oddities a lenient client would accept; they never make `ok` False.
    """

    http: HttpResponse
    ok: bool
    tokens: dict
    error: str | None
    error_description: str | None
    problems: tuple[str, ...]
    dpop_key: object = None  # the flow's DPoP key when the tokens were asked for with one



def parse_token_response(response: HttpResponse, *, dpop: bool = False) -> TokenResponse:
    """Judge a token, refresh or similar grant response, keeping the raw answer beside it;
    `dpop`: the request carried a DPoP proof, so token_type DPoP is right (RFC 9449 §5)."""
    tokens = response.json() or {}
    error, description = _fault(response, tokens, dpop)
    return TokenResponse(
        http=response, ok=error is None, tokens=tokens, error=error,
        error_description=description, problems=tuple(_problems(response, tokens)),
    )


def _fault(response: HttpResponse, tokens: dict,
           dpop: bool = False) -> tuple[str | None, str | None]:
    """The OAuth error (RFC 6749 §5.2), else one line saying why this is not a token response."""
    status = response.status
    if "error" in tokens:
        return str(tokens["error"]), _optional_text(tokens.get("error_description"))
    if status >= 500:
        return f"the server failed: HTTP {status}", _optional_text(tokens.get("message"))
    if 300 <= status < 400:
        location = response.header("location") or "nowhere"
        return f"HTTP {status} redirect to {location}, not a token response", None
    if response.json() is None:
        return f"HTTP {status} with a body that is not a JSON object", None
    if not 200 <= status < 300:
        return f"HTTP {status} without an OAuth error code", _optional_text(tokens.get("message"))
    return _success_fault(tokens, dpop), None


def _success_fault(tokens: dict, dpop: bool = False) -> str | None:
    """Why a 2xx JSON answer gives no usable token: access_token missing, or not a Bearer token."""
    access_token = tokens.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        return "the response has no access_token string"
    token_type = tokens.get("token_type", "Bearer")
    accepted = ("bearer", "dpop") if dpop else ("bearer",)
    if not isinstance(token_type, str) or token_type.lower() not in accepted:
        return f"token_type is {token_type!r}, not Bearer (RFC 6750)" + (
            " or DPoP (RFC 9449 §5)" if dpop else "")
    return None


def _optional_text(value: object) -> str | None:
    """A JSON value as text for display; servers sometimes send numbers or objects."""
    return None if value is None else str(value)


def _problems(response: HttpResponse, tokens: dict) -> list[str]:
    """Non-fatal oddities: headers RFC 6749 §5.1 asks for, and loosely typed fields."""
    problems = _header_problems(response, tokens)
    if "error" in tokens and 200 <= response.status < 300:
        problems.append(
            f"an error came with HTTP {response.status}; RFC 6749 §5.2 says 400 "
            "(401 for invalid_client)"
        )
    if isinstance(tokens.get("access_token"), str) and "error" not in tokens:
        problems += _token_type_problems(tokens.get("token_type"))
        problems += _expires_in_problems(tokens.get("expires_in"))
    for name in ("refresh_token", "id_token", "scope"):
        if name in tokens and not isinstance(tokens[name], str):
            problems.append(f"{name} is a {type(tokens[name]).__name__}, not a string")
    return problems


def _header_problems(response: HttpResponse, tokens: dict) -> list[str]:
    """JSON must be labelled as such; tokens must not be cached (RFC 6749 §5.1)."""
    problems = []
    content_type = response.header("content-type") or ""
    if tokens and "application/json" not in content_type.lower():
        problems.append(f"Content-Type is {content_type!r}, not application/json")
    cache_control = response.header("cache-control") or ""
    if "access_token" in tokens and "no-store" not in cache_control.lower():
        problems.append("Cache-Control: no-store is missing (RFC 6749 §5.1)")
    return problems


def _token_type_problems(token_type: object) -> list[str]:
    if token_type is None:
        return ["token_type is missing; RFC 6749 §5.1 requires it"]
    if token_type != "Bearer" and str(token_type).lower() == "bearer":
        return [
            f"token_type is {token_type!r}: allowed (case-insensitive, RFC 6749 §5.1), "
            "but strict clients expect 'Bearer'"
        ]
    return []


def _expires_in_problems(expires_in: object) -> list[str]:
    """expires_in is RECOMMENDED and a number of seconds (RFC 6749 §5.1)."""
    if expires_in is None:
        return ["expires_in is missing; the client cannot tell when the token expires"]
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        return [f"expires_in is {expires_in!r}, not a number of seconds"]
    if expires_in <= 0:
        return [f"expires_in is {expires_in}: the token is already expired"]
    return []
