"""Rebuilding from hand-made HARs: the shapes a recording against the sandbox does not give
(PAR, form_post, a refused discovery document, stripped bodies, unanswered requests)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pkce_tui.core.errors import InputError
from pkce_tui.core.har import load_flow, replay_config

IDP = "https://idp.example.test"
APP = "https://app.example.test/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
AUTHORIZE = {"client_id": "app", "redirect_uri": APP, "response_type": "code",
             "scope": "openid", "state": "s1", "nonce": "n1", "code_challenge": CHALLENGE,
             "code_challenge_method": "S256"}


def entry(second: int, method: str, url: str, status: int = 200, *, location: str | None = None,
          body: str | None = None, mime: str = "text/html", form: dict | None = None,
          headers: tuple = ()) -> dict:
    response_headers = [{"name": "Content-Type", "value": mime}]
    if location:
        response_headers.append({"name": "Location", "value": location})
    request = {"method": method, "url": url,
               "headers": [{"name": n, "value": v} for n, v in headers]}
    if form is not None:
        request["postData"] = {"mimeType": "application/x-www-form-urlencoded",
                               "text": urlencode(form)}
    content = {"mimeType": mime, **({"text": body} if body is not None else {})}
    return {"startedDateTime": f"2026-11-20T10:00:{second:02d}.000Z", "time": 10,
            "request": request, "response": {"status": status, "headers": response_headers,
                                             "content": content}}


def har(*entries: dict) -> str:
    return json.dumps({"log": {"version": "1.2", "entries": list(entries)}})


def discovery(issuer: str = IDP) -> dict:
    return entry(0, "GET", f"{IDP}/.well-known/openid-configuration", mime="application/json",
                 body=json.dumps({"issuer": issuer, "authorization_endpoint": f"{IDP}/authorize",
                                  "token_endpoint": f"{IDP}/token"}))


def authorize(params: dict = AUTHORIZE, *, location: str | None = None) -> dict:
    return entry(1, "GET", f"{IDP}/authorize?{urlencode(params)}", 302 if location else 200,
                 location=location, body="<form method=post action=/login></form>")


def callback(**params: str) -> str:
    return f"{APP}?{urlencode(params)}"


def ids(text: str) -> dict[str, str]:
    return {d.id: d.step for d in load_flow(text).state.diagnosis}


def test_a_state_that_comes_back_changed_is_named():
    text = har(discovery(), authorize(location=callback(code="c", state="forged", iss=IDP)))
    assert ids(text)["state_mismatch"] == "redirect"


def test_an_iss_naming_another_issuer_is_named():
    text = har(discovery(), authorize(location=callback(code="c", state="s1",
                                                        iss="https://evil.example.test")))
    assert ids(text)["iss_mismatch"] == "redirect"


def test_a_refused_discovery_document_is_named_and_the_rest_still_rebuilt():
    text = har(discovery(issuer="https://other.example.test"),
               authorize(location=callback(code="c", state="s1")))
    flow = load_flow(text)
    assert {d.id: d.step for d in flow.state.diagnosis}["issuer_mismatch"] == "discovery"
    assert flow.state.status("redirect") == "ok" and flow.state.value("redirect").code == "c"


def test_an_object_moved_page_without_its_location_still_carries_the_code():
    link = callback(responseType="code", code="om-code", state="s1").replace("&", "&amp;")
    page = ("<html><head><title>Object moved</title></head><body>\r\n<h2>Object moved to "
            f'<a href="{link}">here</a>.</h2>\r\n</body></html>\r\n')
    moved = entry(1, "GET", f"{IDP}/authorize?{urlencode(AUTHORIZE)}", 302, body=page)
    flow = load_flow(har(discovery(), moved))
    assert flow.state.value("redirect").code == "om-code"
    assert flow.state.result("redirect").data["source"] == "html_anchor"


def test_a_pushed_request_made_by_a_back_end_is_said_missing():
    text = har(authorize({"client_id": "app", "request_uri": "urn:par:1"},
                         location=callback(code="c")))
    flow = load_flow(text)
    assert flow.state.result("authorize").data["par"] == {"request_uri": "urn:par:1",
                                                          "seen": False}
    assert flow.state.status("par") == "skipped" and flow.state.ok
    assert any(m.startswith("pushed authorization request") for m in flow.missing)
    assert "request_uri" not in dict(replay_config(flow.state).extra_params)


def test_a_pushed_request_the_browser_sent_gives_the_parameters():
    par = entry(0, "POST", f"{IDP}/par", 201, mime="application/json", form=AUTHORIZE,
                body=json.dumps({"request_uri": "urn:par:2", "expires_in": 60}))
    text = har(par, authorize({"client_id": "app", "request_uri": "urn:par:2"},
                              location=callback(code="c", state="s1")))
    flow = load_flow(text)
    assert flow.state.config.redirect_uri == APP and flow.state.config.method == "S256"
    assert flow.state.result("authorize").data["par"]["seen"] is True
    par_step = flow.state.result("par")
    assert par_step.status == "warning" or par_step.status == "ok"
    assert par_step.data["request_uri"] == "urn:par:2" and replay_config(flow.state).par
    assert flow.state.status("redirect") == "ok"


def test_a_form_post_response_is_read_from_the_page_and_the_callback():
    page = (f'<html><body onload="document.forms[0].submit()"><form method="post" '
            f'action="{APP}"><input type="hidden" name="code" value="fp-code">'
            '<input type="hidden" name="state" value="s1"></form></body></html>')
    params = {**AUTHORIZE, "response_mode": "form_post"}
    text = har(discovery(), entry(1, "GET", f"{IDP}/authorize?{urlencode(params)}", body=page),
               entry(2, "POST", APP, form={"code": "fp-code", "state": "s1"}))
    flow = load_flow(text)
    redirect = flow.state.result("redirect")
    assert redirect.status == "ok" and redirect.data["source"] == "form_post"
    assert flow.flows[0].outcome == "code"


def test_a_token_request_without_an_answer_or_a_body_is_said_missing():
    token = {"grant_type": "authorization_code", "code": "c", "redirect_uri": APP,
             "client_id": "app", "code_verifier": VERIFIER}
    unanswered = entry(3, "POST", f"{IDP}/token", form=token)
    unanswered["response"] = {"status": 0, "headers": [], "content": {}}
    text = har(discovery(), authorize(location=callback(code="c", state="s1")), unanswered)
    flow = load_flow(text)
    assert flow.state.status("token") == "error"
    assert any(m.startswith("token response:") for m in flow.missing)
    assert next(c.ok for c in flow.checks if c.name == "pkce") is True
    empty = entry(3, "POST", f"{IDP}/token", form=token, mime="application/json")
    flow = load_flow(har(discovery(), authorize(location=callback(code="c", state="s1")), empty))
    assert any(m.startswith("token response body:") for m in flow.missing)


def test_cookies_in_the_login_mean_none_were_stripped():
    login = entry(2, "POST", f"{IDP}/login", 302, location=callback(code="c", state="s1"),
                  form={"username": "u", "password": "p"}, headers=(("Cookie", "sid=1"),))
    flow = load_flow(har(discovery(), authorize(), login))
    assert flow.state.result("login").data["login"] == "html_form"
    assert not any(m.startswith("cookies:") for m in flow.missing)


def test_entries_without_times_keep_the_files_order():
    first, second = authorize(location=callback(code="c", state="s1")), discovery()
    for item in (first, second):
        del item["startedDateTime"]
    flow = load_flow(har(first, second))
    assert flow.flows[0].started is None and flow.state.status("redirect") == "ok"


def test_a_basic_authenticated_token_request_names_the_client_auth():
    token = {"grant_type": "authorization_code", "code": "c", "redirect_uri": APP,
             "code_verifier": VERIFIER}
    basic = entry(3, "POST", f"{IDP}/token", 401, mime="application/json", form=token,
                  headers=(("Authorization", "Basic YXBwOndyb25n"),),  # app:wrong
                  body=json.dumps({"error": "invalid_client",
                                   "error_description": "client secret is wrong"}))
    flow = load_flow(har(discovery(), authorize(location=callback(code="c", state="s1")), basic))
    assert flow.state.config.auth_method == "client_secret_basic"
    assert flow.state.config.client_secret == "wrong"
    assert {d.id for d in flow.state.diagnosis} == {"invalid_client_secret"}


_fields = st.sampled_from(["log", "entries", "request", "response", "url", "method", "status",
                           "headers", "content", "text", "encoding", "name", "value",
                           "postData", "mimeType", "params", "redirectURL",
                           "startedDateTime", "time"])
_leaves = (st.none() | st.booleans() | st.integers(-5, 600) | st.floats(allow_nan=True)
           | st.sampled_from([f"{IDP}/authorize?{urlencode(AUTHORIZE)}", callback(code="c"),
                              f"{IDP}/token", "base64", "application/json",
                              "2026-11-20T10:00:00Z", "grant_type=authorization_code&code=c",
                              '{"keys": []}', "Location", "not a url"])
           | st.text(max_size=12))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.recursive(_leaves, lambda children: st.lists(children, max_size=4)
                             | st.dictionaries(_fields, children, max_size=6), max_leaves=25),
                max_size=6))
def test_any_entries_raise_nothing_but_input_error(entries):
    try:
        load_flow(json.dumps({"log": {"entries": entries}}))
    except InputError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(list(AUTHORIZE) + ["request_uri", "response_mode"]),
                       st.text(max_size=8), max_size=9),
       st.dictionaries(st.sampled_from(["code", "state", "error", "iss"]), st.text(max_size=8)),
       st.integers(100, 599))
def test_any_authorize_and_answer_raise_nothing_but_input_error(params, back, status):
    answer = entry(1, "GET", f"{IDP}/authorize?{urlencode(params)}", status,
                   location=callback(**back))
    try:
        load_flow(har(discovery(), answer))
    except InputError:
        pass


def test_a_code_redeemed_minutes_later_is_named_expired_by_the_hars_clock():
    token = {"grant_type": "authorization_code", "code": "c", "redirect_uri": APP,
             "client_id": "app", "code_verifier": VERIFIER}
    late = entry(0, "POST", f"{IDP}/token", 400, mime="application/json", form=token,
                 body=json.dumps({"error": "invalid_grant"}))
    late["startedDateTime"] = "2026-11-20T10:05:00.000Z"  # five minutes after the redirect
    flow = load_flow(har(discovery(), authorize(location=callback(code="c", state="s1")), late))
    assert {d.id: d.step for d in flow.state.diagnosis}["code_expired"] == "token"


def test_a_recording_started_after_authorize_says_so():
    token = {"grant_type": "authorization_code", "code": "c", "redirect_uri": APP}
    with pytest.raises(InputError, match="the recording started after it"):
        load_flow(har(entry(0, "GET", callback(code="c", state="s1")),
                      entry(1, "POST", f"{IDP}/token", form=token)))
