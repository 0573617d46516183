"""The core and the CLI must not load textual: the headless paths stay light and UI-free."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", [
    "pkce_tui.core", "pkce_tui.core.flow", "pkce_tui.core.steps", "pkce_tui.core.diagnose",
    "pkce_tui.core.runner", "pkce_tui.core.client", "pkce_tui.core.redaction",
    "pkce_tui.cli", "pkce_tui.headless", "pkce_tui.commands", "pkce_tui.sandbox",
])
def test_module_does_not_import_textual(module):
    code = f"import sys, {module}; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_the_check_itself_sees_textual_when_the_tui_is_imported():
    code = "import sys, pkce_tui.tui.app; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "True"


def test_the_headless_commands_do_not_load_the_sandbox_server():
    code = "import sys, pkce_tui.cli; pkce_tui.cli.build_parser(); print('uvicorn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("module", ["pkce_tui.core.flow", "pkce_tui.tui.app"])
def test_the_flow_model_and_the_tui_start_without_http_jose_or_html_libraries(module):
    """The TUI's start-up stays near a bare Textual app; runners load on the first run."""
    code = (f"import sys, {module}; "
            "print([m for m in ('httpx', 'joserfc', 'html5lib') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
