"""How the authorization response comes back (RFC 6749 §4.1.2), from whatever the user has.

A callback URL, a raw HTTP response (its Location header), or an HTML page: the ASP.NET
"Object moved" anchor CyberArk sends, a meta refresh, or a `form_post` auto-submit form.
HTML is parsed with html5lib, so attribute values are decoded by the WHATWG rules a browser
uses (`&amp;` is `&`, but `&copy=2` in a URL stays as written), which `html.unescape` is not.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import re
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlsplit
from xml.etree.ElementTree import Element

import html5lib

from pkce_tui.core import har
from pkce_tui.core.checks import Check
from pkce_tui.core.errors import InputError, ProtocolError
from pkce_tui.core.http import HttpResponse

MAX_INPUT_BYTES = 1_048_576
#: html5lib's tree building costs O(depth) per tag, so deep nesting is quadratic: 5000 tags
#: parse within about a second, while a redirect page has a handful.
MAX_HTML_TAGS = 5000
NO_REDIRECT = "no redirect found: expected a URL, an HTTP response or an HTML page"
#: Path segments of sign-on pages a server sends the browser to instead of the client.
LOGIN_SEGMENTS = frozenset({"login", "logon", "signin", "sign-in", "signon", "sign-on"})
RESPONSE_PARAMS = frozenset({"code", "error"})
_URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|[/?#]")
_HTML_TAG = re.compile(r"<[A-Za-z!/?]")
_START_OR_END_TAG = re.compile(r"</?[A-Za-z]")
#: http.client knows HTTP/1.x status lines only; curl prints "HTTP/2 302" for HTTP/2 and 3.
_NEWER_HTTP = re.compile(rb"\AHTTP/[23](?:\.0)?(?=[ \t])")
#: WHATWG "shared declarative refresh steps": a time, a separator, an optional `url=`.
_REFRESH = re.compile(r"\s*[\d.]+\s*[;,]?\s*(?:url\s*=\s*)?(.*)", re.IGNORECASE | re.DOTALL)
#: Headings of redirect pages: ASP.NET "Object moved", Apache "302 Found", "Redirecting...".
_MOVED_WORDS = ("moved", "redirect", "302 found")


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

    def to_json(self) -> dict:
        """The `parse-redirect --json` shape (DESIGN.md §3); absent values are null."""
        return {
            "kind": self.kind, "source": self.source, "redirect_url": self.redirect_url,
            "params": dict(self.params), "code": self.code, "state": self.state,
            "iss": self.iss, "error": self.error, "error_description": self.error_description,
            "checks": [check.to_json() for check in self.checks],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class _Found:
    """Where a redirect was found; `pairs` are a form's inputs, None to read the URL's own."""

    source: str
    url: str | None
    pairs: tuple[tuple[str, str], ...] | None = None
    login_form: bool = False


def parse_redirect(text: str, *, expected_state: str | None = None,
                   expected_issuer: str | None = None) -> RedirectResult:
    """Find the redirect in a pasted URL, HTTP response or HTML page and check it.

    A HAR file (a browser's recorded traffic) yields the entry that carries the response.
    Anything unreadable is an `InputError` with one line saying what was expected.
    """
    found = _from_har(text) if har.looks_like_har(text) else _find(text)
    return _result(found, expected_state, expected_issuer)


def parse_http_response(response: HttpResponse, *, expected_state: str | None = None,
                        expected_issuer: str | None = None) -> RedirectResult:
    """Find the redirect in a server's answer: its Location header, else its HTML body.

    An answer that carries no redirect is a `ProtocolError`: the server said something else.
    """
    try:
        found = _from_http(response.status, response.header("Location"), response.body)
        return _result(found, expected_state, expected_issuer)
    except InputError as exc:
        raise ProtocolError(f"{response.url or 'response'}: {exc}") from exc


def _find(text: str) -> _Found:
    """Tell a URL, an HTTP response and an HTML page apart, and find the redirect in it."""
    _check_size(text)
    stripped = text.lstrip("\ufeff").strip()
    if stripped.startswith("HTTP/"):
        return _from_raw_http(stripped)
    if _URL_START.match(stripped) and not any(char.isspace() for char in stripped):
        return _Found("url", stripped)
    if _HTML_TAG.search(stripped):
        return _from_html(stripped)
    raise InputError(NO_REDIRECT)


def _from_har(text: str) -> _Found:
    response = har.authorization_response(text)
    if isinstance(response, HttpResponse):
        return _from_http(response.status, response.header("Location"), response.body)
    return _Found("url", response)


def _check_size(text: str) -> None:
    """Refuse more than 1 MB of UTF-8 before any parsing starts."""
    if len(text) > MAX_INPUT_BYTES or len(_utf8(text)) > MAX_INPUT_BYTES:
        raise InputError(f"input too large: over {MAX_INPUT_BYTES} bytes (1 MB)")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# --- HTTP responses ---------------------------------------------------------------------------


class _PastedSocket:
    """Just enough of a socket for `http.client.HTTPResponse` to read pasted bytes."""

    def __init__(self, data: bytes) -> None:
        self.file = io.BytesIO(data)

    def makefile(self, *args, **kwargs) -> io.BytesIO:
        return self.file


def _from_raw_http(text: str) -> _Found:
    """Read the status line and headers with http.client's own parser, then the body."""
    sock = _PastedSocket(_NEWER_HTTP.sub(b"HTTP/1.1", _utf8(text), count=1))
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
    except (http.client.HTTPException, ValueError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise InputError(f"malformed HTTP response: {reason[:200]!r}") from exc
    body = sock.file.read().decode("utf-8", "replace")
    return _from_http(response.status, _undo_latin1(response.getheader("Location")), body)


def _undo_latin1(value: str | None) -> str | None:
    """http.client decodes headers as Latin-1; pasted text is UTF-8 (RFC 9110 §5.5)."""
    if value is None:
        return None
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def _from_http(status: int, location: str | None, body: str) -> _Found:
    """The Location header wins over the body; without one the body must be a redirect page."""
    if location and location.strip():
        return _Found("location", location.strip())
    _check_size(body)
    if _HTML_TAG.search(body):
        return _from_html(body)
    raise InputError(f"HTTP {status} response has no Location header and no HTML page")


# --- HTML pages -------------------------------------------------------------------------------


def _from_html(text: str) -> _Found:
    """Parse the page the way a browser does and take the first redirect it carries."""
    tags = sum(1 for _ in _START_OR_END_TAG.finditer(text))
    if tags > MAX_HTML_TAGS:
        raise InputError(f"HTML page too large: {tags} tags, at most {MAX_HTML_TAGS}")
    document = html5lib.parse(text, treebuilder="etree", namespaceHTMLElements=False)
    finders = (_form_post, _meta_refresh, _response_anchor, _moved_anchor, _login_form)
    for finder in finders:
        found = finder(document)
        if found is not None:
            return found
    raise InputError(
        "no redirect found in the HTML page: no form_post form, meta refresh, "
        "redirect link or login form"
    )


def _form_post(document: Element) -> _Found | None:
    """An auto-submitting form carrying the response (OAuth 2.0 Form Post Response Mode §2)."""
    for form in document.iter("form"):
        pairs = _inputs(form)
        names = {name for name, _ in pairs}
        if form.get("method", "").strip().lower() == "post" and names & RESPONSE_PARAMS:
            return _Found("form_post", _attribute_url(form.get("action")), pairs)
    return None


def _login_form(document: Element) -> _Found | None:
    """A form asking for a password: the server wants the user to sign in first."""
    for form in document.iter("form"):
        types = {field.get("type", "").strip().lower() for field in form.iter("input")}
        if "password" in types:
            return _Found("form_post", _attribute_url(form.get("action")), (), login_form=True)
    return None


def _inputs(form: Element) -> tuple[tuple[str, str], ...]:
    return tuple(
        (field.get("name", ""), field.get("value", ""))
        for field in form.iter("input") if field.get("name")
    )


def _meta_refresh(document: Element) -> _Found | None:
    """`<meta http-equiv=refresh content="0;url=...">` (WHATWG HTML §4.2.5.3)."""
    for meta in document.iter("meta"):
        if meta.get("http-equiv", "").strip().lower() != "refresh":
            continue
        match = _REFRESH.fullmatch(meta.get("content", ""))
        url = _unquoted(match.group(1)) if match else ""
        if url:
            return _Found("meta_refresh", url)
    return None


def _unquoted(url: str) -> str:
    """A refresh URL may be quoted; the quote ends it (WHATWG "skip quotes")."""
    url = url.strip()
    if url[:1] in ("'", '"'):
        url = url[1:].split(url[0], 1)[0]
    return url.strip()


def _response_anchor(document: Element) -> _Found | None:
    """The first link that carries a code or an error."""
    for url in _hrefs(document):
        if RESPONSE_PARAMS & {name for name, _ in _query_and_fragment(url)}:
            return _Found("html_anchor", url)
    return None


def _moved_anchor(document: Element) -> _Found | None:
    """The link of a redirect page ("Object moved to here", "302 Found", "Redirecting")."""
    headings = " ".join(
        "".join(element.itertext()) for tag in ("title", "h1", "h2")
        for element in document.iter(tag)
    ).lower()
    if any(word in headings for word in _MOVED_WORDS):
        return next((_Found("html_anchor", url) for url in _hrefs(document)), None)
    return None


def _hrefs(document: Element) -> list[str]:
    hrefs = (_attribute_url(anchor.get("href")) for anchor in document.iter("a"))
    return [href for href in hrefs if href]


def _attribute_url(value: str | None) -> str | None:
    """A URL from an attribute, without the whitespace the URL parser would strip."""
    if value is None or not value.strip():
        return None
    return value.strip()


def _query_and_fragment(url: str) -> list[tuple[str, str]]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    return _pairs(parts.query) + _pairs(parts.fragment)


def _pairs(component: str) -> list[tuple[str, str]]:
    return parse_qsl(component, keep_blank_values=True)


# --- the result -------------------------------------------------------------------------------


def _result(found: _Found, expected_state: str | None,
            expected_issuer: str | None) -> RedirectResult:
    """Read the parameters, classify the response, check it and collect warnings."""
    parts = _split(found.url) if found.url is not None else None
    if found.pairs is None:
        params, warnings = _url_params(parts)
    else:
        params, warnings = _first_values(found.pairs, "form")
    kind = _kind(params, parts, found.login_form)
    warnings += _url_warnings(found.url, parts, params)
    return RedirectResult(
        kind=kind, source=found.source, redirect_url=found.url, params=params,
        code=params.get("code") or None, state=params.get("state"), iss=params.get("iss"),
        error=params.get("error"), error_description=params.get("error_description"),
        checks=_checks(kind, params, expected_state, expected_issuer),
        warnings=tuple(warnings),
    )


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
    query, fragment = _pairs(parts.query), _pairs(parts.fragment)
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
    names = {name.lower() for name, _ in _pairs(parts.query)}
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
    if secrets.compare_digest(_utf8(state), _utf8(expected)):
        return Check("state", True, "state matches the one sent")
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
        return Check("iss", True, "iss matches the expected issuer (RFC 9207 §2.4)")
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
