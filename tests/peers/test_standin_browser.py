"""The stand-in browser: form parsing, walks over pages from a mock transport, and walks over
the sandbox's real login pages in every dialect (DESIGN.md §5)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from conftest import CallbackListener, free_port
from processes import run_process

from pkce_tui.core.pkce import generate_verifier, make_challenge
from pkce_tui.sandbox import Sandbox


def _load_script(name: str, path: Path):
    """Import a script that is not on sys.path, registered under `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


browser = _load_script("standin_browser", Path(__file__).parent / "browser.py")

CALLBACK = "http://127.0.0.1:8765/callback"
LOGIN_PAGE = (Path(__file__).parent.parent / "data" / "login_page.html").read_text()
OBJECT_MOVED = (
    '<html><head><title>Object moved</title></head><body>\r\n'
    '<h2>Object moved to <a href="{href}">here</a>.</h2>\r\n</body></html>\r\n'
)


def html(body: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, text=body, headers={"Content-Type": "text/html; charset=utf-8"})


def redirect(location: str, status: int = 302) -> httpx.Response:
    body = OBJECT_MOVED.format(href=location.replace("&", "&amp;"))
    return httpx.Response(status, text=body, headers={"Location": location,
                                                      "Content-Type": "text/html"})


@pytest.mark.parametrize(("url", "expected"), [
    (CALLBACK + "?code=c", True),
    ("http://localhost:1/app/callback", True),
    ("http://[::1]:1/callback", True),
    ("https://127.0.0.1:1/callback", False),
    ("http://app.example.test/callback", False),
    ("http://127.0.0.1:1/callback/more", False),
])
def test_is_callback_means_a_loopback_http_callback_path(url, expected):
    assert browser.is_callback(httpx.URL(url)) is expected


def test_without_query_drops_codes_from_logged_urls():
    assert browser.without_query(CALLBACK + "?code=secret#x") == CALLBACK


class CyberArkLike:
    """Authorize without a session → Object moved to a login page; the form sets a cookie."""

    def __init__(self, password: str = "pass"):
        self.password = password
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path
        if path == "/OAuth2/Authorize/demo-app":
            if "session=ok" in request.headers.get("cookie", ""):
                return redirect(CALLBACK + "?responseType=code&code=c-1&state=s")
            return redirect("/login?cloudRedirect=Oauth2%2FAuthorize%2Fdemo-app")
        if path == "/login" and request.method == "GET":
            return html(LOGIN_PAGE)
        if path == "/login" and request.method == "POST":
            return self.login(request)
        if path == "/callback":
            return html("<p>done</p>")
        return html("<p>not found</p>", 404)

    def login(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        if (form.get("username"), form.get("password")) != ("alice", self.password):
            return html(LOGIN_PAGE)
        response = redirect("/OAuth2/Authorize/demo-app")
        response.headers["Set-Cookie"] = "session=ok; Path=/"
        return response


def walk(handler, url="http://127.0.0.1:9000/OAuth2/Authorize/demo-app", password="pass"):
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        browser.Visit(client, "alice", password).walk(url)


def test_walk_signs_in_with_cookies_and_delivers_the_callback():
    server = CyberArkLike()
    walk(server)
    login_post = next(r for r in server.seen if r.method == "POST")
    assert dict(parse_qsl(login_post.content.decode()))["flowId"] == "f-1"
    assert urlsplit(str(server.seen[-1].url)).path == "/callback"
    assert "code=c-1" in str(server.seen[-1].url)


def test_walk_fails_when_the_login_form_comes_back():
    with pytest.raises(browser.BrowserError, match="login form came back"):
        walk(CyberArkLike(), password="wrong")


def test_walk_fails_on_an_error_page_without_a_form():
    with pytest.raises(browser.BrowserError, match="HTTP 400, an HTML page with no form"):
        walk(lambda request: html("<p>redirect_uri not registered</p>", 400))


def test_walk_fails_on_a_json_answer():
    def handler(request):
        return httpx.Response(400, json={"error": "invalid_request"})

    with pytest.raises(browser.BrowserError, match="neither a redirect nor an HTML page"):
        walk(handler)


def test_walk_gives_up_after_max_hops():
    with pytest.raises(browser.BrowserError, match="within 20 hops"):
        walk(lambda request: redirect("/again"))


def test_script_without_a_url_is_a_usage_error():
    result = run_process([sys.executable, browser.__file__], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == "browser: usage: browser.py URL"


def test_script_reports_an_unreachable_page_on_one_line():
    port = free_port()
    result = run_process([sys.executable, browser.__file__, f"http://127.0.0.1:{port}/a?x=1"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"browser: error: GET http://127.0.0.1:{port}/a: ")
    assert len(result.stderr.strip().splitlines()) == 1


#: The authorize endpoint of each sandbox dialect (DESIGN.md §5), under the base URL.
SANDBOX_AUTHORIZE_PATHS = {
    "cyberark": "/cyberark/OAuth2/Authorize/demo-app",
    "pingone": "/pingone/demo-env/as/authorize",
    "cloudentity": "/cloudentity/demo/demo-ws/oauth2/authorize",
    "generic": "/generic/authorize",
}


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as running:
        yield running


def sandbox_authorize_url(sandbox: Sandbox, dialect: str, redirect_uri: str) -> str:
    challenge = make_challenge(generate_verifier()).code_challenge
    query = {"client_id": "demo-public", "response_type": "code", "scope": "openid",
             "redirect_uri": redirect_uri, "state": "state-1", "nonce": "nonce-1",
             "code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{sandbox.base_url}{SANDBOX_AUTHORIZE_PATHS[dialect]}?{urlencode(query)}"


@pytest.mark.parametrize("dialect", sorted(SANDBOX_AUTHORIZE_PATHS))
def test_browse_signs_in_on_the_sandbox_login_page(sandbox, dialect):
    with CallbackListener() as listener:
        browser.browse(sandbox_authorize_url(sandbox, dialect, listener.redirect_uri),
                       "alice", "pass")
    assert listener.params["state"] == "state-1"
    assert listener.params["code"]


@pytest.mark.parametrize("dialect", sorted(SANDBOX_AUTHORIZE_PATHS))
def test_browse_stops_when_the_sandbox_refuses_the_password(sandbox, dialect):
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    with pytest.raises(browser.BrowserError, match="login form came back"):
        browser.browse(sandbox_authorize_url(sandbox, dialect, redirect_uri), "alice", "nope")
