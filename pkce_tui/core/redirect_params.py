"""The parameters of an authorization response (RFC 6749 §4.1.2) and what kind it is.

Wherever the redirect was found, its parameters come from the URL's query or fragment, or from
a form's inputs; the kind (code, error, login_required, none) and the warnings follow from them.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlsplit

from pkce_tui.core.errors import InputError

#: Path segments of sign-on pages a server sends the browser to instead of the client.
LOGIN_SEGMENTS = frozenset({"login", "logon", "signin", "sign-in", "signon", "sign-on"})
RESPONSE_PARAMS = frozenset({"code", "error"})


@dataclass(frozen=True)
class Found:
    """Where a redirect was found; `pairs` are a form's inputs, None to read the URL's own.

    `page_link` is the URL the answer's HTML page points to when a Location header won over
    it (CyberArk's "Object moved" anchor beside its 302), so both can be shown and compared.
    """

    source: str
    url: str | None
    pairs: tuple[tuple[str, str], ...] | None = None
    login_form: bool = False
    page_link: str | None = None


def read_params(found: Found) -> tuple[dict[str, str], str, list[str]]:
    """The response's parameters, its kind, and the warnings about them."""
    parts = _split(found.url) if found.url is not None else None
    if found.pairs is None:
        params, warnings = _url_params(parts)
    else:
        params, warnings = _first_values(found.pairs, "form")
    kind = _kind(params, parts, found.login_form)
    warnings += _url_warnings(found.url, parts, params)
    return params, kind, warnings


def query_pairs(component: str) -> list[tuple[str, str]]:
    """A query's or fragment's name/value pairs in order, blank values kept."""
    return parse_qsl(component, keep_blank_values=True)


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        _ = parts.port  # urlsplit checks the port only when asked
    except ValueError as exc:
        raise InputError(f"malformed redirect URL {url[:200]!r}: {exc}") from exc
    return parts


def _url_params(parts: SplitResult | None) -> tuple[dict[str, str], list[str]]:
    """The fragment's parameters when they carry the response, else the query's.

    A response in the fragment (OAuth 2.0 Multiple Response Types §2.1, `response_mode=
    fragment`) is what the client reads; the query is what RFC 6749 §4.1.2 specifies.
    """
    if parts is None:
        return {}, []
    query, fragment = query_pairs(parts.query), query_pairs(parts.fragment)
    in_fragment = bool(RESPONSE_PARAMS & {name for name, _ in fragment})
    where, chosen = ("fragment", fragment) if in_fragment else ("query", query)
    params, warnings = _first_values(chosen, where)
    if query and fragment:
        warnings.insert(0, f"parameters in both the query and the fragment; the {where}'s are used")
    return params, warnings


def _first_values(pairs: Iterable[tuple[str, str]], where: str) -> tuple[dict[str, str], list[str]]:
    """The first value of each parameter; RFC 6749 §3.1 allows each one once only."""
    counts = Counter(name for name, _ in pairs)
    warnings = [
        f"parameter {name!r} appears {count} times in the {where}; the first is used "
        "(RFC 6749 §3.1)"
        for name, count in counts.items() if count > 1
    ]
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value)
    return params, warnings


def _kind(params: dict[str, str], parts: SplitResult | None, login_form: bool) -> str:
    """error, code, login_required or none; an error outranks a code sent with it."""
    if "error" in params:
        return "error"
    if params.get("code"):
        return "code"
    if login_form or (parts is not None and _is_login_page(parts)):
        return "login_required"
    return "none"


def _is_login_page(parts: SplitResult) -> bool:
    """A sign-on page: /login, /signon..., CyberArk's cloudRedirect, PingOne's flowId.

    PingOne's `/as/resume?flowId=` carries a flow too, but it is the way back, not a login.
    """
    segments = {segment.lower().split(".")[0] for segment in parts.path.split("/")}
    names = {name.lower() for name, _ in query_pairs(parts.query)}
    if segments & LOGIN_SEGMENTS or "cloudredirect" in names:
        return True
    return "flowid" in names and "resume" not in segments


def _url_warnings(url: str | None, parts: SplitResult | None,
                  params: dict[str, str]) -> list[str]:
    warnings = []
    if parts is not None and not parts.scheme:
        warnings.append(f"redirect URL {url!r} is relative: it resolves against the page's URL")
    if parts is not None and params.get("code") and _plain_http_remote(parts):
        warnings.append(
            f"the code travels over plain http to {parts.hostname}: only loopback redirect "
            "URIs may use http (RFC 8252 §8.3, RFC 6749 §3.1.2.1)"
        )
    if "error" in params and params.get("code"):
        warnings.append("the response carries both an error and a code; the error is reported")
    if "code" in params and not params["code"]:
        warnings.append("the code parameter is empty")
    return warnings


def _plain_http_remote(parts: SplitResult) -> bool:
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "http" or host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
