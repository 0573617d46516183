"""Which cause a server's refusal names, read on its structured fields before its free text.

Cloudentity's `cause` (`invalid_client_secret`, `invalid_pkce`, `invalid_redirect_uri`) and
PingOne's `details[].target` name the cause outright; Cloudentity's `error_description` is the
RFC's generic text for the error code, so it is read only when nothing specific was said
(a generic "unsupported authentication method" there must not blame the auth method).
"""

from __future__ import annotations

import re

from pkce_tui.core.server_says import ServerSays

#: Cloudentity causes (and the sandbox's) -> our cause names.
_CAUSES = {
    "invalid_client_secret": "secret", "client_secret_mismatch": "secret",
    "unsupported_auth_method": "auth_method", "invalid_auth_method": "auth_method",
    "invalid_pkce": "pkce", "invalid_redirect_uri": "redirect_uri",
    "client_not_found": "unknown_client", "code_reused": "code_reused",
    "code_expired": "code_expired",
}
_TEXT_CAUSES = (
    ("code_reused", re.compile(r"already (been )?(used|redeemed|exchanged)|reuse|"
                               r"has been used|was used|code .*used")),
    ("code_expired", re.compile(r"\bexpired?\b")),
    ("retry", re.compile(r"\bretry\b|try again later|sent again|temporarily")),
    ("redirect_uri", re.compile(r"redirect[_ ]?ur[il]")),
    ("verifier", re.compile(r"code_verifier|verifier")),
    ("pkce", re.compile(r"code_challenge|\bpkce\b(?!-)")),
    ("auth_method", re.compile(r"unsupported authentication method|auth(entication)?[_ ]method|"
                               r"authenticates with")),
    ("secret", re.compile(r"secret")),
    ("unknown_client", re.compile(r"(unknown|invalid|no such) client|client.{0,20}"
                                  r"(not found|does not exist|unknown)")),
)


def structured_cause(words: ServerSays) -> str | None:
    """The cause a structured field names: Cloudentity's cause, PingOne's detail target."""
    if words.cause and words.cause.lower() in _CAUSES:
        return _CAUSES[words.cause.lower()]
    targets = {str(d.get("target", "")).lower() for d in words.details}
    if "redirect_uri" in targets:
        return "redirect_uri"
    if "client_id" in targets:
        return "unknown_client"
    return None


def text_causes(words: ServerSays) -> list[str]:
    """The causes the specific words name, most telling first."""
    text = f"{words.error or ''} {words.specific}".lower()
    return [name for name, pattern in _TEXT_CAUSES if pattern.search(text)]


def causes(words: ServerSays | None) -> list[str]:
    """Structured cause first, then what the words name."""
    if words is None:
        return []
    found = [c for c in [structured_cause(words)] if c]
    return found + [c for c in text_causes(words) if c not in found]


def names(words: ServerSays | None, cause: str) -> bool:
    return cause in causes(words)
