"""The login between authorize and the redirect, read from the browser's requests: CyberArk's
Security API (Start/AdvanceAuthentication), PingOne's flows API, or an HTML login form; and,
when no code came back, the server's own words for why.
"""

from __future__ import annotations

from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.har import classify
from pkce_tui.core.har.document import HarEntry
from pkce_tui.core.har.flows import FlowEntries
from pkce_tui.core.html_page import parse_html
from pkce_tui.core.http import HttpResponse

MAX_WORDS = 200
PASSWORD_FIELDS = ("password", "passwd", "pass", "answer")
Hop = tuple[HarEntry, str]


def labelled(flow: FlowEntries) -> list[Hop]:
    """Each front-channel entry of the flow with what it was, in order."""
    return [(entry, _label(entry, flow)) for entry in flow.hops]


def _label(entry: HarEntry, flow: FlowEntries) -> str:
    lowered = classify.path(entry.url).lower()
    if entry is flow.response:
        return "authorization response"
    if _posts_password(entry):
        return "login form"
    if entry in flow.authorize:
        return "authorize"
    for name in ("StartAuthentication", "AdvanceAuthentication"):
        if lowered.endswith(f"/security/{name.lower()}"):
            return name
    if "/flows/" in lowered:
        return "usernamePassword.check" if entry.request.method == "POST" else "flow"
    if lowered.endswith("/as/resume"):
        return "resume"
    if entry.response is not None and 300 <= entry.response.status < 400:
        return "redirect"
    return "page" if _is_html(entry.response) else "request"


def kind(hops: list[Hop]) -> str:
    """How the user logged in: `cyberark_api`, `pingone_flows`, `html_form`, or `session`
    (an existing session answered authorize at once)."""
    labels = {label for _, label in hops}
    if labels & {"StartAuthentication", "AdvanceAuthentication"}:
        return "cyberark_api"
    if labels & {"flow", "usernamePassword.check"}:
        return "pingone_flows"
    return "html_form" if any(_posts_password(entry) for entry, _ in hops) else "session"


def failure(hops: list[Hop]) -> tuple[str, HarEntry] | None:
    """Why no code came back, in the server's own words, and the hop that said so."""
    posted_password = False
    for entry, label in hops:
        response = entry.response
        if response is None:
            continue
        if label in ("StartAuthentication", "AdvanceAuthentication"):
            data = response.json() or {}
            if data.get("success") is False:
                return f"CyberArk {label} refused the login: {words(response)}", entry
        elif label in ("flow", "usernamePassword.check") and response.status >= 400:
            return (f"PingOne's flows API answered HTTP {response.status}: {words(response)}",
                    entry)
        elif label == "authorize" and response.status >= 400:
            return (f"the server refused the authorize request with HTTP {response.status}: "
                    f"{words(response)}"), entry
        elif posted_password and _asks_password(response):
            return ("the login form came back after the password was posted: wrong username "
                    f"or password? ({words(response)})"), entry
        posted_password = posted_password or label == "login form"
    return None


def words(response: HttpResponse) -> str:
    """The server's own message on one line: an OAuth error (RFC 6749 §5.2), PingOne's
    details, CyberArk's Message, or the text of an HTML page."""
    data = response.json()
    if data is not None:
        return _one_line(_json_words(data) or response.body)
    if _is_html(response):
        return _one_line(_page_text(response.body))
    return _one_line(response.body or "no body")


def _json_words(data: dict) -> str | None:
    if data.get("error"):
        said = f"{data['error']}: {data.get('error_description') or 'no description'}"
        hint = data.get("error_hint")
        return f"{said} ({hint})" if hint else said
    details = data.get("details")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("message") or data.get("message"))
    message = data.get("Message") or data.get("message")
    return str(message) if message else None


def _page_text(body: str) -> str:
    """The page's visible text: its title and body, scripts and styles left out."""
    try:
        document = parse_html(body[:200_000], what="error page")
    except PkceTuiError:
        return body[:MAX_WORDS]
    for element in document.iter():
        if element.tag in ("script", "style"):
            element.clear()
    return " ".join("".join(document.itertext()).split())


def _one_line(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_WORDS else flat[:MAX_WORDS - 1] + "…"


def _posts_password(entry: HarEntry) -> bool:
    form = dict(entry.request.form or ())
    return entry.request.method == "POST" and any(
        name.lower() in PASSWORD_FIELDS for name in form)


def _asks_password(response: HttpResponse) -> bool:
    return _is_html(response) and 'type="password"' in response.body.lower()


def _is_html(response: HttpResponse | None) -> bool:
    return response is not None and "html" in (response.header("Content-Type") or "").lower()
