"""Hypothesis fuzzing of every parser: whatever the input, only the project's own errors.

Inputs are built from pieces that broke parsers before (brackets in hosts, ports past 65535,
lone surrogates, integers past a float, markup, control characters), mixed with arbitrary
text. The example budget is fixed and derandomized, so a run is fast and repeatable.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pkce_tui.cli import main
from pkce_tui.core import har, jwt
from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.htmlform import parse_form
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.providers import parse_discovery
from pkce_tui.core.redirect import parse_http_response, parse_redirect
from pkce_tui.core.token import parse_token_response
from pkce_tui.output import finite, json_inert

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=list(HealthCheck))

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # surrogates and controls too
WILD = st.sampled_from([
    "[", "]", "[::1", "[::1]", "[zz::1]", "[v1.x]", "::", ":99999", ":-1", ":0", ":65536",
    ":1e3", "%", "%ff", "%00", "\ud800", "\udfff", "\x00", "\x1b[2J", "\x9b", "\u202e", "@",
    "#", "?", "&", "=", "&amp;", "\\", "//", " ", "\r\n", "[/nothing]", "[bold]", "é", "💥",
])
FRAGMENT = st.one_of(WILD, st.text(ANY_CHAR, max_size=8))
WILD_TEXT = st.lists(FRAGMENT, max_size=8).map("".join)
SCHEME = st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", "", "http:"])
HOST = st.one_of(st.sampled_from(["127.0.0.1", "localhost", "[::1]", "app.example.test", "",
                                  "[::1", "[zz::1]", "a b", "127.0.0.1:99999"]), WILD_TEXT)
PORT = st.one_of(st.just(""), st.sampled_from([":8765", ":99999", ":-1", ":0", ":x", ":"]),
                 st.integers(-10, 10**6).map(lambda n: f":{n}"))
QUERY = st.lists(st.tuples(st.sampled_from(["code", "state", "iss", "error",
                                            "error_description", "responseType"]) | WILD_TEXT,
                           WILD_TEXT), max_size=4)
URL = st.builds(lambda s, h, p, path, q: f"{s}://{h}{p}/{path}?"
                + "&".join(f"{k}={v}" for k, v in q),
                SCHEME, HOST, PORT, WILD_TEXT, QUERY) | WILD_TEXT
NUMBER = st.one_of(st.integers(-(10**400), 10**400), st.sampled_from([10**400, -(10**400)]),
                   st.floats(allow_nan=False), st.booleans(), WILD_TEXT)
JSON_VALUE = st.recursive(st.one_of(st.none(), NUMBER, WILD_TEXT),
                          lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(WILD_TEXT, inner, max_size=3), max_leaves=10)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def json_text(value: object) -> str:
    """JSON as a server might write it: integers past a float, lone surrogates escaped."""
    return json.dumps(value)


@st.composite
def jwts(draw) -> str:
    claims = {name: draw(NUMBER) for name in draw(st.lists(
        st.sampled_from(["exp", "iat", "nbf", "auth_time"]), max_size=4))}
    claims.update(draw(st.dictionaries(st.sampled_from(["iss", "aud", "azp", "nonce", "sub",
                                                        "at_hash", "c_hash"]) | WILD_TEXT,
                                       JSON_VALUE, max_size=4)))
    header = draw(st.dictionaries(st.sampled_from(["alg", "kid", "typ", "jku", "crit"]),
                                  JSON_VALUE, max_size=3))
    parts = [b64(json_text(header).encode()), b64(json_text(claims).encode()),
             draw(st.sampled_from(["c2ln", "", "!!", "\ud800"]))]
    return draw(st.sampled_from([".".join(parts), ".".join(parts[:2]), ".".join(parts) + "."]))


def page_with(url: str, extra: str) -> str:
    escaped = url.replace("&", "&amp;").replace('"', "&quot;")
    return (f'<html><head><meta http-equiv="refresh" content="0;url={escaped}"></head>'
            f'<body>{extra}<h2>Object moved to <a href="{escaped}">here</a>.</h2>'
            f'<form method="post" action="{escaped}"><input name="code" value="{extra}">'
            f'<input type="password" name="p"></form></body></html>')


HTML = st.builds(page_with, URL, WILD_TEXT) | WILD_TEXT


@st.composite
def har_texts(draw) -> str:
    def entry(url: str, status: int, location: str, body: str) -> dict:
        return {"startedDateTime": draw(st.sampled_from(["2026-01-01T00:00:00Z", "", "x"])),
                "request": {"method": draw(st.sampled_from(["GET", "POST", ""])), "url": url,
                            "headers": [], "queryString": [],
                            "postData": {"mimeType": "application/x-www-form-urlencoded",
                                         "text": draw(WILD_TEXT)}},
                "response": {"status": status, "headers": [{"name": "Location",
                                                            "value": location}],
                             "content": {"text": body, "mimeType": "text/html"}}}

    entries = [entry(draw(URL), draw(st.sampled_from([200, 302, 400, 99999, -1])), draw(URL),
                     draw(HTML)) for _ in range(draw(st.integers(0, 3)))]
    document = {"log": {"version": "1.2", "entries": entries}}
    return draw(st.sampled_from([json.dumps(document), json.dumps(document)[:-3]]))


def only_our_errors(call, *args, **kwargs) -> object:
    try:
        return call(*args, **kwargs)
    except PkceTuiError:
        return None


def as_output(document: object) -> None:
    """What --json would print must be writable as UTF-8."""
    json_inert(json.dumps(finite(document), ensure_ascii=False)).encode("utf-8")


@FUZZ
@given(URL | HTML, st.sampled_from([None, "s", "\ud800"]))
def test_redirect_parsing_raises_only_its_own_errors(text, state):
    result = only_our_errors(parse_redirect, text, expected_state=state, expected_issuer=state)
    if result is not None:
        as_output(result.to_json())


@FUZZ
@given(st.integers(-5, 1000), URL, HTML)
def test_http_response_parsing_raises_only_its_own_errors(status, location, body):
    response = HttpResponse(status, (("Location", location),), body)
    only_our_errors(parse_http_response, response, expected_state="s")
    only_our_errors(parse_token_response, response)
    only_our_errors(parse_discovery, "http://127.0.0.1/x", response)


@FUZZ
@given(HTML, URL)
def test_html_form_parsing_raises_only_its_own_errors(page, page_url):
    only_our_errors(parse_form, page, page_url)


@FUZZ
@given(jwts(), st.sampled_from([None, {"keys": []}, {"keys": [{"kty": "EC", "kid": "k"}]}]))
def test_jwt_validation_raises_only_its_own_errors(token, jwks):
    report = only_our_errors(jwt.validate, token, jwks=jwks, issuer="i", audience="a",
                             nonce="n", access_token="t")
    if report is not None:
        as_output(report.to_json())


@FUZZ
@given(har_texts())
def test_har_parsing_raises_only_its_own_errors(text):
    only_our_errors(har.authorization_response, text)
    loaded = only_our_errors(har.load_flow, text)
    if loaded is not None:
        as_output(loaded.state.to_json())


@FUZZ
@given(st.integers(0, 600), JSON_VALUE.map(json_text) | WILD_TEXT)
def test_json_bodies_raise_only_our_errors(status, body):
    response = HttpResponse(status, (("Content-Type", "application/json"),), body)
    response.json()
    only_our_errors(parse_token_response, response)
    only_our_errors(parse_discovery, "http://127.0.0.1/x", response)


OPTION_VALUE = st.one_of(URL, WILD_TEXT, NUMBER.map(str), st.sampled_from(["-", "--", "-abc"]))
ARGV = st.one_of(
    st.tuples(st.just("pkce"), st.sampled_from(["--verifier", "--length", "--method"]),
              OPTION_VALUE),
    st.tuples(st.just("parse-redirect"), URL, st.sampled_from(["--state", "--issuer"]),
              OPTION_VALUE),
    st.tuples(st.just("jwt"), jwts(), st.sampled_from(["--leeway", "--issuer", "--jwks",
                                                        "--timeout"]), OPTION_VALUE),
    st.tuples(st.just("flow"), st.sampled_from(["--redirect-uri", "--param", "--token-param",
                                                "--timeout", "--verifier", "--jwks-uri",
                                                "--authorize-endpoint", "--state"]),
              OPTION_VALUE),
    st.lists(OPTION_VALUE, max_size=4).map(tuple),
)


@FUZZ
@given(argv=ARGV, as_json=st.booleans())
def test_command_line_parsing_never_raises(argv, as_json, tmp_path_factory):
    argv = [*argv, *(["--json"] if as_json else [])]
    if argv and argv[0] == "flow":  # never waits: no listener, a dead port, a missing file
        missing = str(tmp_path_factory.getbasetemp() / "missing")
        argv += ["--client-id", "c", "--issuer", "http://127.0.0.1:9/x", "--redirect-from",
                 missing, "--timeout", "1"]
    if not argv or argv[0] not in ("pkce", "parse-redirect", "jwt", "flow"):
        argv = ["pkce", *argv]  # never the TUI, the demo or a sandbox that runs until stopped
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    assert code in (0, 1, 2), (argv, err.getvalue())
    assert "Traceback" not in err.getvalue()
    out.getvalue().encode("utf-8")
    err.getvalue().encode("utf-8")
