"""Who talks to whom at each step of the code flow: the flow map's arrows, in order.

The parties are the user agent (browser), the client (this tool) and the authorization server
(RFC 6749 §1.1, Figure 3 of §4.1). A step with the same sender and receiver happens inside
the client (making the verifier, validating a token).
"""

from __future__ import annotations

from typing import NamedTuple

PARTIES = ("user agent", "client", "authorization server")


class Exchange(NamedTuple):
    step: str
    sender: str
    receiver: str
    label: str


EXCHANGES: tuple[Exchange, ...] = (
    Exchange("discovery", "client", "authorization server", "GET metadata (OIDC Discovery §4)"),
    Exchange("verifier", "client", "client", "make code_verifier (RFC 7636 §4.1)"),
    Exchange("challenge", "client", "client", "derive code_challenge (§4.2)"),
    Exchange("authorize", "client", "user agent", "redirect to /authorize (RFC 6749 §4.1.1)"),
    Exchange("login", "user agent", "authorization server", "user logs in, consents"),
    Exchange("redirect", "authorization server", "client",
             "code + state via the browser (§4.1.2)"),
    Exchange("token", "client", "authorization server", "POST code + verifier (§4.1.3)"),
    Exchange("id_token", "client", "client", "validate ID token (OIDC Core §3.1.3.7)"),
    Exchange("access_token", "client", "client", "decode access token"),
    Exchange("userinfo", "client", "authorization server", "GET userinfo (OIDC Core §5.3)"),
    Exchange("refresh", "client", "authorization server", "refresh_token grant (§6)"),
)
