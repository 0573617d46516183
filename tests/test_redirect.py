"""Finding and checking the authorization response in URLs, HTTP responses and HTML pages."""

import html
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pkce_tui.core.errors import InputError, ProtocolError
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.redirect import (
    MAX_HTML_TAGS,
    MAX_INPUT_BYTES,
    NO_REDIRECT,
    RedirectResult,
    parse_http_response,
    parse_redirect,
)

DATA = Path(__file__).parent / "data" / "redirect"
STATE = "st-3f9a"
CYBERARK_CODE = "7Yx2kQ9vPz_LmN3aBcDeFgHiJkLmNoPqRsTuVwXyZ01"
LOGIN_URL = "/login?cloudRedirect=Oauth2%2FAuthorize%2Fdemo-app%3Fbounce%3DdGhpcyBpcyBvcGFxdWU"


def fixture(name: str) -> str:
    """The fixture's exact text: bytes decoded, CRLF line ends kept."""
    return (DATA / name).read_bytes().decode("utf-8")


def check(result: RedirectResult, name: str):
    return next(item for item in result.checks if item.name == name)


def object_moved(href: str) -> str:
    return (
        "<html><head><title>Object moved</title></head><body>\r\n"
        f'<h2>Object moved to <a href="{href}">here</a>.</h2>\r\n</body></html>\r\n'
    )


# --- CyberArk "Object moved" pages and raw HTTP responses ---------------------------------------


def test_cyberark_fixture_is_the_aspnet_page_byte_for_byte():
    raw = (DATA / "cyberark_object_moved_code.html").read_bytes()
    assert raw.startswith(b"<html><head><title>Object moved</title></head><body>\r\n<h2>")
    assert raw.count(b"\r\n") == 3
    assert b"&amp;code=" in raw


def test_cyberark_object_moved_with_session_gives_the_code():
    result = parse_redirect(fixture("cyberark_object_moved_code.html"), expected_state=STATE)
    assert (result.kind, result.source) == ("code", "html_anchor")
    assert result.code == CYBERARK_CODE
    assert result.redirect_url == (
        f"http://127.0.0.1:8765/callback?responseType=code&code={CYBERARK_CODE}&state={STATE}"
    )
    assert check(result, "state").ok is True
    assert check(result, "code").ok is True


def test_cyberark_camelcase_response_type_is_kept_as_a_plain_param():
    result = parse_redirect(fixture("cyberark_object_moved_code.html"))
    assert result.params == {"responseType": "code", "code": CYBERARK_CODE, "state": STATE}
    assert result.kind == "code"


def test_cyberark_object_moved_without_session_is_login_required():
    result = parse_redirect(fixture("cyberark_object_moved_login.html"), expected_state=STATE)
    assert (result.kind, result.source) == ("login_required", "html_anchor")
    assert result.redirect_url == LOGIN_URL
    assert result.params["cloudRedirect"] == "Oauth2/Authorize/demo-app?bounce=dGhpcyBpcyBvcGFxdWU"
    assert check(result, "state").ok is None
    assert check(result, "code").ok is False
    assert any("is relative" in warning for warning in result.warnings)


def test_http_response_location_wins_over_the_body():
    result = parse_redirect(fixture("cyberark_302_login.http"))
    assert (result.kind, result.source) == ("login_required", "location")
    assert result.redirect_url == LOGIN_URL


def test_http_response_with_session_gives_the_code_from_location():
    result = parse_redirect(fixture("cyberark_302_code.http"), expected_state=STATE)
    assert (result.kind, result.source, result.code) == ("code", "location", CYBERARK_CODE)


def test_http2_status_line_and_lf_line_ends_as_curl_prints_them():
    text = "HTTP/2 302 \nlocation: http://127.0.0.1:8765/callback?code=c2&state=s\nserver: x\n\n"
    result = parse_redirect(text)
    assert (result.source, result.code) == ("location", "c2")


def test_http_response_without_location_reads_the_html_body():
    text = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + fixture("form_post.html")
    result = parse_redirect(text)
    assert (result.source, result.code) == ("form_post", "fp-code-9")


def test_http_response_keeps_utf8_in_the_location_header():
    text = "HTTP/1.1 302 Found\r\nLocation: https://app.example.test/cb?code=c&note=é\r\n\r\n"
    assert parse_redirect(text).params["note"] == "é"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("HTTP/1.1 abc Found\r\n\r\n", "malformed HTTP response"),
        ("HTTP/9 302\r\n\r\n", "malformed HTTP response"),
        ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}", "HTTP 200 response has no"),
        ("HTTP/1.1 302 Found\r\nLocation: http://[::1/cb\r\n\r\n", "malformed redirect URL"),
    ],
)
def test_bad_http_responses_name_what_is_wrong(text, message):
    with pytest.raises(InputError, match=message):
        parse_redirect(text)


# --- HTML character references: why html5lib and not html.unescape ------------------------------


@pytest.mark.parametrize(
    ("href", "name", "value"),
    [
        ("/cb?code=1&copy=2", "copy", "2"),
        ("/cb?code=1&notin=2", "notin", "2"),
        ("/cb?code=1&amp;state=s", "state", "s"),
        ("/cb?code=1&amp;state=a&#38;b", "state", "a"),
    ],
)
def test_attribute_references_follow_whatwg_rules(href, name, value):
    assert parse_redirect(object_moved(href)).params[name] == value


def test_a_regex_with_html_unescape_would_get_the_url_wrong():
    href = "/cb?code=1&copy=2&notin=3"
    assert html.unescape(href) != href
    assert parse_redirect(object_moved(href)).redirect_url == href


def test_markup_inside_a_script_is_not_a_link():
    page = "<html><script>var s = '<a href=\"https://evil.example/cb?code=x\">';</script></html>"
    with pytest.raises(InputError, match="no redirect found in the HTML page"):
        parse_redirect(page)


def test_complete_references_with_a_semicolon_are_expanded_in_attributes():
    result = parse_redirect(object_moved("/cb?code=1&amp;state=x&copy;"))
    assert result.params["state"] == "x©"


# --- meta refresh and form_post -----------------------------------------------------------------


def test_meta_refresh_fixture():
    result = parse_redirect(fixture("meta_refresh.html"), expected_state=STATE)
    assert (result.kind, result.source) == ("code", "meta_refresh")
    assert result.redirect_url == f"https://app.example.test/callback?code=mr-code-1&state={STATE}"
    assert check(result, "state").ok is True


@pytest.mark.parametrize(
    "content",
    [
        "0;url=https://a.example/cb?code=m",
        "0; URL='https://a.example/cb?code=m'",
        '5 , url = "https://a.example/cb?code=m" trailing',
        "0; https://a.example/cb?code=m",
        "  1.5;Url=https://a.example/cb?code=m  ",
    ],
)
def test_meta_refresh_content_forms(content):
    page = f'<meta http-equiv="Refresh" content="{html.escape(content)}">'
    assert parse_redirect(page).redirect_url == "https://a.example/cb?code=m"


def test_meta_refresh_without_url_is_no_redirect():
    with pytest.raises(InputError, match="no redirect found in the HTML page"):
        parse_redirect('<html><meta http-equiv="refresh" content="5"></html>')


def test_form_post_fixture_reads_the_hidden_inputs():
    result = parse_redirect(
        fixture("form_post.html"), expected_state=STATE, expected_issuer="https://op.example.test",
    )
    assert (result.kind, result.source) == ("code", "form_post")
    assert result.redirect_url == "https://app.example.test/callback"
    assert result.params == {
        "code": "fp-code-9", "state": STATE, "iss": "https://op.example.test",
    }
    assert [item.ok for item in result.checks] == [True, True, True]


def test_form_with_get_method_is_not_form_post():
    page = '<form action="https://a.example/cb"><input name="code" value="x"></form>'
    with pytest.raises(InputError, match="no redirect found in the HTML page"):
        parse_redirect(page)


def test_login_form_page_is_login_required():
    page = (
        '<html><title>Sign in</title><form method="post" action="/cyberark/login">'
        '<input name="user"><input type="password" name="pw"></form></html>'
    )
    result = parse_redirect(page)
    assert (result.kind, result.redirect_url) == ("login_required", "/cyberark/login")


def test_link_carrying_a_code_is_chosen_among_other_links():
    page = '<a href="/help">help</a><p><a href="https://a.example/cb?code=k">go</a></p>'
    result = parse_redirect(page)
    assert (result.source, result.code) == ("html_anchor", "k")


@pytest.mark.parametrize("title", ["Welcome", "404 Not Found"])
def test_page_with_only_ordinary_links_has_no_redirect(title):
    with pytest.raises(InputError, match="no redirect found in the HTML page"):
        parse_redirect(f'<html><title>{title}</title><a href="/help">help</a></html>')


def test_apache_302_found_page_gives_its_link():
    page = (
        "<html><head><title>302 Found</title></head><body><h1>Found</h1>"
        '<p>The document has moved <a href="https://a.example/cb?x=1">here</a>.</p></body></html>'
    )
    result = parse_redirect(page)
    assert (result.source, result.kind) == ("html_anchor", "none")


# --- callback URLs: fragment, errors, checks, warnings ------------------------------------------


def test_fragment_wins_when_it_carries_the_code():
    result = parse_redirect(
        fixture("fragment_callback.txt"), expected_state=STATE,
        expected_issuer="https://op.example.test",
    )
    assert (result.source, result.code) == ("url", "frag-code-5")
    assert "from" not in result.params
    assert check(result, "iss").ok is True
    assert "parameters in both the query and the fragment; the fragment's are used" in (
        result.warnings
    )


def test_query_is_used_when_the_fragment_is_only_a_route():
    result = parse_redirect("https://a.example/cb?code=q1&state=s#/home")
    assert result.code == "q1"
    assert result.warnings == (
        "parameters in both the query and the fragment; the query's are used",
    )


def test_error_redirect_carries_the_description():
    result = parse_redirect(fixture("error_redirect.txt"), expected_state=STATE)
    assert result.kind == "error"
    assert result.error == "access_denied"
    assert result.error_description == "The resource owner denied the request"
    assert check(result, "state").ok is True
    assert check(result, "code").detail == "no code: the server answered error 'access_denied'"


def test_cloudentity_error_redirect_keeps_hint_cause_and_trace_id():
    result = parse_redirect(fixture("cloudentity_error.http"), expected_state=STATE)
    assert (result.kind, result.source, result.error) == ("error", "location", "invalid_request")
    assert result.params["error_hint"] == "code_challenge is required for this client"
    assert result.params["error_cause"] == "invalid_pkce"
    assert result.params["trace_id"] == "5b3a8e1f0c2d4e6f"


def test_iss_mismatch_fails_the_iss_check():
    result = parse_redirect(
        fixture("iss_mismatch.txt"), expected_issuer="https://op.example.test",
    )
    iss = check(result, "iss")
    assert iss.ok is False
    assert "'https://attacker.example.test' differs" in iss.detail
    assert "RFC 9207" in iss.detail


def test_iss_must_match_exactly_even_a_trailing_slash():
    url = "https://a.example/cb?code=c&iss=https%3A%2F%2Ftenant.example%2Fapp"
    result = parse_redirect(url, expected_issuer="https://tenant.example/app/")
    assert check(result, "iss").ok is False


def test_absent_iss_cannot_be_checked_and_says_the_server_does_not_send_it():
    iss = check(parse_redirect("https://a.example/cb?code=c", expected_issuer="https://op"), "iss")
    assert iss.ok is None
    assert "does not send iss" in iss.detail


def test_iss_without_expected_issuer_cannot_be_checked():
    assert check(parse_redirect("https://a.example/cb?code=c&iss=x"), "iss").ok is None


@pytest.mark.parametrize(
    ("url", "expected", "ok"),
    [
        ("https://a.example/cb?code=c&state=good", "good", True),
        ("https://a.example/cb?code=c&state=evil", "good", False),
        ("https://a.example/cb?code=c", "good", False),
        ("https://a.example/cb?code=c&state=good", None, None),
    ],
)
def test_state_check(url, expected, ok):
    assert check(parse_redirect(url, expected_state=expected), "state").ok is ok


def test_state_mismatch_detail_names_both_values():
    detail = check(parse_redirect("https://a.example/cb?code=c&state=x", expected_state="y"),
                   "state").detail
    assert "'x' differs from the 'y' sent" in detail


def test_duplicated_params_warn_and_the_first_is_used():
    result = parse_redirect("https://a.example/cb?code=one&code=two&state=s")
    assert result.code == "one"
    assert "parameter 'code' appears 2 times in the query; the first is used" in (
        result.warnings[0]
    )


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://app.example.test/cb?code=c", True),
        ("http://10.0.0.5/cb?code=c", True),
        ("http://127.0.0.1:8765/callback?code=c", False),
        ("http://[::1]:8765/callback?code=c", False),
        ("http://localhost:8765/callback?code=c", False),
        ("https://app.example.test/cb?code=c", False),
        ("http://app.example.test/cb?error=access_denied", False),
    ],
)
def test_code_over_plain_http_to_a_remote_host_warns(url, warned):
    warnings = parse_redirect(url).warnings
    assert any("plain http" in warning for warning in warnings) is warned


def test_error_outranks_a_code_sent_with_it():
    result = parse_redirect("https://a.example/cb?code=c&error=server_error")
    assert result.kind == "error"
    assert "both an error and a code" in result.warnings[0]


def test_relative_url_is_kept_and_warned():
    result = parse_redirect("/callback?code=c")
    assert result.redirect_url == "/callback?code=c"
    assert result.warnings == (
        "redirect URL '/callback?code=c' is relative: it resolves against the page's URL",
    )


def test_private_use_scheme_of_a_native_app_is_read():
    result = parse_redirect("com.example.app:/oauth2redirect?code=n&state=s")
    assert (result.kind, result.code) == ("code", "n")


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://apps.pingone.com/env-1/signon/?flowId=f1", "login_required"),
        ("https://app.example.test/loginPage?environmentId=e&flowId=f1", "login_required"),
        ("https://tenant.example/Login.aspx?ReturnUrl=%2F", "login_required"),
        ("https://auth.pingone.com/env-1/as/resume?flowId=f1", "none"),
        ("https://app.example.test/callback?state=s", "none"),
    ],
)
def test_login_pages_and_plain_urls_are_told_apart(url, kind):
    assert parse_redirect(url).kind == kind


def test_empty_code_is_not_a_code():
    result = parse_redirect("https://a.example/cb?code=&state=s")
    assert (result.kind, result.code) == ("none", None)
    assert "the code parameter is empty" in result.warnings


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "hello world", "code=abc&state=xyz", "{\"a\": 1}"])
def test_text_that_is_no_url_response_or_page_is_refused(text):
    with pytest.raises(InputError) as caught:
        parse_redirect(text)
    assert str(caught.value) == NO_REDIRECT


def test_byte_order_mark_and_surrounding_whitespace_are_ignored():
    assert parse_redirect("\ufeff  https://a.example/cb?code=c\n").code == "c"


def test_malformed_url_is_an_input_error():
    with pytest.raises(InputError, match="malformed redirect URL"):
        parse_redirect("http://[::1/callback?code=c")


def test_input_over_one_megabyte_is_refused():
    with pytest.raises(InputError, match="input too large: over 1048576 bytes"):
        parse_redirect("<html>" + "x" * MAX_INPUT_BYTES)


def test_multibyte_text_is_measured_in_bytes():
    with pytest.raises(InputError, match="too large"):
        parse_redirect("<p>" + "é" * (MAX_INPUT_BYTES // 2 + 1))


def test_deeply_nested_html_within_the_tag_bound_is_parsed():
    page = "<div>" * (MAX_HTML_TAGS - 2) + '<a href="https://a.example/cb?code=deep">x</a>'
    assert parse_redirect(page).code == "deep"


def test_html_with_more_tags_than_the_bound_is_refused_before_parsing():
    page = "<div>" * 100_000 + "</p>" * 100_000
    message = f"HTML page too large: 200000 tags, at most {MAX_HTML_TAGS}"
    with pytest.raises(InputError, match=message):
        parse_redirect(page)


# --- parse_http_response ------------------------------------------------------------------------


def test_parse_http_response_reads_the_location_header():
    response = HttpResponse(
        status=302, headers=(("location", "https://a.example/cb?code=h&state=s"),),
        body="", url="https://as.example/authorize",
    )
    result = parse_http_response(response, expected_state="s")
    assert (result.source, result.code, check(result, "state").ok) == ("location", "h", True)


def test_parse_http_response_reads_a_form_post_body():
    response = HttpResponse(status=200, headers=(), body=fixture("form_post.html"))
    assert parse_http_response(response).source == "form_post"


def test_parse_http_response_without_redirect_is_a_protocol_error():
    response = HttpResponse(
        status=400, headers=(("content-type", "application/json"),),
        body='{"error":"invalid_request"}', url="https://as.example/authorize",
    )
    with pytest.raises(ProtocolError, match="https://as.example/authorize: HTTP 400 response"):
        parse_http_response(response)


# --- JSON shape ---------------------------------------------------------------------------------


def test_to_json_has_exactly_the_parse_redirect_shape_with_nulls():
    data = parse_redirect("https://a.example/cb?code=c").to_json()
    assert list(data) == [
        "kind", "source", "redirect_url", "params", "code", "state", "iss", "error",
        "error_description", "checks", "warnings", "page_link",
    ]
    assert (data["state"], data["iss"], data["error"], data["error_description"]) == (
        None, None, None, None,
    )
    assert [item["name"] for item in data["checks"]] == ["state", "iss", "code"]
    assert set(data["checks"][0]) == {"name", "ok", "detail"}
    assert data["warnings"] == []


# --- properties ---------------------------------------------------------------------------------


def raises_only_input_error(text: str) -> None:
    try:
        result = parse_redirect(text, expected_state="s", expected_issuer="https://op")
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert result.kind in ("code", "error", "login_required", "none")


@given(st.text())
def test_any_text_raises_nothing_but_input_error(text):
    raises_only_input_error(text)


html_pieces = st.sampled_from([
    "<a href=", "<meta http-equiv=refresh content=", "<form method=post action=", "<input ",
    "name=code ", "value=", "type=password ", "<title>Object moved</title>", '"', "'", ">",
    "&amp;", "&copy", "&#", "&#x", ";", "=", "?", "#", "code=", "error=", "state=", "http://",
    "[::1", ":99999", "/login", "flowId", "<!--", "<script>", "</a>", "0;url=", "\r\n", " ",
])


@settings(max_examples=300)
@given(st.lists(st.one_of(html_pieces, st.text(max_size=5)), max_size=30).map("".join))
def test_any_html_ish_text_raises_nothing_but_input_error(text):
    raises_only_input_error(text)


@given(st.lists(st.one_of(html_pieces, st.text(max_size=8)), max_size=20).map("".join))
def test_any_http_ish_text_raises_nothing_but_input_error(text):
    raises_only_input_error("HTTP/1.1 302 Found\r\nLocation: " + text)
    raises_only_input_error("HTTP/1.1 200 OK\r\n" + text)


def test_a_302_with_an_object_moved_page_keeps_the_pages_link_beside_the_location():
    location = "http://127.0.0.1:8765/callback?responseType=code&code=c0de&state=s1"
    page = ("<html><head><title>Object moved</title></head><body>\r\n<h2>Object moved to "
            f'<a href="{location.replace("&", "&amp;")}">here</a>.</h2>\r\n</body></html>\r\n')
    response = HttpResponse(302, (("Location", location),), page)
    result = parse_http_response(response, expected_state="s1")
    assert (result.source, result.page_link) == ("location", location)
    assert result.to_json()["page_link"] == location and result.warnings == ()
    moved_elsewhere = HttpResponse(302, (("Location", location),),
                                   page.replace("c0de", "other"))
    warnings = parse_http_response(moved_elsewhere).warnings
    assert any("differs from the Location header" in w for w in warnings)


def test_a_plain_url_has_no_page_link():
    assert parse_redirect("http://127.0.0.1:8765/callback?code=c").page_link is None


def test_a_pasted_response_whose_location_has_the_code_is_not_parsed_further(monkeypatch):
    """The Location header wins: the page after it may be anything and is never parsed."""
    from pkce_tui.core import redirect_input

    parsed_pages: list[str] = []
    monkeypatch.setattr(redirect_input, "from_html", lambda text: parsed_pages.append(text))
    page = "<html>" + "<div>" * 50_000 + "</html>"
    text = f"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:8765/callback?code=c&state=s\r\n" \
           f"Content-Type: text/html\r\n\r\n{page}"
    result = parse_redirect(text, expected_state="s")
    assert (result.source, result.code) == ("location", "c") and parsed_pages == []
