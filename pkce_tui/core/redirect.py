"""How the authorization response comes back (RFC 6749 §4.1.2), from whatever the user has.

A callback URL, a raw HTTP response (its Location header), or an HTML page: the ASP.NET
"Object moved" anchor CyberArk sends, a meta refresh, or a `form_post` auto-submit form.
`redirect_input` and `redirect_html` find the redirect, `redirect_params` reads its parameters;
this module checks them and is the API callers use, so the input limits are re-exported here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from pkce_tui.core.checks import Check
from pkce_tui.core.errors import InputError, ProtocolError
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.redirect_html import MAX_HTML_TAGS
from pkce_tui.core.redirect_input import MAX_INPUT_BYTES, NO_REDIRECT, from_http, from_text, utf8
from pkce_tui.core.redirect_params import Found, read_params

__all__ = [
    "MAX_HTML_TAGS", "MAX_INPUT_BYTES", "NO_REDIRECT", "RedirectResult", "parse_http_response",
    "parse_redirect",
]


@dataclass(frozen=True)
class RedirectResult:
    """What an authorization response says, where it was found, and how it checks out."""

    kind: str
    source: str
    redirect_url: str | None
    params: dict[str, str]
    code: str | None
    state: str | None
    iss: str | None
    error: str | None
    error_description: str | None
    checks: tuple[Check, ...]
    warnings: tuple[str, ...]
    page_link: str | None = None

    def to_json(self) -> dict:
        """The `parse-redirect --json` shape (DESIGN.md §3); absent values are null."""
        return {
            "kind": self.kind, "source": self.source, "redirect_url": self.redirect_url,
            "params": dict(self.params), "code": self.code, "state": self.state,
            "iss": self.iss, "error": self.error, "error_description": self.error_description,
            "checks": [check.to_json() for check in self.checks],
            "warnings": list(self.warnings), "page_link": self.page_link,
        }


def parse_redirect(text: str, *, expected_state: str | None = None,
                   expected_issuer: str | None = None) -> RedirectResult:
    """Find the redirect in a pasted URL, HTTP response or HTML page and check it.

    A HAR file (a browser's recorded traffic) yields the entry that carries the response.
    Anything unreadable is an `InputError` with one line saying what was expected.
    """
    return _result(from_text(text), expected_state, expected_issuer)


def parse_http_response(response: HttpResponse, *, expected_state: str | None = None,
                        expected_issuer: str | None = None) -> RedirectResult:
    """Find the redirect in a server's answer: its Location header, else its HTML body.

    An answer that carries no redirect is a `ProtocolError`: the server said something else.
    """
    try:
        found = from_http(response.status, response.header("Location"), response.body)
        return _result(found, expected_state, expected_issuer)
    except InputError as exc:
        raise ProtocolError(f"{response.url or 'response'}: {exc}") from exc


def _result(found: Found, expected_state: str | None,
            expected_issuer: str | None) -> RedirectResult:
    """Read the parameters, classify the response, check it and collect warnings."""
    params, kind, warnings = read_params(found)
    if found.page_link and found.page_link != found.url:
        warnings.append(f"the page's link {found.page_link} differs from the Location header")
    return RedirectResult(
        kind=kind, source=found.source, redirect_url=found.url, params=params,
        code=params.get("code") or None, state=params.get("state"), iss=params.get("iss"),
        error=params.get("error"), error_description=params.get("error_description"),
        checks=_checks(kind, params, expected_state, expected_issuer),
        warnings=tuple(warnings), page_link=found.page_link,
    )


# --- checks -----------------------------------------------------------------------------------

_NOT_A_RESPONSE = "not an authorization response: the browser is sent to a login page"


def _checks(kind: str, params: dict[str, str], expected_state: str | None,
            expected_issuer: str | None) -> tuple[Check, ...]:
    if kind == "login_required":
        not_made = (Check("state", None, _NOT_A_RESPONSE), Check("iss", None, _NOT_A_RESPONSE))
        return (*not_made, _code_check(kind, params))
    return (
        _state_check(params.get("state"), expected_state),
        _iss_check(params.get("iss"), expected_issuer),
        _code_check(kind, params),
    )


def _state_check(state: str | None, expected: str | None) -> Check:
    """RFC 6749 §4.1.2 / §10.12: the state sent must come back unchanged (CSRF protection)."""
    if expected is None:
        returned = f"; the server returned {state!r}" if state is not None else ""
        return Check("state", None, f"no expected state given{returned}")
    if state is None:
        return Check("state", False, f"no state returned; {expected!r} was sent (RFC 6749 §4.1.2)")
    if secrets.compare_digest(utf8(state), utf8(expected)):
        return Check("state", True, "same as the one sent (RFC 6749 §10.12)")
    return Check(
        "state", False,
        f"state {state!r} differs from the {expected!r} sent: possible CSRF (RFC 6749 §10.12)",
    )


def _iss_check(iss: str | None, expected: str | None) -> Check:
    """RFC 9207 §2.4: a returned `iss` must equal the expected issuer by simple comparison."""
    if iss is None:
        return Check("iss", None, "the server does not send iss (RFC 9207): mix-ups not ruled out")
    if expected is None:
        return Check("iss", None, f"iss {iss!r} returned; no expected issuer given to compare")
    if iss == expected:
        return Check("iss", True, "the expected issuer (RFC 9207 §2.4)")
    return Check(
        "iss", False,
        f"iss {iss!r} differs from the expected issuer {expected!r}: possible mix-up "
        "attack (RFC 9207 §2.4)",
    )


def _code_check(kind: str, params: dict[str, str]) -> Check:
    if params.get("code"):
        return Check("code", True, f"code returned (length {len(params['code'])})")
    reasons = {
        "error": f"no code: the server answered error {params.get('error')!r}",
        "login_required": "no code: the browser is sent to a login page first",
    }
    return Check("code", False, reasons.get(kind, "no code in the redirect"))
