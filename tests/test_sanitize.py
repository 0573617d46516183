"""`pkce-tui har sanitize`: every secret of a customer's HAR masked wherever it stands, the
rest kept, still a HAR, with a report of what was masked; malformed HAR is one line, exit 2."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from processes import run_process

from pkce_tui.core.redaction import mask
from pkce_tui.core.sanitize import sanitize_har

HARS = Path(__file__).parent / "data" / "har"
CODE = "SplxlOBeZQQYbYS6WxSbIA"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
ACCESS = "at-9f8e7d6c5b4a39281706"
REFRESH = "rt-0a1b2c3d4e5f60718293"
SESSION = "aspxauth-5f4e3d2c1b0a9988"
JWT = ("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTQyIiwiZW1haWwiOiJhbGljZUBleGFt"
       "cGxlLnRlc3QifQ.c2lnbmF0dXJlLWJ5dGVz")
SECRETS = (CODE, VERIFIER, ACCESS, REFRESH, SESSION, JWT, "demo-secret", "hunter2-pw",
           "alice@example.test")


def entry(request: dict, response: dict) -> dict:
    base_request = {"method": "GET", "httpVersion": "HTTP/1.1", "headers": [],
                    "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0}
    base_response = {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                     "headers": [], "cookies": [], "content": {"size": 0, "mimeType": "text/html"},
                     "redirectURL": "", "headersSize": -1, "bodySize": 0}
    return {"startedDateTime": "2026-01-01T00:00:00.000Z", "time": 1,
            "request": {**base_request, **request}, "response": {**base_response, **response},
            "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}}


def every_place_har() -> dict:
    """A secret in each place a browser's HAR can hold one."""
    callback = f"https://app.example.test/cb?code={CODE}&state=st-1"
    page = (f'<html><head><title>Object moved</title></head><body><h2>Object moved to '
            f'<a href="https://app.example.test/cb?responseType=code&amp;code={CODE}&amp;'
            f'state=st-1">here</a>.</h2></body></html>')
    token_body = json.dumps({"access_token": ACCESS, "refresh_token": REFRESH, "id_token": JWT,
                             "token_type": "Bearer"})
    userinfo = json.dumps({"sub": "user-42", "email": "alice@example.test"})
    return {"log": {"version": "1.2", "creator": {"name": "Browser", "version": "1"},
                    "pages": [{"id": "p1", "title": callback}], "entries": [
        entry({"url": "https://idp.example.test/authorize?client_id=c&client_secret=demo-secret",
               "queryString": [{"name": "client_id", "value": "c"},
                               {"name": "client_secret", "value": "demo-secret"}]},
              {"status": 302, "headers": [{"name": "Location", "value": callback},
                                          {"name": "Set-Cookie",
                                           "value": f".ASPXAUTH={SESSION}; path=/; HttpOnly"}],
               "cookies": [{"name": ".ASPXAUTH", "value": SESSION, "httpOnly": True}],
               "redirectURL": callback,
               "content": {"size": len(page), "mimeType": "text/html", "text": page}}),
        entry({"method": "POST", "url": "https://idp.example.test/Security/AdvanceAuthentication",
               "headers": [{"name": "Cookie", "value": f".ASPXAUTH={SESSION}"}],
               "cookies": [{"name": ".ASPXAUTH", "value": SESSION}],
               "postData": {"mimeType": "application/json",
                            "text": json.dumps({"Answer": "hunter2-pw",
                                                "User": "alice@example.test"})}},
              {"content": {"size": 1, "mimeType": "application/json",
                           "text": json.dumps({"Result": {"Auth": SESSION, "Token": SESSION}})}}),
        entry({"method": "POST", "url": "https://idp.example.test/token",
               "headers": [{"name": "Authorization", "value": "Basic YzpkZW1vLXNlY3JldA=="}],
               "postData": {"mimeType": "application/x-www-form-urlencoded",
                            "text": f"grant_type=authorization_code&code={CODE}"
                                    f"&code_verifier={VERIFIER}",
                            "params": [{"name": "code", "value": CODE},
                                       {"name": "code_verifier", "value": VERIFIER}]}},
              {"content": {"size": 1, "mimeType": "application/json",
                           "encoding": "base64",
                           "text": base64.b64encode(gzip.compress(token_body.encode())).decode()}}),
        entry({"url": "https://idp.example.test/userinfo",
               "headers": [{"name": "Authorization", "value": f"Bearer {ACCESS}"},
                           {"name": "X-Debug", "value": f"seen {JWT}"}]},
              {"content": {"size": 1, "mimeType": "application/json", "encoding": "base64",
                           "text": base64.b64encode(userinfo.encode()).decode()}}),
        entry({"url": f"https://app.example.test/cb#access_token={ACCESS}&state=st-1"}, {}),
    ]}}


def run(*args: str) -> subprocess.CompletedProcess:
    result = run_process([sys.executable, "-m", "pkce_tui.cli", "har", "sanitize", *args],
                            capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def decoded_bodies(har: dict) -> str:
    """Every base64 body decoded (gzip too), so a secret inside one is seen."""
    texts = []
    for item in har["log"]["entries"]:
        content = item["response"]["content"]
        if content.get("encoding") == "base64":
            data = base64.b64decode(content["text"])
            texts.append((gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode())
    return "\n".join(texts)


def test_every_secret_in_every_place_is_masked(tmp_path):
    source, out = tmp_path / "in.har", tmp_path / "out.har"
    source.write_text(json.dumps(every_place_har()))
    result = run(str(source), "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    text = out.read_text() + decoded_bodies(json.loads(out.read_text()))
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked
    assert "YzpkZW1vLXNlY3JldA==" not in text
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["output"] == str(out)
    assert {"field", "header", "cookie", "jwt", "personal"} <= set(report["counts"])
    places = {(m["entry"], m["where"], m["kind"]) for m in report["masked"]}
    assert (0, "request.queryString", "field") in places
    assert (0, "response.cookies", "cookie") in places
    assert (0, "response.content", "field") in places  # the Object-moved anchor
    assert (2, "request.headers", "header") in places


def test_what_is_not_secret_is_kept_and_it_is_still_a_har(tmp_path):
    original = every_place_har()
    sanitized = sanitize_har(json.dumps(original)).har
    log = sanitized["log"]
    assert list(log) == list(original["log"]) and log["creator"] == original["log"]["creator"]
    assert len(log["entries"]) == len(original["log"]["entries"])
    first = log["entries"][0]
    assert first["response"]["redirectURL"] == (
        f"https://app.example.test/cb?code={mask(CODE)}&state=st-1")
    assert first["request"]["queryString"][0] == {"name": "client_id", "value": "c"}
    assert first["response"]["cookies"][0]["httpOnly"] is True
    assert "Object moved" in first["response"]["content"]["text"]
    token = decoded_bodies(sanitized).splitlines()[0]
    assert json.loads(token)["token_type"] == "Bearer"
    for item, before in zip(log["entries"], original["log"]["entries"], strict=True):
        assert item.keys() == before.keys()
        assert item["request"].keys() == before["request"].keys()


@pytest.mark.parametrize("name", ["chrome-cyberark-spa.har", "firefox-pingone-backend.har",
                                  "safari-generic-denied.har"])
def test_recorded_hars_lose_their_codes_passwords_and_sessions(name, tmp_path):
    original = (HARS / name).read_text()
    out = tmp_path / "out.har"
    assert run(str(HARS / name), "-o", str(out)).returncode == 0
    sanitized = json.loads(out.read_text())
    assert len(sanitized["log"]["entries"]) == len(json.loads(original)["log"]["entries"])
    found = sanitize_har(original)
    assert found.har == sanitized
    text = out.read_text()
    for item in json.loads(original)["log"]["entries"]:
        for pair in item["request"].get("queryString", []):
            if pair["name"] in ("code", "client_secret"):
                assert pair["value"] not in text


@pytest.mark.parametrize(("name", "reason"), [
    ("not-json.har", "not JSON"), ("wrong-shape.har", "log.entries")])
def test_a_malformed_har_is_one_line_and_exit_2(name, reason, tmp_path):
    out = tmp_path / "out.har"
    result = run(str(HARS / name), "-o", str(out))
    assert result.returncode == 2 and reason in result.stderr
    assert result.stderr.count("\n") == 1 and not out.exists()
    as_json = run(str(HARS / name), "-o", str(out), "--json")
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["ok"] is False


def test_sanitize_needs_an_output(tmp_path):
    result = run(str(HARS / "chrome-cyberark-spa.har"))
    assert result.returncode == 2 and "-o" in result.stderr
