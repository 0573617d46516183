"""Who the sandbox knows: its clients, its users, and the redirect URIs it accepts."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

DEMO_SECRET = "demo-secret"
EXAMPLE_REDIRECT_URI = "https://app.example.test/callback"


@dataclass(frozen=True)
class Client:
    """A registered client: how it authenticates at the token endpoint and its PKCE policy."""

    client_id: str
    secret: str | None
    auth_method: str  # none | client_secret_basic | client_secret_post (RFC 7591 §2)
    pkce_required: bool
    s256_required: bool = False


@dataclass(frozen=True)
class User:
    """A demo user; `second_factor` names the mechanisms of a CyberArk second challenge level."""

    username: str
    password: str
    name: str
    email: str
    second_factor: tuple[str, ...] = ()


USERS = {
    "alice": User("alice", "pass", "Alice Demo", "alice@example.test"),
    "bob": User("bob", "pass", "Bob Demo", "bob@example.test", second_factor=("OTP", "EMAIL")),
}


def clients_for(dialect: str) -> dict[str, Client]:
    """The three demo clients; PingOne's public client is set to S256_REQUIRED."""
    clients = (
        Client("demo-public", None, "none", pkce_required=True,
               s256_required=dialect == "pingone"),
        Client("demo-confidential", DEMO_SECRET, "client_secret_basic", pkce_required=False),
        Client("demo-post", DEMO_SECRET, "client_secret_post", pkce_required=False),
    )
    return {client.client_id: client for client in clients}


def redirect_uri_allowed(uri: str) -> bool:
    """Any loopback http URI with path /callback (RFC 8252 §7.3, any port), or the example app."""
    if uri == EXAMPLE_REDIRECT_URI:
        return True
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if parts.scheme != "http" or parts.path != "/callback" or parts.fragment:
        return False
    return host == "localhost" or _is_loopback_ip(host)


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
