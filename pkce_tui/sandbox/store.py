"""The sandbox's memory: authorization grants, their codes and tokens, and login sessions."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

CODE_LIFETIME = 60  # seconds; RFC 6749 §4.1.2 recommends at most 10 minutes
PENDING_LIFETIME = 600
MAX_ENTRIES = 10_000


def new_id(nbytes: int = 24) -> str:
    """An unguessable identifier for codes, tokens, sessions and flows."""
    return secrets.token_urlsafe(nbytes)


@dataclass
class Grant:
    """One authorization request and everything issued from it (RFC 6749 §4.1)."""

    dialect: str
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    faults: frozenset[str] = frozenset()
    delay: float = 0.0
    response_mode: str | None = None
    id: str = field(default_factory=new_id)
    created_at: float = 0.0
    user: str | None = None
    auth_time: int | None = None
    code: str | None = None
    code_issued_at: float = 0.0
    code_used: bool = False
    revoked: bool = False
    refused_once: bool = False
    dpop_jkt: str | None = None  # the key the tokens are bound to (RFC 9449 §6)


@dataclass
class AccessToken:
    grant_id: str
    expires_at: float


class Store:
    """Grants by id, codes, access and refresh tokens, and login sessions, all in memory."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.grants: dict[str, Grant] = {}
        self.codes: dict[str, str] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.sessions: dict[str, tuple[str, str]] = {}
        self.logins: dict[str, object] = {}
        self.pushed: dict[str, object] = {}
        self.jtis: dict[str, float] = {}

    def add_grant(self, grant: Grant) -> Grant:
        """Remember a new authorization request; the oldest are dropped past `MAX_ENTRIES`."""
        grant.created_at = self.clock()
        _bound(self.grants)
        self.grants[grant.id] = grant
        return grant

    def pending(self, grant_id: str) -> Grant | None:
        """The grant waiting for a login, if it is known, fresh and has no code yet."""
        grant = self.grants.get(grant_id)
        if grant is None or grant.code is not None:
            return None
        return grant if self.clock() - grant.created_at < PENDING_LIFETIME else None

    def issue_code(self, grant: Grant, user: str) -> str:
        """Record the login and mint the grant's one authorization code (RFC 6749 §4.1.2)."""
        grant.user = user
        grant.auth_time = int(self.clock())
        grant.code = new_id()
        grant.code_issued_at = self.clock()
        _bound(self.codes)
        self.codes[grant.code] = grant.id
        return grant.code

    def grant_for_code(self, code: str) -> Grant | None:
        grant_id = self.codes.get(code)
        return self.grants.get(grant_id) if grant_id else None

    def code_expired(self, grant: Grant) -> bool:
        return self.clock() - grant.code_issued_at > CODE_LIFETIME

    def add_access_token(self, token: str, grant: Grant, lifetime: int) -> None:
        _bound(self.access_tokens)
        self.access_tokens[token] = AccessToken(grant.id, self.clock() + lifetime)

    def add_refresh_token(self, grant: Grant) -> str:
        token = new_id(32)
        _bound(self.refresh_tokens)
        self.refresh_tokens[token] = grant.id
        return token

    def grant_for_access_token(self, token: str) -> Grant | None:
        """The live grant behind an unexpired access token, else None."""
        record = self.access_tokens.get(token)
        if record is None or record.expires_at < self.clock():
            return None
        return self._live(record.grant_id)

    def grant_for_refresh_token(self, token: str) -> Grant | None:
        grant_id = self.refresh_tokens.get(token)
        return self._live(grant_id) if grant_id else None

    def _live(self, grant_id: str) -> Grant | None:
        grant = self.grants.get(grant_id)
        return grant if grant is not None and not grant.revoked else None

    def revoke_grant(self, grant: Grant) -> None:
        """Invalidate every token of the grant (RFC 6749 §4.1.2 on code reuse, RFC 7009 §2.1)."""
        grant.revoked = True
        for token in [t for t, gid in self.refresh_tokens.items() if gid == grant.id]:
            del self.refresh_tokens[token]

    def start_session(self, dialect: str, user: str) -> str:
        """A login session at one dialect (a cookie value or a bearer token) for `user`."""
        session = new_id(32)
        _bound(self.sessions)
        self.sessions[session] = (dialect, user)
        return session

    def session_user(self, dialect: str, session: str | None) -> str | None:
        """The user logged in by `session` at `dialect`, else None."""
        found = self.sessions.get(session or "")
        return found[1] if found and found[0] == dialect else None

    def end_session(self, dialect: str, session: str | None) -> None:
        """Forget `session` if it is a login session at `dialect` (a sign-out)."""
        if self.session_user(dialect, session) is not None:
            del self.sessions[session or ""]

    def remember_jti(self, jti: str, expires_at: float) -> bool:
        """Note a client assertion's jti until it expires; False when it was seen already
        (RFC 7523 §3 item 7: a server may refuse a replayed assertion)."""
        if jti in self.jtis and self.jtis[jti] > self.clock():
            return False
        _bound(self.jtis)
        self.jtis[jti] = expires_at
        return True

    def add_pushed(self, request_uri: str, pushed: object) -> None:
        """Keep a pushed authorization request under its request_uri (RFC 9126 §2.2)."""
        _bound(self.pushed)
        self.pushed[request_uri] = pushed

    def add_login(self, login_id: str, login: object) -> None:
        """Keep a dialect's login in progress (a CyberArk auth session, a PingOne flow)."""
        _bound(self.logins)
        self.logins[login_id] = login


def _bound(entries: dict) -> None:
    """Drop the oldest entry when full, so a long-running sandbox's memory stays bounded."""
    if len(entries) >= MAX_ENTRIES:
        del entries[next(iter(entries))]
