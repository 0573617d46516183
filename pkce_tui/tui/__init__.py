"""The Textual flow debugger; only the CLI's TUI branch imports this package."""

from __future__ import annotations

import socket
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from pkce_tui.core.errors import InputError
from pkce_tui.core.flow import FlowConfig

if TYPE_CHECKING:
    from pkce_tui.tui.app import PkceTuiApp

DEMO_PROFILE = "sandbox-cyberark-public"


def run_app(profile: str | None = None, *, insecure: bool = False,
            open_path: str | None = None) -> int:
    """`pkce-tui`: open `profile`, else the last used one, else the profile picker.

    `insecure` (`--insecure`): no TLS certificate verification for any profile opened in this
    session; a warning stays on screen. `open_path` (`--open FILE`): a saved session or a
    browser's HAR export (rebuilt), shown read-only until replayed; a file that is neither is
    an InputError before the screen opens.
    """
    from pkce_tui.core import profiles
    from pkce_tui.tui.app import PkceTuiApp

    if open_path is not None:
        app = PkceTuiApp.for_file(open_path, insecure=insecure)
    else:
        known = profiles.load_profiles()
        if profile is not None and profile not in known:
            raise InputError(f"no profile named {profile!r}; known: {', '.join(known)}")
        chosen = known.get(profile or profiles.last_profile_name() or "")
        app = PkceTuiApp.for_profile(chosen, insecure=insecure)
    require_terminal()  # after the input is checked: a bad file is said first
    app.run()
    return 0


def run_demo() -> int:
    """`pkce-tui demo`: the sandbox in-process, the app on its CyberArk client, F5 ready.

    The first frame comes before the sandbox: the app starts it in a worker and stops it
    when it exits.
    """
    require_terminal()
    demo_app().run()
    return 0


def require_terminal() -> None:
    """The TUI reads keys from stdin and draws on stdout; without a terminal on both it
    would wait for keys that never come, so that is bad usage, said at once."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InputError("the TUI needs a terminal on stdin and stdout; for scripts, use the "
                         "headless commands (pkce-tui flow, jwt, parse-redirect, pkce)")


def demo_app(sandbox_base_url: str | None = None) -> PkceTuiApp:
    """The app on the sandbox's CyberArk public client: the sandbox at `sandbox_base_url`, or
    one the app starts after its first frame.

    CyberArk's API login (alice / pass) completes the flow without a browser, and its
    "Object moved" redirect page shows the quirk this tool was made for.
    """
    from pkce_tui.core import profiles
    from pkce_tui.tui.app import PkceTuiApp

    profile = profiles.builtin_profiles()[DEMO_PROFILE]

    def configure(base_url: str) -> FlowConfig:
        config = FlowConfig(**profile.config_fields(base_url))
        return replace(config, redirect_uri=free_loopback_redirect())

    if sandbox_base_url is not None:
        return PkceTuiApp(configure(sandbox_base_url), profile_name=DEMO_PROFILE,
                          sandbox_base_url=sandbox_base_url)
    waiting = FlowConfig(**replace(profile, sandbox=False).config_fields())
    app = PkceTuiApp(waiting, profile_name=DEMO_PROFILE)
    app.start_sandbox_then(configure)
    return app


def free_loopback_redirect() -> str:
    """A loopback redirect URI on a port free right now (RFC 8252 §7.3: any port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/callback"
