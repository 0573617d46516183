"""The command line contract (DESIGN.md §3): JSON keys, exit codes, one-line errors."""

from __future__ import annotations

import base64
import json
import math
import os
import shlex
import subprocess
import sys
import time

import pytest
from conftest import free_port
from hostile_server import PEAK
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet, RSAKey
from local_http import serving
from processes import run_process

from pkce_tui.cli import main as cli_main
from pkce_tui.output import finite, one_line

RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
OBJECT_MOVED = (
    "<html><head><title>Object moved</title></head><body>\r\n"
    '<h2>Object moved to <a href="http://127.0.0.1:8765/callback?responseType=code&amp;'
    'code=c0de&amp;state=s1">here</a>.</h2>\r\n</body></html>\r\n'
)


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run_process([sys.executable, "-m", "pkce_tui.cli", *args], input=stdin,
                       capture_output=True, text=True, timeout=60)


def assert_one_line_error(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("pkce-tui")


def test_pkce_json_has_the_contract_keys_and_the_rfc_vector():
    result = cli("pkce", "--verifier", RFC_VERIFIER, "--json")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert set(document) == {"code_verifier", "method", "code_challenge", "verifier_bytes_hex",
                             "sha256_hex", "valid", "problems", "entropy"}
    assert document["code_challenge"] == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert document["entropy"] == {"max_bits": 259.9, "recommended_bits": 256, "warnings": []}


def test_pkce_warns_about_a_verifier_that_is_not_random():
    """43 × `a` passes the grammar (exit 0) but the entropy says it holds none (RFC 7636 §7.1)."""
    result = cli("pkce", "--verifier", "a" * 43)
    assert result.returncode == 0
    assert "but it is not" in result.stdout and "repeated characters 'aaaaa'" in result.stdout
    entropy = json.loads(cli("pkce", "--verifier", "a" * 43, "--json").stdout)["entropy"]
    assert len(entropy["warnings"]) == 2


def test_pkce_generates_a_verifier_of_the_asked_length():
    document = json.loads(cli("pkce", "--length", "100", "--json").stdout)
    assert len(document["code_verifier"]) == 100 and document["valid"]


def test_pkce_reports_a_malformed_verifier_with_exit_1():
    result = cli("pkce", "--verifier", "short space", "--json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)["problems"]
    assert any("too short" in p for p in problems)
    assert any("position 6" in p for p in problems)
    assert "Traceback" not in result.stderr


def test_pkce_refuses_an_impossible_length_with_exit_2():
    result = cli("pkce", "--length", "20")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "pkce-tui: verifier length 20 is outside 43..128 (RFC 7636 §4.1)"]


def test_parse_redirect_reads_the_object_moved_page_from_stdin():
    result = cli("parse-redirect", "-", "--state", "s1", "--json", stdin=OBJECT_MOVED)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["kind"] == "code" and document["source"] == "html_anchor"
    assert document["code"] == "c0de" and document["params"]["responseType"] == "code"


def test_parse_redirect_fails_with_exit_1_on_a_state_mismatch(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(OBJECT_MOVED)
    result = cli("parse-redirect", str(page), "--state", "other", "--json")
    assert result.returncode == 1
    checks = {c["name"]: c["ok"] for c in json.loads(result.stdout)["checks"]}
    assert checks["state"] is False


@pytest.mark.parametrize("stdin", ["", "not a redirect at all", "<html><p>nothing</p></html>"])
def test_parse_redirect_bad_input_is_one_line_and_exit_2(stdin):
    result = cli("parse-redirect", "-", stdin=stdin)
    assert result.returncode == 2
    assert_one_line_error(result)
    assert result.stdout == ""


def test_jwt_validates_against_a_jwks_file(tmp_path):
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    now = int(time.time())
    claims = {"iss": "https://op.test", "aud": "app", "sub": "alice", "iat": now,
              "exp": now + 300}
    token = jose_jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(KeySet([key]).as_dict(private=False)))
    result = cli("jwt", token, "--jwks", str(jwks), "--issuer", "https://op.test",
                 "--audience", "app", "--json")
    assert result.returncode == 0, result.stdout
    document = json.loads(result.stdout)
    assert document["valid"] is True
    assert {c["name"]: c["ok"] for c in document["checks"]}["signature"] is True
    wrong = cli("jwt", token, "--jwks", str(jwks), "--audience", "other", "--json")
    assert wrong.returncode == 1


@pytest.mark.parametrize("token", ["a.b", "not-a-jwt", "a.b.c", ""])
def test_jwt_malformed_token_exits_2_with_one_line(token):
    result = cli("jwt", token, "--json")
    assert result.returncode == 2
    assert_one_line_error(result)
    assert json.loads(result.stdout)["valid"] is False


def test_jwt_unreadable_jwks_file_exits_2(tmp_path):
    bad = tmp_path / "jwks.json"
    bad.write_text("{not json")
    result = cli("jwt", "a.b.c", "--jwks", str(bad))
    assert result.returncode == 2
    assert "not JSON" in result.stderr and "Traceback" not in result.stderr


def test_flow_rejects_a_malformed_param_with_exit_2():
    result = cli("flow", "--issuer", "http://127.0.0.1:9/x", "--client-id", "a",
                 "--param", "no-equals-sign", "--json")
    assert result.returncode == 2
    assert result.stderr.strip() == "pkce-tui: --param 'no-equals-sign' is not of the form " \
                                     "name=value"


def test_flow_against_a_dead_server_fails_cleanly(tmp_path):
    redirect = tmp_path / "redirect.txt"
    redirect.write_text("http://127.0.0.1:8765/callback?code=x&state=y")
    result = cli("flow", "--issuer", "http://127.0.0.1:9", "--client-id", "a", "--json",
                 "--redirect-from", str(redirect), "--timeout", "2")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["steps"][0]["status"] == "error"
    assert [d["id"] for d in document["diagnosis"]] == ["network_error"]
    assert "Traceback" not in result.stderr


def test_flow_without_client_id_is_a_one_line_usage_error_exit_2():
    result = cli("flow")
    assert result.returncode == 2
    assert_one_line_error(result)
    assert "--client-id" in result.stderr


def test_an_unknown_subcommand_is_a_one_line_usage_error_exit_2():
    result = cli("no-such-command")
    assert result.returncode == 2
    assert_one_line_error(result)
    assert "invalid choice: 'no-such-command'" in result.stderr


def test_no_subcommand_opens_the_tui(monkeypatch):
    """A bare `pkce-tui` is no usage error: it opens the TUI (DESIGN.md §3)."""
    from pkce_tui import tui

    opened = []
    monkeypatch.setattr(tui, "run_app",
                        lambda profile, insecure, open_path: opened.append(profile) or 0)
    assert cli_main([]) == 0
    assert opened == [None]


def test_flow_gives_up_when_the_browser_fails_and_no_terminal_is_attached():
    failing = f"{shlex.quote(sys.executable)} -c 'raise SystemExit(3)' %s"
    command = [sys.executable, "-m", "pkce_tui.cli", "flow", "--json", "--client-id", "a",
               "--authorize-endpoint", "http://127.0.0.1:9/authorize",
               "--token-endpoint", "http://127.0.0.1:9/token",
               "--redirect-uri", f"http://127.0.0.1:{free_port()}/callback"]
    result = run_process(command, capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL, env={**os.environ, "BROWSER": failing})
    assert result.returncode == 1
    login = next(s for s in json.loads(result.stdout)["steps"] if s["step"] == "login")
    assert "browser command failed" in login["error"]


@pytest.mark.parametrize(("option", "message"), [
    (["--issuer", "notaurl"], "not an absolute http(s) URL"),
    (["--dialect", "cyberark"], "cyberark needs --tenant-url and --app-id"),
])
def test_flow_bad_target_options_exit_2_with_the_reason(option, message):
    result = cli("flow", "--client-id", "a", *option, "--redirect-from", "-", stdin="")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_flow_refuses_a_non_positive_timeout():
    result = cli("flow", "--client-id", "a", "--timeout", "-1")
    assert result.returncode == 2 and "between 0 and 3600" in result.stderr


@pytest.mark.parametrize("source", ["com.example.app:/cb?code=abc&state=s",
                                    "http://127.0.0.1:8765/callback?code=abc&state=s"])
def test_parse_redirect_takes_a_url_like_source_as_the_redirect_itself(source):
    result = cli("parse-redirect", source, "--state", "s", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["code"] == "abc"


def test_parse_redirect_names_a_missing_file():
    result = cli("parse-redirect", "no-such-page.html")
    assert result.returncode == 2
    assert "cannot read the redirect from no-such-page.html" in result.stderr


def test_parse_redirect_reads_a_har_export(tmp_path):
    capture = tmp_path / "capture.har"
    moved = {"request": {"method": "GET", "url": "https://t.example/OAuth2/Authorize/app"},
             "response": {"status": 302, "headers": [], "redirectURL": "",
                          "content": {"text": OBJECT_MOVED, "mimeType": "text/html"}}}
    capture.write_text(json.dumps({"log": {"version": "1.2", "entries": [moved]}}))
    result = cli("parse-redirect", str(capture), "--state", "s1", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["code"], document["source"]) == ("c0de", "html_anchor")
    capture.write_text('{"log": {"entries": [')
    broken = cli("parse-redirect", str(capture))
    assert broken.returncode == 2 and "HAR file is not JSON" in broken.stderr


# --- errors on stderr: one line, control characters escaped -----------------------------------

ESCAPE_URL = "http://127.0.0.1/cb?error=x&error_description=a%0Ab%1B%5B31mred"


def test_one_line_escapes_what_could_forge_lines_or_drive_the_terminal():
    text = "a\nb\r\x1b[31m\t\u202e\u2028\x85 é — ok"
    assert one_line(text) == r"a\nb\r\x1b[31m\t\u202e\u2028\x85 é — ok"


def test_parse_redirect_error_is_one_escaped_line_and_verbatim_in_json():
    result = cli("parse-redirect", ESCAPE_URL)
    assert result.returncode == 1
    assert result.stderr == "pkce-tui: the server answered 'x': a\\nb\\x1b[31mred\n"
    assert "\x1b" not in result.stdout and "error_description a\\nb" in result.stdout
    document = json.loads(cli("parse-redirect", ESCAPE_URL, "--json").stdout)
    assert document["error_description"] == "a\nb\x1b[31mred"


def test_parse_redirect_without_a_redirect_still_answers_json_with_kind_none(tmp_path):
    page = tmp_path / "garbage.html"
    page.write_text("<html><p>nothing</p></html>")
    result = cli("parse-redirect", str(page), "--json")
    assert result.returncode == 2
    assert_one_line_error(result)
    document = json.loads(result.stdout)
    assert (document["kind"], document["source"], document["code"]) == ("none", None, None)
    assert {c["name"]: c["ok"] for c in document["checks"]} == {
        "state": None, "iss": None, "code": False}


def test_parse_redirect_takes_a_url_too_long_for_a_file_name_as_the_redirect():
    result = cli("parse-redirect", "http://127.0.0.1/cb?code=c&pad=" + "a" * 5000, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["code"] == "c"


def test_pkce_problems_are_one_line():
    result = cli("pkce", "--verifier", "short space")
    assert_one_line_error(result)
    assert "too short" in result.stderr and "position 6" in result.stderr


# --- a closed stdout -----------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("pkce", "--json"),
    ("parse-redirect", "http://127.0.0.1/cb?code=c&pad=" + "a" * 100_000, "--json"),
])
def test_a_closed_stdout_ends_quietly(args):
    """The reader went away (`| head -1`, `| true`): no traceback, as the Python docs advise."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run_process([sys.executable, "-m", "pkce_tui.cli", *args], stdout=write_end,
                             stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 1


# --- jwt: JWKS trouble, strict JSON, --insecure ----------------------------------------------

def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def raw_token(payload_text: str) -> str:
    """A token whose payload is `payload_text` exactly (json.dumps cannot write 1e400)."""
    header = json.dumps({"alg": "RS256", "kid": "k1"}).encode()
    return f"{b64(header)}.{b64(payload_text.encode())}.c2ln"


TOKEN = raw_token('{"iss": "https://op.test", "sub": "alice", "exp": 4102444800, "iat": 1}')


def token_of_length(length: int) -> str:
    """A token exactly `length` characters long: a claim padded to size."""
    base = len(raw_token('{"iss": "x", "pad": ""}'))
    padding = "a" * ((length - base) * 3 // 4 + 3)
    token = raw_token(json.dumps({"iss": "x", "pad": padding}))
    while len(token) > length:
        padding = padding[:-1]
        token = raw_token(json.dumps({"iss": "x", "pad": padding}))
    return token


def test_jwt_reads_a_token_of_up_to_1_mib_from_stdin():
    token = token_of_length(1024 * 1024 - 2)
    result = cli("jwt", "-", "--json", stdin=f"  {token}\n")
    document = json.loads(result.stdout)
    assert result.returncode != 2, result.stderr
    assert {c["name"]: c["ok"] for c in document["checks"]}["format"] is True
    assert len(document["payload"]["pad"]) > 700_000


def test_jwt_refuses_a_token_over_1_mib_in_one_line():
    result = cli("jwt", "-", "--json", stdin=token_of_length(1024 * 1024 + 100))
    assert result.returncode == 2
    assert_one_line_error(result)
    assert "limit of 1048576 (1 MiB)" in result.stderr


def refuse_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


def test_jwt_deeply_nested_jwks_file_is_one_line_exit_2(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' + "[" * 50_000)
    result = cli("jwt", TOKEN, "--jwks", str(deep))
    assert result.returncode == 2
    assert_one_line_error(result)
    assert "nested too deeply" in result.stderr


@pytest.mark.parametrize(("answer", "reason"), [
    ((500, "{}"), "answered HTTP 500"),
    ((200, "<html>not json"), "did not answer a JSON object"),
    (None, "GET http://127.0.0.1:"),
])
def test_jwt_with_an_unusable_jwks_url_still_reports_the_token(answer, reason):
    with serving({"/jwks": answer} if answer else {}) as base:
        url = f"{base}/jwks" if answer else f"http://127.0.0.1:{free_port()}/jwks"
        result = cli("jwt", TOKEN, "--jwks", url, "--json")
    assert result.returncode == 1
    assert_one_line_error(result)
    document = json.loads(result.stdout)
    assert document["payload"]["sub"] == "alice" and document["valid"] is False
    checks = {c["name"]: c for c in document["checks"]}
    assert checks["signature"]["ok"] is False and reason in checks["signature"]["detail"]
    assert checks["exp"]["ok"] is True


@pytest.mark.parametrize("url", ["https://", "http://[::1", "http://127.0.0.1:99999/jwks",
                                 "ftp://127.0.0.1/jwks"])
def test_jwt_malformed_jwks_url_is_bad_input_exit_2(url):
    result = cli("jwt", TOKEN, "--jwks", url, "--json")
    assert result.returncode == 2
    assert_one_line_error(result)
    assert f"--jwks {url!r}" in result.stderr


def test_jwt_json_stays_strict_when_a_time_is_not_finite():
    result = cli("jwt", raw_token('{"iss": "x", "exp": 1e400, "iat": 1}'), "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout, parse_constant=refuse_constant)
    assert document["payload"]["exp"] == "Infinity"
    exp = next(c for c in document["checks"] if c["name"] == "exp")
    assert exp["ok"] is False and "not a finite number" in exp["detail"]


def test_finite_names_infinities_at_any_depth():
    deep: list = [math.inf]
    for _ in range(5000):
        deep = [deep]
    named = finite({"deep": deep, "pair": (-math.inf, 1.5), "nan": math.nan})
    assert named["pair"] == ["-Infinity", 1.5] and named["nan"] == "NaN"
    inner = named["deep"]
    for _ in range(5000):
        inner = inner[0]
    assert inner == ["Infinity"]
    assert deep is not named["deep"]


def test_jwt_insecure_warns_on_stderr_and_in_the_json():
    result = cli("jwt", TOKEN, "--insecure", "--json")
    warning = "TLS certificate verification is off (--insecure)"
    assert f"pkce-tui: warning: {warning}" in result.stderr.splitlines()
    assert json.loads(result.stdout)["warnings"] == [warning]
    assert "warnings" not in json.loads(cli("jwt", TOKEN, "--json").stdout)


def test_pkce_shows_the_bytes_of_a_non_ascii_verifier_as_typed():
    verifier = "é" + RFC_VERIFIER
    result = cli("pkce", "--verifier", verifier, "--json")
    assert result.returncode == 1
    assert_one_line_error(result)
    document = json.loads(result.stdout)
    assert document["verifier_bytes_hex"] == verifier.encode().hex()
    assert any("position 1" in problem for problem in document["problems"])


def test_json_escapes_c1_bidi_and_lone_surrogates_and_stays_utf8():
    """C1 (U+009B is a one-byte CSI), bidi overrides and a lone surrogate in a claim: each is
    a \\u escape in the JSON text, which decodes back to the same claim."""
    claim = "a\x9b31m\u202eb\u2066c\ud800d\x7f"
    token = raw_token(json.dumps({"iss": "x", "name": claim}))
    result = run_process([sys.executable, "-m", "pkce_tui.cli", "jwt", token, "--json"],
                         capture_output=True, timeout=60)
    assert "Traceback" not in result.stderr.decode(errors="replace")
    text = result.stdout.decode("utf-8")  # strict: a raw lone surrogate cannot be encoded
    for escape in ("\\u009b", "\\u202e", "\\u2066", "\\ud800", "\\u007f"):
        assert escape in text
    assert not any(char in text for char in "\x9b\u202e\u2066\x7f")
    assert json.loads(text)["payload"]["name"] == claim


@pytest.mark.parametrize("args, kind", [
    (["jwt", "e30.e30.c2ln", "--jwks", "/nonexistent/jwks.json"], "input"),
    (["jwt", "e30.e30.c2ln", "--jwks", "ftp://x"], "input"),
    (["flow", "--client-id", "c", "--redirect-uri", "::bad"], "input"),
    (["flow", "--client-id", "c", "--issuer", "http://127.0.0.1:9/x", "--param", "k"], "input"),
    (["flow", "--client-id", "c", "--issuer", "http://127.0.0.1:9/x",
      "--redirect-from", "/nonexistent/redirect.txt"], "input"),
    (["flow", "--issuer", "http://127.0.0.1:9/x"], "usage"),  # --client-id is required
    (["pkce", "--bogus"], "usage"),
    (["pkce", "--length", "x"], "usage"),
    (["nonsense"], "usage"),
])
def test_json_usage_and_input_errors_are_json_on_stdout_too(args, kind, capsys):
    assert cli_main([*args, "--json"]) == 2
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["ok"] is False and document["error"]["kind"] == kind
    assert document["error"]["message"]
    assert len(captured.err.splitlines()) == 1 and "Traceback" not in captured.err


def test_demo_without_a_terminal_is_one_line_exit_2():
    """No terminal on stdin or stdout: the TUI would wait for keys forever; say so at once."""
    result = run_process([sys.executable, "-m", "pkce_tui.cli", "demo"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert_one_line_error(result)
    assert "needs a terminal" in result.stderr


def test_a_verifier_may_begin_with_a_dash(capsys):
    verifier = "-" + RFC_VERIFIER[1:]
    assert cli_main(["pkce", "--verifier", verifier, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["code_verifier"] == verifier
    assert cli_main(["pkce", "--verifier", "--json"]) == 2  # an option name is no value


@pytest.mark.parametrize("source", ["/dev/urandom", "/dev/zero"])
def test_binary_input_is_refused_after_one_chunk(source):
    """Reading stops at the first chunk holding a NUL byte: bounded time and memory."""
    result = run_process(
        [sys.executable, "-c", PEAK + "import sys\nfrom pkce_tui.cli import main\n"
         "code = main(sys.argv[1:])\nprint(peak_mib(), file=sys.stderr)\nsys.exit(code)",
         "parse-redirect", source, "--json"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "binary data" in result.stderr
    assert float(result.stderr.splitlines()[-1]) < 150  # MiB: far below a decoded 64 MB


def test_large_text_that_is_no_har_is_refused_at_1_mb(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("x" * 5_000_000)
    result = cli("parse-redirect", str(big))
    assert result.returncode == 2 and "only a HAR file may be larger" in result.stderr


@pytest.mark.parametrize("name", ["page\ud800.html", "page\0.html"])
def test_a_source_that_cannot_name_a_file_is_one_line_exit_2(name, capsys):
    """A lone surrogate or a NUL byte cannot be a file name: one line, exit 2, no traceback."""
    from pkce_tui.cli import main

    assert main(["parse-redirect", name]) == 2
    err = capsys.readouterr().err
    assert "not a valid file name" in err and len(err.strip().splitlines()) == 1
