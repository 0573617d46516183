"""The embedded authorization server: CyberArk, PingOne, Cloudentity and generic OIDC dialects
on one loopback port, for `pkce-tui demo`, `pkce-tui sandbox` and the tests (DESIGN.md §5).

Choices where the providers' documents leave room (see DIALECTS.md):
- Access tokens are signed JWTs in every dialect, with the client as `aud`; refresh tokens
  are opaque and issued with every code exchange.
- The ID-token faults (expired_id_token, wrong_aud, wrong_iss, bad_signature, rotated_key)
  bend only the ID token, so userinfo still works. `rotated_key` signs with a key whose kid
  the JWKS never lists: what a client sees right after a provider rotated its keys.
- A failed PKCE check does not use up the code (a learner can retry with the right
  verifier); a reused code revokes the grant's tokens (RFC 6749 §4.1.2).
- PKCE policies per client, in PingOne's terms: demo-public requires a challenge (pingone:
  S256_REQUIRED), demo-confidential is OPTIONAL, demo-post is OPTIONAL but REQUIRED in
  pingone, so each of PingOne's three policies can be tried (`directory.clients_for`).
- CyberArk's EndSession ends the .ASPXAUTH session and goes back only to a registered
  post_logout_redirect_uri; otherwise it answers a "Signed out" page.
- Users: `alice`/`pass`, and `bob`/`pass` whose CyberArk login has a second level (OTP or
  EMAIL; answer 123456) to show what an API login cannot do alone.
- PingOne's flow cookie is `interactionToken`, its session cookie `ST`; CyberArk's session
  is the `.ASPXAUTH` cookie, also returned as the bearer `Token`.
"""

from pkce_tui.sandbox.faults import FAULTS

__all__ = ["FAULTS", "Sandbox", "run_foreground"]


def __getattr__(name: str):
    """Load the server (Starlette, uvicorn) only when it is used (PEP 562): every `pkce-tui`
    command lists the faults in its help, and only `sandbox` and `demo` serve."""
    if name in ("Sandbox", "run_foreground"):
        from pkce_tui.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
