"""The core and the CLI must not load textual: the headless paths stay light and UI-free."""

import json
import sys

import pytest
from processes import run_process


@pytest.mark.parametrize("module", [
    "pkce_tui.core", "pkce_tui.core.flow", "pkce_tui.core.steps", "pkce_tui.core.diagnose",
    "pkce_tui.core.runner", "pkce_tui.core.client", "pkce_tui.core.redaction",
    "pkce_tui.cli", "pkce_tui.headless", "pkce_tui.commands", "pkce_tui.sandbox",
])
def test_module_does_not_import_textual(module):
    code = f"import sys, {module}; print('textual' in sys.modules)"
    result = run_process([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "False"


def test_the_check_itself_sees_textual_when_the_tui_is_imported():
    code = "import sys, pkce_tui.tui.app; print('textual' in sys.modules)"
    result = run_process([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "True"


def test_the_headless_commands_do_not_load_the_sandbox_server():
    code = "import sys, pkce_tui.cli; pkce_tui.cli.build_parser(); print('uvicorn' in sys.modules)"
    result = run_process([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("module", ["pkce_tui.core.flow", "pkce_tui.tui.app"])
def test_the_flow_model_and_the_tui_start_without_http_jose_or_html_libraries(module):
    """The TUI's start-up stays near a bare Textual app; runners load on the first run."""
    code = (f"import sys, {module}; "
            "print([m for m in ('httpx', 'joserfc', 'html5lib', 'selectolax') "
            "if m in sys.modules])")
    result = run_process([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "[]"


HEAVY = ("httpx", "joserfc", "cryptography", "html5lib", "selectolax", "asyncio", "click",
         "pygments")


def _modules_loaded_by(argv: list[str], stdin: str = "") -> set[str]:
    """Which of HEAVY a `pkce-tui` command run in a fresh interpreter has loaded."""
    code = ("import contextlib, io, json, sys\n"
            "from pkce_tui import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    cli.main({argv!r})\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    result = run_process([sys.executable, "-c", code], capture_output=True, text=True,
                            input=stdin, check=True, timeout=60)
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2lkcCJ9.c2lnbmF0dXJl"
PAGE = ('<html><head><title>Object moved</title></head><body><h2>Object moved to '
        '<a href="http://127.0.0.1:8765/callback?code=c&amp;state=s">here</a>.</h2></body></html>')


@pytest.mark.parametrize("argv", [
    ["pkce", "--json"],
    ["pkce", "--verifier", "v" * 43],
    ["parse-redirect", "http://127.0.0.1:8765/callback?code=c&state=s", "--json"],
    ["jwt", TOKEN, "--json"],
    ["jwt", TOKEN, "--issuer", "https://idp", "--audience", "a"],
])
def test_headless_commands_that_send_nothing_load_no_http_jose_or_html_library(argv):
    """`pkce`, `parse-redirect` of a URL and `jwt` without `--jwks` start at Python's speed."""
    assert _modules_loaded_by(argv) == set()


def test_parse_redirect_of_a_page_loads_the_html_parser_only():
    """An ordinary page loads the fast parser alone; html5lib waits for a page it refuses."""
    assert _modules_loaded_by(["parse-redirect", "-", "--json"], stdin=PAGE) == {"selectolax"}


def test_jwt_verifying_with_a_jwks_file_loads_jose_but_not_http(tmp_path):
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": [{"kty": "oct", "kid": "k1", "k": "c2VjcmV0"}]}')
    loaded = _modules_loaded_by(["jwt", TOKEN, "--jwks", str(jwks), "--json"])
    assert "joserfc" in loaded and "httpx" not in loaded and "asyncio" not in loaded


def test_jwt_fetching_a_jwks_loads_http_but_not_its_command_line_tool():
    """The check sees httpx when a command needs it; httpx's own CLI (click, pygments) stays
    unloaded."""
    loaded = _modules_loaded_by(["jwt", TOKEN, "--jwks", "http://127.0.0.1:9/jwks", "--json"])
    assert "httpx" in loaded
    assert not loaded & {"click", "pygments"}


def test_the_tui_starts_without_what_only_later_actions_use():
    """Start-up imports what the first frame shows; the loopback listener (h11), the
    clipboard (pyperclip), the browser opener, profiles (tomllib), the diagnosis rules and the
    paste box's TextArea load when first used."""
    later = ("h11", "pyperclip", "tomllib", "webbrowser", "pkce_tui.core.profiles",
             "pkce_tui.core.diagnose", "pkce_tui.core.diagnosis", "textual.widgets._text_area")
    code = f"import sys, pkce_tui.tui.app; print([m for m in {later!r} if m in sys.modules])"
    result = run_process([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert result.stdout.strip() == "[]"


def test_a_started_sandbox_loads_jose_with_its_first_key_not_before():
    """`pkce-tui demo` is ready once the sandbox listens: JOSE, cryptography and the RSA key
    come with the first JWKS or token, not with starting it."""
    code = ("import sys, urllib.request\n"
            "from pkce_tui.sandbox import Sandbox\n"
            "with Sandbox(dialects=('generic',)) as sandbox:\n"
            "    urllib.request.urlopen(sandbox.base_url + '/generic/.well-known/"
            "openid-configuration').read()\n"
            "    before = [m for m in ('joserfc', 'cryptography') if m in sys.modules]\n"
            "    urllib.request.urlopen(sandbox.base_url + '/generic/jwks').read()\n"
            "    after = [m for m in ('joserfc', 'cryptography') if m in sys.modules]\n"
            "print(before, after)")
    result = run_process([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert result.stdout.strip() == "[] ['joserfc', 'cryptography']"


@pytest.mark.parametrize("argv", [["demo"], []])
def test_the_tui_commands_do_not_load_the_headless_commands(argv):
    """`pkce-tui demo` and `pkce-tui` start the TUI without the JWT and redirect parsing the
    headless commands need (~14 ms before the first frame)."""
    code = ("import sys\n"
            "from pkce_tui import cli, tui\n"
            "loaded = lambda *args, **kw: print([m for m in ('pkce_tui.commands', "
            "'pkce_tui.core.redirect', 'pkce_tui.core.jwt') if m in sys.modules]) or 0\n"
            "tui.run_demo = tui.run_app = loaded\n"
            f"cli.main({argv!r})")
    result = run_process([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert result.stdout.strip() == "[]"
