"""`pkce-tui har FILE`: the samples shaped as Chrome, Firefox and Safari export them, the JSON
contract, `--flow` and `--jwks`, and malformed HAR files refused in one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pkce_tui.cli import main as cli_main
from pkce_tui.core.errors import InputError
from pkce_tui.core.har import load_flow

DATA = Path(__file__).parent / "data" / "har"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli_main(["har", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_chrome_cyberark_spa_names_the_redirect_uri_mismatch(capsys):
    code, out, _ = run(capsys, str(DATA / "chrome-cyberark-spa.har"), "--json")
    document = json.loads(out)
    assert code == 1 and document["source"] == "har" and document["ok"] is False
    assert [(d["id"], d["step"]) for d in document["diagnosis"]] == [
        ("redirect_uri_mismatch", "token")]
    login = next(s for s in document["steps"] if s["step"] == "login")
    assert login["login"] == "cyberark_api"
    assert "StartAuthentication" in login["hops"] and "AdvanceAuthentication" in login["hops"]
    redirect = next(s for s in document["steps"] if s["step"] == "redirect")
    assert (redirect["kind"], redirect["state"]) == ("code", "st-42")
    checks = {c["name"]: c["ok"] for c in document["checks"]}
    assert checks == {"pkce": True, "redirect_uri": False, "state": True, "iss": None}
    assert any(m.startswith("cookies:") for m in document["missing"])


def test_noise_entries_are_not_login_hops():
    flow = load_flow((DATA / "chrome-cyberark-spa.har").read_text())
    urls = [e.request.url for e in flow.state.result("login").exchanges]
    assert not any(word in url for url in urls for word in ("google", ".js", "favicon"))


def test_firefox_pingone_back_end_flow_says_what_the_har_lacks(capsys):
    code, out, _ = run(capsys, str(DATA / "firefox-pingone-backend.har"), "--json")
    document = json.loads(out)
    assert code == 0 and document["ok"] is True
    discovery = document["steps"][0]
    assert discovery["dialect"] == "pingone" and "inferred" in discovery["summary"]
    assert discovery["token_endpoint"].endswith("/as/token")
    login = next(s for s in document["steps"] if s["step"] == "login")
    assert login["hops"] == ["authorize", "page", "flow", "usernamePassword.check",
                            "authorization response"]
    missing = " ".join(document["missing"])
    assert "token exchange" in missing and "discovery" in missing and "code_verifier" in missing


def test_safari_generic_access_denied_is_named_with_the_servers_words(capsys):
    code, out, _ = run(capsys, str(DATA / "safari-generic-denied.har"))
    assert code == 1
    assert "access_denied (redirect)" in out and "User is not assigned" in out
    assert "[pass] iss" in out


def test_the_text_report_lists_flows_and_checks(capsys):
    code, out, _ = run(capsys, str(DATA / "chrome-cyberark-spa.har"))
    assert out.startswith("HAR: 1 flow found; showing the only flow in the HAR")
    assert "[FAIL] redirect_uri" in out and "not in the HAR:" in out


def test_a_jwks_file_is_read_and_a_bad_flow_number_refused(capsys, tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": []}))
    code, _, err = run(capsys, str(DATA / "firefox-pingone-backend.har"), "--jwks", str(jwks),
                       "--flow", "4")
    assert code == 2 and "--flow 4: the HAR holds 1 flow (0 to 0)" in err


@pytest.mark.parametrize(("name", "message"), [
    ("not-json.har", "not JSON"),
    ("wrong-shape.har", "no log.entries list"),
    ("bad-base64.har", "entry 1 (POST https://login.example.test/token): the response body is "
                       "not valid base64"),
    ("bad-gzip.har", "not valid gzip"),
    ("invalid-url.har", "entry 0's request url"),
])
def test_malformed_har_files_are_one_line_exit_2(capsys, name, message):
    code, out, err = run(capsys, str(DATA / name))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err, err


def test_malformed_har_with_json_is_a_json_error(capsys):
    code, out, _ = run(capsys, str(DATA / "bad-gzip.har"), "--json")
    document = json.loads(out)
    assert code == 2 and document["ok"] is False and document["error"]["kind"] == "input"


@pytest.mark.parametrize(("text", "message"), [
    ("[]", "not a JSON object"),
    ('{"log": {"entries": []}}', "no authorization request"),
    ('{"log": {"entries": [{"request": {"url": "/relative"}}]}}', "not an absolute URL"),
    ('{"log": {"entries": [{"request": {"url": "https://a.test/"}, "response": {"status": '
     '"ok"}}]}}', "not an HTTP status"),
    ('{"log": {"entries": [{"startedDateTime": "yesterday", "request": {"url": '
     '"https://a.test/"}}]}}', "not an ISO 8601 time"),
    ('{"log": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
])
def test_wrong_shapes_are_input_errors(text, message):
    with pytest.raises(InputError, match=message):
        load_flow(text)


def test_a_huge_har_is_refused_before_parsing():
    with pytest.raises(InputError, match="too large"):
        load_flow(" " * (64 * 1024 * 1024 + 1))


def test_a_gzip_bomb_is_refused(tmp_path):
    import base64
    import gzip

    document = json.loads((DATA / "bad-gzip.har").read_text())
    bomb = base64.b64encode(gzip.compress(b"\0" * (17 * 1024 * 1024))).decode()
    document["log"]["entries"][1]["response"]["content"]["text"] = bomb
    with pytest.raises(InputError, match="inflates past 16 MB"):
        load_flow(json.dumps(document))


def test_the_har_is_read_from_stdin(capsys, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.StringIO((DATA / "safari-generic-denied.har").read_text()))
    code, out, _ = run(capsys, "-", "--json")
    assert code == 1 and json.loads(out)["flows"][0]["outcome"] == "error access_denied"
