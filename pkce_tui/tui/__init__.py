"""The Textual flow debugger; only the CLI's TUI branch imports this package."""

from __future__ import annotations

import socket
from dataclasses import replace
from typing import TYPE_CHECKING

from pkce_tui.core import profiles
from pkce_tui.core.errors import InputError
from pkce_tui.core.flow import FlowConfig

if TYPE_CHECKING:
    from pkce_tui.tui.app import PkceTuiApp

DEMO_PROFILE = "sandbox-cyberark-public"


def run_app(profile: str | None = None, *, insecure: bool = False,
            open_path: str | None = None) -> int:
    """`pkce-tui`: open `profile`, else the last used one, else the profile picker.

    `insecure` (`--insecure`): no TLS certificate verification for any profile opened in this
    session; a warning stays on screen. `open_path` (`--open FILE`): a browser's HAR export,
    rebuilt and shown read-only until replayed; a file that is no readable HAR is an
    InputError before the screen opens.
    """
    from pkce_tui.tui.app import PkceTuiApp

    if open_path is not None:
        PkceTuiApp.for_har(open_path, insecure=insecure).run()
        return 0
    known = profiles.load_profiles()
    if profile is not None and profile not in known:
        raise InputError(f"no profile named {profile!r}; known: {', '.join(known)}")
    chosen = known.get(profile or profiles.last_profile_name() or "")
    PkceTuiApp.for_profile(chosen, insecure=insecure).run()
    return 0


def run_demo() -> int:
    """`pkce-tui demo`: the sandbox in-process, the app on its CyberArk client, F5 ready."""
    from pkce_tui.sandbox import Sandbox

    sandbox = Sandbox()
    sandbox.start()
    try:
        demo_app(sandbox.base_url).run()
    finally:
        sandbox.stop()
    return 0


def demo_app(sandbox_base_url: str) -> PkceTuiApp:
    """The app on the running sandbox's CyberArk public client.

    CyberArk's API login (alice / pass) completes the flow without a browser, and its
    "Object moved" redirect page shows the quirk this tool was made for.
    """
    from pkce_tui.tui.app import PkceTuiApp

    profile = profiles.builtin_profiles()[DEMO_PROFILE]
    config = FlowConfig(**profile.config_fields(sandbox_base_url))
    config = replace(config, redirect_uri=free_loopback_redirect())
    return PkceTuiApp(config, profile_name=DEMO_PROFILE, sandbox_base_url=sandbox_base_url)


def free_loopback_redirect() -> str:
    """A loopback redirect URI on a port free right now (RFC 8252 §7.3: any port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/callback"
