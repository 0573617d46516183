"""The four provider dialects: where each mounts its endpoints and how each behaves.

Paths are the public contract of DESIGN.md §5; behaviours follow DIALECTS.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """One imitated provider: its issuer, endpoint paths and protocol choices."""

    name: str
    issuer_path: str
    endpoints: tuple[tuple[str, str], ...]  # discovery metadata name -> path under the base URL
    pkce_methods: tuple[str, ...]
    default_challenge_method: str | None  # RFC 7636 §4.3 says plain; None: must be sent
    rotates_refresh_tokens: bool
    expires_in: int
    token_type: str
    sends_iss: bool  # RFC 9207 `iss` in the authorization response
    code_response_extra: tuple[tuple[str, str], ...] = ()

    def path(self, endpoint: str) -> str:
        return dict(self.endpoints)[endpoint]

    def offers(self, endpoint: str) -> bool:
        """True when the provider has this endpoint (PingOne and Cloudentity introspect,
        CyberArk does not)."""
        return endpoint in dict(self.endpoints)


def _endpoints(base: str, **paths: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, base + path) for name, path in paths.items())


CYBERARK = Dialect(
    name="cyberark",
    issuer_path="/cyberark/demo-app/",
    endpoints=_endpoints(
        "/cyberark",
        authorization_endpoint="/OAuth2/Authorize/demo-app",
        token_endpoint="/OAuth2/Token/demo-app",
        jwks_uri="/OAuth2/Keys/demo-app",
        userinfo_endpoint="/OAuth2/UserInfo/demo-app",
        revocation_endpoint="/OAuth2/Revoke/demo-app",
        end_session_endpoint="/OAuth2/EndSession/demo-app",
    ),
    pkce_methods=("plain", "S256"),
    default_challenge_method="plain",
    rotates_refresh_tokens=False,
    expires_in=18000,
    token_type="Bearer",
    sends_iss=False,
    code_response_extra=(("responseType", "code"),),
)
PINGONE = Dialect(
    name="pingone",
    issuer_path="/pingone/demo-env/as",
    endpoints=_endpoints(
        "/pingone/demo-env/as",
        authorization_endpoint="/authorize",
        token_endpoint="/token",
        jwks_uri="/jwks",
        userinfo_endpoint="/userinfo",
        revocation_endpoint="/revoke",
        introspection_endpoint="/introspect",
        end_session_endpoint="/signoff",
        pushed_authorization_request_endpoint="/par",
    ),
    pkce_methods=("plain", "S256"),
    default_challenge_method="plain",
    rotates_refresh_tokens=True,
    expires_in=3600,
    token_type="Bearer",
    sends_iss=False,
)
CLOUDENTITY = Dialect(
    name="cloudentity",
    issuer_path="/cloudentity/demo/demo-ws",
    endpoints=_endpoints(
        "/cloudentity/demo/demo-ws",
        authorization_endpoint="/oauth2/authorize",
        token_endpoint="/oauth2/token",
        jwks_uri="/.well-known/jwks.json",
        userinfo_endpoint="/userinfo",
        revocation_endpoint="/oauth2/revoke",
        introspection_endpoint="/oauth2/introspect",
        end_session_endpoint="/oidc/logout",
        pushed_authorization_request_endpoint="/par",
    ),
    pkce_methods=("plain", "S256"),
    default_challenge_method="plain",
    rotates_refresh_tokens=True,
    expires_in=3599,
    token_type="bearer",
    sends_iss=False,
)
GENERIC = Dialect(
    name="generic",
    issuer_path="/generic",
    endpoints=_endpoints(
        "/generic",
        authorization_endpoint="/authorize",
        token_endpoint="/token",
        jwks_uri="/jwks",
        userinfo_endpoint="/userinfo",
        revocation_endpoint="/revoke",
        introspection_endpoint="/introspect",
        end_session_endpoint="/logout",
        pushed_authorization_request_endpoint="/par",
    ),
    pkce_methods=("S256",),
    default_challenge_method=None,
    rotates_refresh_tokens=True,
    expires_in=3600,
    token_type="Bearer",
    sends_iss=True,
)
DIALECTS = {dialect.name: dialect for dialect in (CYBERARK, PINGONE, CLOUDENTITY, GENERIC)}
