"""Masking: one rule per kind of secret, values learnt once and hidden everywhere, personal
claims only in exports, and nothing masked twice or when revealed."""

import base64
import json

from pkce_tui.core.flow import FlowConfig, FlowState
from pkce_tui.core.redaction import Redactor, is_masked, mask, redact
from pkce_tui.core.step_result import StepResult

CODE = "SplxlOBeZQQYbYS6WxSbIA"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


def jwt_of(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    return f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part(claims)}.c2lnbmF0dXJl"


def test_a_mask_keeps_length_and_fingerprint_and_is_idempotent():
    masked = mask(CODE)
    assert masked.startswith("••••••(22·") and is_masked(masked)
    assert mask(masked) == masked and mask(CODE) == masked
    assert mask("other") != masked


def test_secret_fields_are_masked_in_any_case_at_any_depth():
    shown = redact({"Answer": "pass", "outer": [{"client_secret": "s3cr3t-value"}],
                    "code_verifier": VERIFIER, "token_type": "Bearer"})
    assert shown == {"Answer": mask("pass"), "outer": [{"client_secret": mask("s3cr3t-value")}],
                     "code_verifier": mask(VERIFIER), "token_type": "Bearer"}


def test_an_error_code_named_code_is_the_servers_words_not_a_grant():
    body = {"code": "INVALID_DATA", "details": [{"code": "INVALID_VALUE"}]}
    assert redact(body) == body
    assert redact({"code": CODE}) == {"code": mask(CODE)}


def test_authorization_keeps_its_scheme_and_cookies_keep_their_names():
    shown = redact({"headers": {"Authorization": "Bearer at-123456",
                                "Cookie": ".ASPXAUTH=abc123; lang=en",
                                "Set-Cookie": "ST=xyz1; Path=/; HttpOnly, b=2; Secure",
                                "X-Request-Id": "r-1"}})["headers"]
    assert shown["Authorization"] == f"Bearer {mask('at-123456')}"
    assert shown["Cookie"] == f".ASPXAUTH={mask('abc123')}; lang={mask('en')}"
    assert shown["Set-Cookie"] == f"ST={mask('xyz1')}; Path=/; HttpOnly, b={mask('2')}; Secure"
    assert shown["X-Request-Id"] == "r-1"


def test_cyberark_login_answer_hides_the_session_under_auth_and_token():
    answer = {"success": True, "Result": {"Auth": "A" * 40, "Token": "A" * 40, "User": "alice"}}
    shown = redact({"body": answer, "headers": {"Set-Cookie": f".ASPXAUTH={'A' * 40}; path=/"}})
    assert shown["body"]["Result"] == {"Auth": mask("A" * 40), "Token": mask("A" * 40),
                                       "User": "alice"}
    assert "A" * 40 not in json.dumps(shown)


def test_a_value_secret_anywhere_is_masked_everywhere_else():
    document = {"request": {"body": {"code": CODE}},
                "summary": f"code {CODE}", "echo": {"returned_as": CODE}}
    shown = redact(document)
    assert shown == {"request": {"body": {"code": mask(CODE)}},
                     "summary": f"code {mask(CODE)}", "echo": {"returned_as": mask(CODE)}}


def test_known_secrets_are_masked_in_text_but_short_ones_not_inside_words():
    redactor = Redactor(["pass", "tok-abcdefgh"])
    assert redactor.text("pass") == mask("pass")
    assert redactor.text("checks passed; pass sent") == f"checks passed; {mask('pass')} sent"
    assert redactor.text("Bearer tok-abcdefgh.") == f"Bearer {mask('tok-abcdefgh')}."


def test_urls_forms_and_pages_mask_their_secret_parameters():
    url = f"http://127.0.0.1:8765/callback?code={CODE}&state=st-1#access_token=at%2Fx"
    assert redact(url) == f"http://127.0.0.1:8765/callback?code={mask(CODE)}&state=st-1" \
        f"#access_token={mask('at/x')}"
    page = f'<a href="http://127.0.0.1/cb?responseType=code&amp;code={CODE}&amp;state=s">here</a>'
    assert CODE not in redact(page) and "responseType=code" in redact(page)
    form = "grant_type=refresh_token&refresh_token=rt-1234567&client_id=c"
    assert redact(form) == (
        f"grant_type=refresh_token&refresh_token={mask('rt-1234567')}&client_id=c")


def test_json_text_keeps_its_formatting_with_secret_fields_masked():
    text = '{"access_token": "at-1234567", "token_type": "Bearer",\n "id_token":"x.y.z"}'
    assert redact(text) == ('{"access_token": "' + mask("at-1234567") + '", "token_type": '
                            '"Bearer",\n "id_token":"' + mask("x.y.z") + '"}')


def test_a_jwt_is_masked_wherever_it_stands():
    token = jwt_of({"sub": "u1", "aud": "c"})
    assert redact({"anything": f"see {token} here"}) == {"anything": f"see {mask(token)} here"}
    assert redact(f"id_token_hint={token}&x=1") == f"id_token_hint={mask(token)}&x=1"


def test_raw_http_header_lines_in_text_are_masked():
    text = "HTTP/1.1 302 Found\r\nSet-Cookie: .ASPXAUTH=sess1234; path=/\r\nLocation: /x\r\n"
    assert redact(text) == ("HTTP/1.1 302 Found\r\nSet-Cookie: .ASPXAUTH=" + mask("sess1234")
                            + "; path=/\r\nLocation: /x\r\n")


def test_har_name_value_pairs_are_masked_by_their_kind():
    har_request = {"headers": [{"name": "Authorization", "value": "Basic Yzpz"},
                               {"name": "Accept", "value": "*/*"}],
                   "cookies": [{"name": "ST", "value": "st-value", "httpOnly": True}],
                   "queryString": [{"name": "code", "value": CODE},
                                   {"name": "state", "value": "s"}]}
    shown = redact(har_request)
    assert shown["headers"] == [{"name": "Authorization", "value": f"Basic {mask('Yzpz')}"},
                                {"name": "Accept", "value": "*/*"}]
    assert shown["cookies"] == [{"name": "ST", "value": mask("st-value"), "httpOnly": True}]
    assert shown["queryString"] == [{"name": "code", "value": mask(CODE)},
                                    {"name": "state", "value": "s"}]


def test_personal_claims_are_masked_only_when_asked_and_everywhere_then():
    document = {"payload": {"sub": "user-0042", "email": "alice@example.test", "aud": "c"},
                "note": "alice@example.test logged in",
                "checks": [{"name": "aud", "ok": True, "detail": "c"}]}
    assert redact(document) == document
    shown = redact(document, personal=True)
    assert shown["payload"] == {"sub": mask("user-0042"), "email": mask("alice@example.test"),
                                "aud": "c"}
    assert shown["note"] == f"{mask('alice@example.test')} logged in"
    assert shown["checks"] == document["checks"]


def test_reveal_shows_everything_and_a_masked_document_stays_as_it_is():
    document = {"code": CODE, "summary": f"code {CODE}"}
    assert redact(document, reveal=True) is document
    once = redact(document)
    assert redact(once) == once


def test_the_flow_json_masks_the_verifier_code_and_tokens_but_keeps_claims():
    token = jwt_of({"sub": "u1", "aud": "c"})
    results = {
        "verifier": StepResult("verifier", "ok", "43 characters",
                               {"code_verifier": VERIFIER}, value=VERIFIER),
        "challenge": StepResult("challenge", "ok", "S256 x",
                                {"verifier_bytes_hex": VERIFIER.encode().hex()}),
        "redirect": StepResult("redirect", "ok", f"code {CODE}", {"code": CODE}),
        "id_token": StepResult("id_token", "ok", "checks passed",
                               {"payload": {"sub": "u1", "aud": "c"}, "raw": token}),
    }
    state = FlowState(config=FlowConfig(client_secret="demo-secret", password="hunter22"),
                      results=results)
    text = json.dumps(state.to_json(), ensure_ascii=False)
    for secret in (VERIFIER, VERIFIER.encode().hex(), CODE, token):
        assert secret not in text
    assert '"sub": "u1"' in text
    assert CODE in json.dumps(state.to_json(reveal=True))
    assert {"demo-secret", "hunter22", VERIFIER, CODE} <= state.secrets() | {CODE}
