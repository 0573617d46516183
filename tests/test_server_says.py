"""The server's own words, read from every shape a provider answers in (DIALECTS.md)."""

from __future__ import annotations

import json

import pytest

from pkce_tui.core.http import HttpResponse
from pkce_tui.core.server_says import from_html, from_params, from_response

JSON = (("Content-Type", "application/json"),)
HTML = (("Content-Type", "text/html; charset=utf-8"),)


def answer(status: int, body: object, headers: tuple = JSON) -> HttpResponse:
    text = body if isinstance(body, str) else json.dumps(body)
    return HttpResponse(status, headers, text)


def test_an_oauth_error_keeps_its_three_fields():
    words = from_response(answer(400, {"error": "invalid_grant", "error_description": "used",
                                       "error_uri": "https://op.test/e"}))
    assert words.to_json() == {"source": "json", "error": "invalid_grant",
                               "error_description": "used", "error_uri": "https://op.test/e"}


def test_cloudentity_keeps_hint_cause_status_and_trace_id():
    body = {"error": "invalid_client", "error_description": "Client authentication failed "
            "(e.g., unknown client, no client authentication included, or unsupported "
            "authentication method).", "error_hint": "client secret is wrong",
            "status_code": 401, "cause": "invalid_client_secret", "details": {}}
    words = from_response(answer(401, body, JSON + (("X-Trace-ID", "t-123"),)))
    assert (words.cause, words.get("trace_id"), words.get("status_code")) == (
        "invalid_client_secret", "t-123", 401)
    assert words.specific == "client secret is wrong"
    assert "details" not in words.to_json()


def test_pingone_details_and_correlation_id():
    body = {"id": "e1", "code": "INVALID_DATA", "message": "The request could not be "
            "completed.", "details": [{"code": "INVALID_VALUE", "target": "redirect_uri",
                                       "message": "redirect_uri is not registered"}]}
    words = from_response(answer(400, body))
    assert words.details == [{"code": "INVALID_VALUE", "target": "redirect_uri",
                              "message": "redirect_uri is not registered"}]
    assert words.specific == "redirect_uri is not registered"
    denied = from_response(answer(401, {"error": "invalid_client", "error_description":
                                        "Request denied: Unsupported authentication method "
                                        "(Correlation ID: ab-12)"}))
    assert denied.get("correlation_id") == "ab-12"


def test_cyberark_envelope_on_http_200():
    body = {"success": False, "Result": {"Summary": "Failure"}, "Message": "Authentication "
            "(login or challenge) has failed.", "ErrorID": "E1", "ErrorCode": None}
    words = from_response(answer(200, body))
    assert words.to_json() == {"source": "cyberark", "success": False, "Message":
                               "Authentication (login or challenge) has failed.",
                               "ErrorID": "E1", "Summary": "Failure"}


def test_a_success_says_nothing():
    assert from_response(answer(200, {"access_token": "x", "token_type": "Bearer"})) is None
    assert from_response(answer(200, "<html>login</html>", HTML)) is None


def test_json_in_an_html_error_page_is_read_as_json():
    page = ('<html><body><h1>Error</h1><pre>{"error": "invalid_request", "error_hint": '
            '"redirect_uri is not registered", "cause": "invalid_redirect_uri"}</pre></body>'
            '</html>')
    words = from_response(answer(400, page, HTML))
    assert (words.source, words.cause, words.error) == ("html_json", "invalid_redirect_uri",
                                                       "invalid_request")


def test_the_visible_text_of_an_html_error_page():
    """oidc-provider's error page prints `error: …` and `error_description: …`."""
    page = ("<!DOCTYPE html><html><head><title>oops! something went wrong</title>"
            "<style>body{}</style><script>var x = 'hidden';</script></head><body><div>"
            "<h1>oops! something went wrong</h1><pre><strong>error</strong>: invalid_client"
            "<br><strong>error_description</strong>: client is invalid</pre></div></body>"
            "</html>")
    words = from_html(page)
    assert (words.error, words.error_description) == ("invalid_client", "client is invalid")
    assert "hidden" not in words.get("text") and "body{}" not in words.get("text")
    assert words.get("title") == "oops! something went wrong"


def test_plain_text_and_an_empty_error():
    assert from_response(answer(502, "Bad Gateway", (("Content-Type", "text/plain"),))).get(
        "text") == "Bad Gateway"
    assert from_response(answer(404, "", ())).get("text") == "HTTP 404 with no body"


@pytest.mark.parametrize("where", ["?", "#"])
def test_redirect_errors_in_the_query_or_fragment(where):
    location = (f"http://127.0.0.1/cb{where}error=access_denied&error_description=no"
                "&error_hint=policy&trace_id=t1&state=s")
    words = from_response(HttpResponse(302, (("Location", location),), ""))
    assert words.source == ("query" if where == "?" else "fragment")
    assert (words.error, words.get("error_hint"), words.get("trace_id")) == (
        "access_denied", "policy", "t1")
    assert from_params({"code": "c"}) is None


def test_a_deeply_nested_page_is_read_without_recursion():
    page = "<div>" * 5000 + "deep words" + "</div>" * 5000
    assert "deep words" in from_html(page).get("text")


def test_a_bearer_challenge_without_a_body():
    """RFC 6750 §3: userinfo says why in WWW-Authenticate."""
    words = from_response(HttpResponse(401, (("WWW-Authenticate", 'Bearer error="invalid_token", '
                                              'error_description="expired"'),), ""))
    assert (words.source, words.error, words.error_description) == (
        "www_authenticate", "invalid_token", "expired")


def test_a_step_that_kept_no_words_still_shows_what_its_response_says():
    """Every HTTP step carries server_says (DESIGN.md §3), even one built elsewhere."""
    from pkce_tui.core.http import HttpRequest
    from pkce_tui.core.step_result import StepResult

    refused = StepResult("revocation", "error", "x", request=HttpRequest("POST", "https://op/r"),
                         response=answer(401, {"error": "invalid_client"}))
    assert refused.to_json()["server_says"] == {"source": "json", "error": "invalid_client"}
    fine = StepResult("userinfo", "ok", "x", request=HttpRequest("GET", "https://op/u"),
                      response=answer(200, {"sub": "alice"}))
    assert fine.to_json()["server_says"] is None
    assert "server_says" not in StepResult("verifier", "ok", "x").to_json()
