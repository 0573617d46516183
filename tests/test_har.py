"""The authorization response found in a browser's HAR export, and bad HAR files refused."""

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pkce_tui.core.errors import InputError
from pkce_tui.core.har import authorization_response, looks_like_har
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.redirect import parse_redirect

CALLBACK = "http://127.0.0.1:8765/callback?responseType=code&code=c0de&state=s1"
OBJECT_MOVED = ("<html><head><title>Object moved</title></head><body>\r\n<h2>Object moved to "
                f'<a href="{CALLBACK.replace("&", "&amp;")}">here</a>.</h2>\r\n</body></html>\r\n')


def entry(url: str, status: int = 200, location: str | None = None, body: str = "") -> dict:
    headers = [{"name": "Content-Type", "value": "text/html; charset=utf-8"}]
    if location:
        headers.append({"name": "Location", "value": location})
    return {"request": {"method": "GET", "url": url, "headers": []},
            "response": {"status": status, "headers": headers, "redirectURL": location or "",
                         "content": {"mimeType": "text/html", "text": body}}}


def har(*entries: dict) -> str:
    return json.dumps({"log": {"version": "1.2", "entries": list(entries)}})


def test_the_cyberark_302_entry_is_the_authorization_response():
    text = har(entry("https://t.example/cyberark/login"),
               entry("https://t.example/OAuth2/Authorize/app?x=1", 302, CALLBACK, OBJECT_MOVED),
               entry(CALLBACK, 200))
    response = authorization_response(text)
    assert isinstance(response, HttpResponse) and response.status == 302
    result = parse_redirect(text, expected_state="s1")
    assert (result.kind, result.code, result.source) == ("code", "c0de", "location")


def test_a_302_whose_location_was_stripped_falls_back_to_the_page():
    moved = entry("https://t.example/OAuth2/Authorize/app", 302, None, OBJECT_MOVED)
    moved["response"]["redirectURL"] = CALLBACK
    result = parse_redirect(har(moved))
    assert result.code == "c0de"


def test_the_callback_request_is_used_when_no_redirect_was_recorded():
    result = parse_redirect(har(entry("https://t.example/a"), entry(CALLBACK)))
    assert (result.source, result.code) == ("url", "c0de")


def test_an_error_redirect_is_found_too():
    error = "http://127.0.0.1:8765/callback?error=access_denied&state=s1"
    result = parse_redirect(har(entry("https://t.example/authorize", 302, error)))
    assert (result.kind, result.error) == ("error", "access_denied")


def test_base64_bodies_are_decoded():
    moved = entry("https://t.example/authorize", 200, None, "")
    moved["response"]["content"] = {"encoding": "base64",
                                    "text": base64.b64encode(OBJECT_MOVED.encode()).decode()}
    moved["request"]["url"] = "https://t.example/authorize"
    moved["response"]["status"] = 302
    moved["response"]["redirectURL"] = CALLBACK
    assert parse_redirect(har(moved)).code == "c0de"


@pytest.mark.parametrize(("text", "message"), [
    ('{"log": ', "not JSON"),
    ('{"log": {"entries": 3}}', "no log.entries"),
    (har(entry("https://t.example/")), "no authorization response"),
    pytest.param('{"log": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply",
                 id="nested-50000-deep"),
])
def test_bad_har_files_are_one_line_errors(text, message):
    with pytest.raises(InputError, match=message):
        parse_redirect(text)


def test_only_a_json_object_with_log_is_taken_for_a_har():
    assert looks_like_har(har())
    assert not looks_like_har('{"code": "x"}')
    assert not looks_like_har(CALLBACK)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.sampled_from(["log", "entries", "request", "response",
                                                       "url", "status", "headers", "content",
                                                       "text", "redirectURL", "name", "value"]),
                                      children, max_size=5), max_leaves=30))
def test_any_json_raises_nothing_but_input_error(document):
    text = json.dumps({"log": document})
    try:
        parse_redirect(text)
    except InputError:
        pass
