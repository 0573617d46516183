"""A stand-in for a person at a web browser, for the end-to-end tests.

Used as `$BROWSER` (Python's `webbrowser` runs it with the authorize URL): it GETs the URL,
follows redirects one hop at a time with its own cookie jar, fills and submits HTML login forms
(`username`/`password` from `STANDIN_USERNAME`/`STANDIN_PASSWORD`, default alice/pass), and
stops once it reaches a loopback `/callback` URL, which it GETs: that is the tool's listener
(RFC 8252 §7.3). Every hop is logged to stderr on one line, without query strings or form
values (they carry codes and passwords); stdout stays free for the tool that started it.

Forms are read with the tool's own `pkce_tui.core.htmlform`, as its form login reads them.

Exit status: 0 when the callback was delivered, 1 with one line on stderr otherwise, 2 on bad
usage.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from pkce_tui.core.htmlform import Form, parse_form

MAX_HOPS = 20
TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 1_000_000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
CALLBACK_PATH_SUFFIX = "/callback"


class BrowserError(Exception):
    """Why the stand-in browser could not get to the callback; one line."""


def log(line: str) -> None:
    print(f"browser: {line}", file=sys.stderr, flush=True)


def without_query(url: str | httpx.URL) -> str:
    """The URL without query or fragment, safe to log (codes and state live in the query)."""
    parts = urlsplit(str(url))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def is_callback(url: httpx.URL) -> bool:
    """True for a loopback http URL whose path ends in /callback: the tool's listener."""
    return (
        url.scheme == "http"
        and url.host in LOOPBACK_HOSTS
        and url.path.endswith(CALLBACK_PATH_SUFFIX)
    )


def form_request(client: httpx.Client, form: Form) -> httpx.Request:
    """The request a browser makes when the form is submitted (HTML §4.10.21.3)."""
    request = form.request()
    return client.build_request(request.method, request.url, content=request.body,
                                headers=dict(request.all_headers()))


def fetch(client: httpx.Client, request: httpx.Request) -> tuple[httpx.Response, str]:
    """Send one request without following redirects; the body is read up to MAX_BODY_BYTES."""
    try:
        response = client.send(request, stream=True, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise BrowserError(f"{request.method} {without_query(request.url)}: {exc}") from exc
    try:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= MAX_BODY_BYTES:
                break
    finally:
        response.close()
    log(f"{request.method} {without_query(request.url)} -> {response.status_code}")
    return response, bytes(body[:MAX_BODY_BYTES]).decode(response.encoding or "utf-8", "replace")


@dataclass
class Visit:
    """One walk from the authorize URL to the callback: the client, who signs in, and whether
    the credentials were already submitted (a login form shown again means they were refused)."""

    client: httpx.Client
    username: str
    password: str
    signed_in: bool = False

    def next_request(self, response: httpx.Response, body: str) -> httpx.Request:
        """What a person would do next on this page: follow a redirect or submit its form."""
        location = response.headers.get("location")
        if response.is_redirect and location:
            return self.client.build_request("GET", urljoin(str(response.url), location))
        form = self.page_form(response, body)
        if form.asks_password:
            if self.signed_in:
                raise BrowserError(
                    "the login form came back after signing in (wrong username or password?)"
                )
            self.signed_in = True
            form = form.filled(self.username, self.password)
        names = [name for name, _ in form.fields]
        log(f"submit form {form.method.upper()} {without_query(form.action)} fields {names}")
        return form_request(self.client, form)

    @staticmethod
    def page_form(response: httpx.Response, body: str) -> Form:
        """The form on an HTML answer; anything else is a dead end for a person too."""
        where = f"{without_query(response.url)}: HTTP {response.status_code}"
        if "html" not in response.headers.get("content-type", ""):
            raise BrowserError(f"{where}, neither a redirect nor an HTML page")
        form = parse_form(body, str(response.url))
        if form is None:
            raise BrowserError(f"{where}, an HTML page with no form to submit")
        return form

    def walk(self, url: str) -> None:
        """Walk from `url` to the loopback callback and GET it, at most MAX_HOPS requests."""
        request = self.client.build_request("GET", url)
        for _ in range(MAX_HOPS):
            if is_callback(request.url):
                fetch(self.client, request)
                log("callback delivered")
                return
            response, body = fetch(self.client, request)
            request = self.next_request(response, body)
        raise BrowserError(f"no redirect to a loopback /callback URL within {MAX_HOPS} hops")


def browse(url: str, username: str, password: str) -> None:
    """Walk from `url` to the callback with a fresh cookie jar; proxies are never used."""
    with httpx.Client(timeout=TIMEOUT_SECONDS, trust_env=False) as client:
        Visit(client, username, password).walk(url)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        log("usage: browser.py URL")
        return 2
    username = os.environ.get("STANDIN_USERNAME", "alice")
    password = os.environ.get("STANDIN_PASSWORD", "pass")
    try:
        browse(argv[0], username, password)
    except (BrowserError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        log(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
