"""Make the README's screenshots from a headless run of the real app against the sandbox.

    python scripts/export_screenshots.py [OUTPUT_DIR]     (default: screenshots/)

Writes flow-done.svg (F5 through every step), verifier-edited-stale.svg (the verifier changed
after a run: later panes stale) and token-refused.svg (a wrong code_verifier sent on purpose:
the server's invalid_grant and the diagnosis). Tokens stay masked, as on a user's screen.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from pkce_tui.core import profiles
from pkce_tui.core.flow import FlowConfig
from pkce_tui.sandbox import Sandbox
from pkce_tui.tui.app import PkceTuiApp

PROFILE = "sandbox-cyberark-public"
SIZE = (120, 40)
WRONG_VERIFIER = "this-is-not-the-verifier-whose-challenge-was-sent"

Scene = Callable[[Pilot], Awaitable[None]]


async def settle(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def still_cursor(pilot: Pilot) -> None:
    for field in pilot.app.query(Input).results():
        field.cursor_blink = False


async def flow_done(pilot: Pilot) -> None:
    await pilot.press("f5")
    await settle(pilot)
    pilot.app.query_one("#claims").focus()
    await pilot.pause()


async def verifier_edited(pilot: Pilot) -> None:
    await flow_done(pilot)
    pilot.app.query_one("#verifier-input").focus()
    await pilot.press("end", *"-edited")
    await pilot.pause()


async def token_refused(pilot: Pilot) -> None:
    pilot.app.query_one("#override-code_verifier").focus()
    await pilot.press(*WRONG_VERIFIER, "enter")
    await pilot.press("f5")
    await settle(pilot)
    pilot.app.query_one("#token").focus()
    await pilot.pause()


SCENES: dict[str, Scene] = {
    "flow-done.svg": flow_done,
    "verifier-edited-stale.svg": verifier_edited,
    "token-refused.svg": token_refused,
}


async def shoot(sandbox: Sandbox, name: str, scene: Scene, output: Path) -> None:
    profile = profiles.builtin_profiles()[PROFILE]
    config = FlowConfig(**profile.config_fields(sandbox.base_url))
    app = PkceTuiApp(config, profile_name=PROFILE, sandbox_base_url=sandbox.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await still_cursor(pilot)
        await scene(pilot)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot(filename=name, path=str(output))
    print(output / name)


async def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    with Sandbox() as sandbox:
        for name, scene in SCENES.items():
            await shoot(sandbox, name, scene, output)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))
