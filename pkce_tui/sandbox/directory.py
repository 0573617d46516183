"""Who the sandbox knows: its clients, its users, and the redirect URIs it accepts."""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import SplitResult, urlsplit

from pkce_tui.core.errors import InputError

DEMO_SECRET = "demo-secret"
EXAMPLE_REDIRECT_URI = "https://app.example.test/callback"
EXAMPLE_POST_LOGOUT_URI = "https://app.example.test/logged-out"
#: What a URI may hold as sent (RFC 3986 §2): printable ASCII, no space.
VISIBLE_ASCII = re.compile(r"[!-~]+")


@dataclass(frozen=True)
class Client:
    """A registered client: how it authenticates at the token endpoint and its PKCE policy."""

    client_id: str
    secret: str | None
    auth_method: str  # none | client_secret_basic | client_secret_post (RFC 7591 §2)
    pkce_required: bool
    s256_required: bool = False
    par_required: bool = False  # require_pushed_authorization_requests (RFC 9126 §6)
    jwks: dict | None = None  # private_key_jwt: the client's registered public keys
    dpop_required: bool = False  # dpop_bound_access_tokens (RFC 9449 §5.2)


@dataclass(frozen=True)
class User:
    """A demo user; `second_factor` names the mechanisms of a CyberArk second challenge level;
    a user not `assigned` to the application signs in, then is refused (access_denied)."""

    username: str
    password: str
    name: str
    email: str
    second_factor: tuple[str, ...] = ()
    assigned: bool = True  # False: not assigned to the demo application, refused after login


USERS = {
    "alice": User("alice", "pass", "Alice Demo", "alice@example.test"),
    "bob": User("bob", "pass", "Bob Demo", "bob@example.test", second_factor=("OTP", "EMAIL")),
    "carol": User("carol", "pass", "Carol Demo", "carol@example.test", assigned=False),
}


def clients_for(dialect: str) -> dict[str, Client]:
    """The three demo clients; their names and client authentication are the same everywhere.

    Their PKCE policies, in PingOne's terms (`pkceEnforcement`), so each can be tried there:
    - demo-public: a challenge is required; in pingone S256_REQUIRED (plain is refused).
    - demo-confidential: OPTIONAL; a challenge is checked only when one was sent.
    - demo-post: OPTIONAL; in pingone REQUIRED (a challenge must be sent, plain is allowed
      and is the method when none is named).
    """
    pingone = dialect == "pingone"
    clients = (
        Client("demo-public", None, "none", pkce_required=True, s256_required=pingone),
        Client("demo-confidential", DEMO_SECRET, "client_secret_basic", pkce_required=False),
        Client("demo-post", DEMO_SECRET, "client_secret_post", pkce_required=pingone),
    )
    if dialect in PAR_DIALECTS:
        clients += (Client("demo-par", DEMO_SECRET, "client_secret_basic", pkce_required=True,
                           par_required=True),)
    if dialect in PRIVATE_KEY_JWT_DIALECTS:
        clients += (Client("demo-pkjwt", None, "private_key_jwt", pkce_required=True,
                           jwks=demo_client_jwks()),)
    if dialect in DPOP_DIALECTS:
        clients += (Client("demo-dpop", None, "none", pkce_required=True, dpop_required=True),)
    return {client.client_id: client for client in clients}


#: The dialects whose provider offers pushed authorization requests (RFC 9126).
PAR_DIALECTS = ("pingone", "cloudentity", "generic")
DEMO_KEY_FILE = "demo_client_key.json"


@cache
def demo_client_jwks() -> dict:
    """The public half of demo-pkjwt's key (`demo_client_key.json`, a published demo key, as
    `demo-secret` is a published demo secret), as the tenant has it registered."""
    text = resources.files("pkce_tui.sandbox").joinpath(DEMO_KEY_FILE).read_text()
    return {"keys": [{k: v for k, v in json.loads(text).items() if k != "d"}]}


#: The dialects whose provider offers DPoP (RFC 9449): Cloudentity, and generic.
DPOP_DIALECTS = ("cloudentity", "generic")
#: The dialects whose provider offers private_key_jwt (RFC 7523; CyberArk does not).
PRIVATE_KEY_JWT_DIALECTS = ("pingone", "cloudentity", "generic")


#: Every dialect registers the same client ids.
CLIENT_IDS = tuple(clients_for("generic"))


def check_client_id(client_id: str) -> str:
    """`client_id` when the sandbox registers it, else an `InputError` listing the known ones."""
    if client_id not in CLIENT_IDS:
        raise InputError(f"unknown client {client_id!r}; known: {', '.join(CLIENT_IDS)}")
    return client_id


def redirect_uri_allowed(uri: str) -> bool:
    """Any loopback http URI with path /callback (RFC 8252 §7.3, any port), or the example app.

    A URI with spaces or control characters is never registered: urlsplit drops tabs and line
    breaks before parsing, so the check would pass a URI that cannot go into a header.
    """
    if uri == EXAMPLE_REDIRECT_URI:
        return True
    parts = _loopback_http(uri)
    return parts is not None and parts.path == "/callback"


def post_logout_uri_allowed(uri: str) -> bool:
    """A registered post-logout redirect URI (RP-Initiated Logout §3): any loopback http URI
    (any port and path), or the example app's `/callback` or `/logged-out`."""
    if uri in (EXAMPLE_REDIRECT_URI, EXAMPLE_POST_LOGOUT_URI):
        return True
    return _loopback_http(uri) is not None


def _loopback_http(uri: str) -> SplitResult | None:
    """`uri` split when it is a well-formed http URI to a loopback host without a fragment
    (RFC 8252 §7.3), else None; one with spaces or control characters never is."""
    if not VISIBLE_ASCII.fullmatch(uri):
        return None
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme != "http" or parts.fragment:
        return None
    return parts if host == "localhost" or _is_loopback_ip(host) else None


def _is_loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_password(username: str, password: str) -> User | None:
    """The user when the password matches, else None."""
    user = USERS.get(username)
    if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
        return None
    return user
