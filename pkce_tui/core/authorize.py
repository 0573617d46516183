"""The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1) <-> its URL."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pkce_tui.core.errors import InputError

#: 32 random bytes: 256 bits, well over the 128 bits RFC 6749 §10.10 asks for.
RANDOM_BYTES = 32
#: Parameters with a field of their own, in the order `params()` writes them.
NAMED_PARAMS = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method",
)
#: Parameters that must never travel in a front-channel URL (RFC 6749 §2.3.1, §4.1.1).
SECRET_PARAMS = ("client_secret", "password")


def new_state() -> str:
    """A fresh `state` value: unguessable, URL-safe, from the OS CSPRNG (RFC 6749 §10.12)."""
    return secrets.token_urlsafe(RANDOM_BYTES)


def new_nonce() -> str:
    """A fresh `nonce` value binding the ID token to this request (OIDC Core §15.5.2)."""
    return secrets.token_urlsafe(RANDOM_BYTES)


@dataclass(frozen=True)
class AuthorizeRequest:
    """Every parameter of one authorization request; `None` leaves a parameter out.

    `extra` parameters (`prompt`, `login_hint`, provider specifics) come after the named ones
    and may not repeat a named parameter: RFC 6749 §3.1 forbids a parameter twice.
    An empty `scope` is left out, since scope is optional in OAuth (RFC 6749 §3.3).
    """

    endpoint: str
    client_id: str
    redirect_uri: str
    scope: str = "openid"
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    response_type: str = "code"
    extra: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        clashes = [name for name, _ in self.extra if name in NAMED_PARAMS]
        if clashes:
            raise InputError(
                f"extra parameter {clashes[0]!r} repeats a named parameter: set the field instead"
            )

    def params(self) -> list[tuple[str, str]]:
        """The query parameters in a fixed order: the named ones, then `extra`."""
        named = [(name, getattr(self, name)) for name in NAMED_PARAMS]
        kept = [(name, value) for name, value in named if value is not None]
        kept = [(name, value) for name, value in kept if name != "scope" or value]
        return kept + list(self.extra)

    def url(self) -> str:
        """The URL to open: the endpoint's own query kept, the parameters appended.

        Values are percent-encoded per RFC 3986 §2.1: everything but unreserved characters,
        so a space is `%20` and the redirect URI's `:` and `/` are encoded too.
        """
        parts = _checked_endpoint(self.endpoint)
        encoded = urlencode(self.params(), quote_via=quote, safe="")
        query = f"{parts.query}&{encoded}" if parts.query and encoded else parts.query or encoded
        return urlunsplit(parts._replace(query=query))


def parse_authorize_url(url: str) -> AuthorizeRequest:
    """Read an authorization URL back into a request; every query parameter is kept.

    Parameters without a field of their own go to `extra` in URL order. The endpoint is the
    URL without its query.
    """
    parts = _checked_endpoint(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    _refuse_repeats(pairs)
    given = dict(pairs)
    for required in ("response_type", "client_id", "redirect_uri"):
        if required not in given:
            raise InputError(f"authorization URL has no {required} parameter (RFC 6749 §4.1.1)")
    named = {name: given[name] for name in NAMED_PARAMS if name in given}
    named.setdefault("scope", "")
    return AuthorizeRequest(
        endpoint=urlunsplit(parts._replace(query="")),
        extra=tuple((name, value) for name, value in pairs if name not in NAMED_PARAMS),
        **named,
    )


def leaked_secrets(params: Iterable[tuple[str, str]] | Mapping[str, str]) -> list[str]:
    """Names of parameters that put a secret in a front-channel URL, in order, each once.

    A URL ends up in browser history, server logs and Referer headers, so a client secret or
    password in it is leaked (RFC 6749 §2.3.1: client credentials only in the token request).
    """
    names = params.keys() if isinstance(params, Mapping) else (name for name, _ in params)
    leaked = [name for name in names if name.lower() in SECRET_PARAMS]
    return list(dict.fromkeys(leaked))


def _checked_endpoint(url: str) -> SplitResult:
    """Split `url`, refusing what cannot be an authorization endpoint (RFC 6749 §3.1)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # urlsplit checks the port only when asked
    except ValueError as exc:
        raise InputError(f"malformed authorization URL {url!r}: {exc}") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError(f"authorization URL {url!r} is not http(s)")
    if not parts.hostname:
        raise InputError(f"authorization URL {url!r} has no host")
    if parts.fragment:
        raise InputError(f"authorization URL {url!r} has a fragment (RFC 6749 §3.1 forbids it)")
    return parts


def _refuse_repeats(pairs: list[tuple[str, str]]) -> None:
    """RFC 6749 §3.1: request parameters MUST NOT be included more than once."""
    repeated = [name for name, count in Counter(name for name, _ in pairs).items() if count > 1]
    if repeated:
        raise InputError(f"authorization URL repeats parameter {repeated[0]!r} (RFC 6749 §3.1)")
