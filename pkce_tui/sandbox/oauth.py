"""The authorization server's protocol rules, shared by every dialect (RFC 6749, 7636, 7009).

Functions take parsed parameters and return values or raise `OAuthError`; the dialects' routes
turn both into their provider's HTTP shapes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Mapping
from urllib.parse import unquote

from pkce_tui.core.errors import InputError
from pkce_tui.core.pkce import make_challenge
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.directory import Client, clients_for, redirect_uri_allowed
from pkce_tui.sandbox.faults import parse_delay, parse_faults
from pkce_tui.sandbox.store import Grant

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # RFC 7523 §2.2
SUPPORTED_SCOPES = ("openid", "profile", "email", "offline_access")
#: RFC 7636 §4.2: code_challenge = 43*128unreserved
CHALLENGE_PATTERN = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


class OAuthError(Exception):
    """An OAuth error (RFC 6749 §4.1.2.1, §5.2); `redirect` False when the client is unproven."""

    def __init__(self, error: str, description: str, *, status: int = 400,
                 cause: str | None = None, redirect: bool = True, target: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(description)
        self.headers = headers or {}
        self.error = error
        self.description = description
        self.status = status
        self.cause = cause
        self.redirect = redirect
        self.target = target


def authorize_request(ctx: SandboxContext, dialect: Dialect, params: Mapping[str, str]) -> Grant:
    """Check an authorization request (RFC 6749 §4.1.1) and return it as a pending grant.

    An unknown client or unregistered redirect_uri is never redirected to (§4.1.2.1); every
    other error is, and carries the request's `state`.
    """
    client = _authorize_client(dialect, params)
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri_allowed(redirect_uri):
        raise OAuthError("invalid_request", f"redirect_uri {redirect_uri!r} is not registered "
                         "for this client", redirect=False, cause="invalid_redirect_uri",
                         target="redirect_uri")
    response_type = params.get("response_type")
    if not response_type:
        raise OAuthError("invalid_request", "response_type is missing (RFC 6749 §4.1.1)")
    if response_type != "code":
        raise OAuthError("unsupported_response_type", "response_type must be 'code'")
    method, challenge = _pkce_parameters(dialect, client, params)
    return Grant(
        dialect=dialect.name, client_id=client.client_id, redirect_uri=redirect_uri,
        scope=_scope(params.get("scope")), state=params.get("state"), nonce=params.get("nonce"),
        code_challenge=challenge, code_challenge_method=method,
        faults=_faults(params), delay=_delay(params), response_mode=params.get("response_mode"),
    )


def _authorize_client(dialect: Dialect, params: Mapping[str, str]) -> Client:
    client_id = params.get("client_id")
    if not client_id:
        raise OAuthError("invalid_request", "client_id is missing", redirect=False,
                         target="client_id")
    client = clients_for(dialect.name).get(client_id)
    if client is None:
        raise OAuthError("invalid_client", f"unknown client_id {client_id!r}", redirect=False,
                         target="client_id")
    return client


def _scope(requested: str | None) -> str:
    """The requested scopes, or `openid` when none were asked for (RFC 6749 §3.3)."""
    scopes = (requested or "openid").split()
    unknown = [scope for scope in scopes if scope not in SUPPORTED_SCOPES]
    if unknown:
        raise OAuthError("invalid_scope", f"scope {' '.join(unknown)!r} is not allowed; "
                         f"supported: {' '.join(SUPPORTED_SCOPES)}")
    return " ".join(scopes)


def _pkce_parameters(dialect: Dialect, client: Client,
                     params: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The challenge method and value after the provider's and the client's PKCE policy."""
    challenge = params.get("code_challenge")
    sent_method = params.get("code_challenge_method")
    if challenge is None:
        if client.pkce_required:
            raise _pkce_error("code_challenge is required for this client (RFC 7636 §4.4.1)")
        if sent_method is not None:
            raise _pkce_error("code_challenge_method was sent without a code_challenge")
        return None, None
    method = sent_method or dialect.default_challenge_method
    if method is None:
        raise _pkce_error("code_challenge_method is required; send S256")
    if method not in dialect.pkce_methods:
        raise _pkce_error(f"code_challenge_method {method!r} is not supported; "
                          f"use {' or '.join(dialect.pkce_methods)}")
    if client.s256_required and method != "S256":
        why = ", the default when none is sent" if sent_method is None else ""
        raise _pkce_error(f"this client requires code_challenge_method=S256 (got {method}{why})")
    if not CHALLENGE_PATTERN.fullmatch(challenge):
        raise _pkce_error("code_challenge must be 43-128 characters of [A-Za-z0-9-._~]")
    return method, challenge


def _pkce_error(description: str) -> OAuthError:
    return OAuthError("invalid_request", description, cause="invalid_pkce")


def _faults(params: Mapping[str, str]) -> frozenset[str]:
    try:
        return parse_faults(params.get("sandbox_fault"))
    except InputError as exc:
        raise OAuthError("invalid_request", str(exc)) from None


def _delay(params: Mapping[str, str]) -> float:
    try:
        return parse_delay(params.get("sandbox_delay"))
    except InputError as exc:
        raise OAuthError("invalid_request", str(exc)) from None


def authenticate_client(dialect: Dialect, form: Mapping[str, str],
                        authorization: str | None, ctx: SandboxContext) -> Client:
    """The client of a token or revocation request, by its one configured method (RFC 6749 §2.3).

    Sending credentials by a method other than the registered one is refused, as PingOne and
    most servers do, so the learner sees which method the client was set up for.
    """
    method, client_id, secret = _presented_credentials(form, authorization)
    client = clients_for(dialect.name).get(client_id or "")
    if client is None:
        raise OAuthError("invalid_client", f"unknown client_id {client_id!r}", status=401)
    if method != client.auth_method:
        raise OAuthError("invalid_client", f"client {client.client_id} authenticates with "
                         f"{client.auth_method}, but the request used {method}", status=401,
                         cause="unsupported_auth_method")
    if method == "private_key_jwt":
        from pkce_tui.sandbox.client_jwt import verify_assertion

        verify_assertion(ctx, dialect, client.client_id, client.jwks or {"keys": []},
                         form["client_assertion"])
        return client
    if client.secret is not None and not hmac.compare_digest(client.secret.encode(),
                                                             (secret or "").encode()):
        raise OAuthError("invalid_client", "client secret is wrong", status=401,
                         cause="invalid_client_secret")
    return client


def _presented_credentials(form: Mapping[str, str],
                           authorization: str | None) -> tuple[str, str | None, str | None]:
    """(method, client_id, secret) as the request presents them; two methods at once is an error."""
    if form.get("client_assertion_type") == ASSERTION_TYPE and form.get("client_assertion"):
        from pkce_tui.sandbox.client_jwt import assertion_client_id

        if _basic_credentials(authorization) or "client_secret" in form:
            raise OAuthError("invalid_request", "the client authenticated with more than one "
                             "method (RFC 6749 §2.3)")
        return "private_key_jwt", assertion_client_id(form), None
    basic = _basic_credentials(authorization)
    if basic and "client_secret" in form:
        raise OAuthError("invalid_request", "the client authenticated with more than one "
                         "method (RFC 6749 §2.3)")
    if basic:
        if form.get("client_id") not in (None, basic[0]):
            raise OAuthError("invalid_request", "client_id in the body differs from Basic auth")
        return "client_secret_basic", basic[0], basic[1]
    if "client_secret" in form:
        return "client_secret_post", form.get("client_id"), form["client_secret"]
    if not form.get("client_id"):
        raise OAuthError("invalid_client", "no client authentication and no client_id",
                         status=401)
    return "none", form["client_id"], None


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """client_id and secret from HTTP Basic, form-urlencoded first (RFC 6749 §2.3.1)."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "the Basic authorization header is malformed",
                         status=401) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_client", "the Basic credentials have no ':'", status=401)
    return unquote(client_id), unquote(secret)


#: How each provider refuses a code_verifier that breaks RFC 7636 §4.1 (43-128 unreserved
#: characters): oidc-provider-like servers call the request malformed, the others the grant.
MALFORMED_VERIFIER_ERROR = {"generic": "invalid_request"}


def check_verifier_format(dialect: Dialect, verifier: str | None) -> None:
    """Refuse a verifier that is not 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1), as
    every real provider does, before it is compared with the challenge."""
    if verifier is None or CHALLENGE_PATTERN.fullmatch(verifier):
        return
    error = MALFORMED_VERIFIER_ERROR.get(dialect.name, "invalid_grant")
    raise OAuthError(error, f"code_verifier must be 43-128 characters of [A-Za-z0-9-._~] "
                     f"(RFC 7636 §4.1); this one has {len(verifier)}", cause="invalid_pkce")


def verify_pkce(grant: Grant, verifier: str | None) -> None:
    """Compare the verifier with the stored challenge (RFC 7636 §4.6); failure is invalid_grant."""
    if grant.code_challenge is None:
        if verifier is not None:
            raise OAuthError("invalid_grant", "code_verifier sent, but the authorization request "
                             "had no code_challenge", cause="invalid_pkce")
        return
    if verifier is None:
        raise OAuthError("invalid_grant", "code_verifier is missing; the authorization request "
                         "sent a code_challenge", cause="invalid_pkce")
    derived = make_challenge(verifier, grant.code_challenge_method or "plain").code_challenge
    if not hmac.compare_digest(derived.encode(), grant.code_challenge.encode()):
        raise OAuthError("invalid_grant", f"code_verifier does not match the code_challenge "
                         f"({grant.code_challenge_method})", cause="invalid_pkce")
