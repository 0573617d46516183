"""Make the README's screenshots from a headless run of the real app against the sandbox.

    python scripts/export_screenshots.py [OUTPUT_DIR]     (default: screenshots/)

Writes flow-done.svg (F5 through every step), verifier-edited-stale.svg (the verifier changed
after a run: later panes stale), token-refused.svg (a wrong code_verifier sent on purpose:
the server's invalid_grant and the diagnosis), and at 80x24: lab-80x24.svg (the tamper lab's
intercepted-code experiment), flow-map-80x24.svg (the flow map half-way) and
diagnosis-80x24.svg (the refused token step maximised with its diagnosis). Tokens stay masked,
as on a user's screen. Verifier, state and nonce are fixed and the cursor does not blink, so
tests/test_screenshots.py can tell a stale screenshot from a fresh one.
"""

from __future__ import annotations

import asyncio
import base64
import random
import sys
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from unittest import mock

from textual.pilot import Pilot
from textual.widgets import Input

from pkce_tui.core import authorize, pkce, profiles
from pkce_tui.core.flow import FlowConfig, FlowState
from pkce_tui.sandbox import Sandbox, store
from pkce_tui.tui.app import PkceTuiApp

PROFILE = "sandbox-cyberark-public"
SIZE = (120, 40)
SMALL = (80, 24)
FIXED = {"verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "state": "screenshot-state",
         "nonce": "screenshot-nonce"}
WRONG_VERIFIER = "this-is-not-the-verifier-whose-challenge-was-sent"

KEY_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "snapshot_rsa_key.pem"

Scene = Callable[[Pilot], Awaitable[None]]


class Seeded:
    """Stands in for `secrets` in the sandbox's store and the flow's state, nonce and verifier
    while a scene is shot, so codes and tokens are the same on every run (never for real use)."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)

    def token_urlsafe(self, nbytes: int = 32) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(nbytes)).rstrip(b"=").decode()

    def choice(self, sequence):
        return self.rng.choice(sequence)


def seeded(name: str) -> ExitStack:
    """Every module that draws random values draws them from one generator seeded by `name`."""
    stack = ExitStack()
    generator = Seeded(name)
    for module in (store, authorize, pkce):
        stack.enter_context(mock.patch.object(module, "secrets", generator))
    return stack


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


async def lab(pilot: Pilot) -> None:
    pilot.app.run_lab("stolen-code")
    await settle(pilot)


async def flow_map(pilot: Pilot) -> None:
    for _ in range(6):
        await pilot.press("f10")
        await settle(pilot)
    await pilot.press("f9")
    await pilot.pause()


async def diagnosis(pilot: Pilot) -> None:
    await token_refused(pilot)
    await pilot.press("f4")
    await pilot.pause()


SCENES: dict[str, tuple[Scene, tuple[int, int]]] = {
    "flow-done.svg": (flow_done, SIZE),
    "verifier-edited-stale.svg": (verifier_edited, SIZE),
    "token-refused.svg": (token_refused, SIZE),
    "lab-80x24.svg": (lab, SMALL),
    "flow-map-80x24.svg": (flow_map, SMALL),
    "diagnosis-80x24.svg": (diagnosis, SMALL),
}


def fixed_timings(state: FlowState) -> FlowState:
    """Every response as if it took 42 ms: the one value a real exchange cannot fix."""
    results = {step: replace(result, response=replace(result.response, elapsed_ms=42.0))
               if result.response else result for step, result in state.results.items()}
    return replace(state, results=results)


async def settled(pilot, rounds: int = 100) -> None:
    """Wait until the screen stops changing: workers done, animations over (focusing a pane
    scrolls to it in 0.2 s) and two frames in a row alike.

    One pause is not enough on a loaded machine: a layout pass (a scrollbar appearing, a
    banner's width) can land a frame later, and the picture would depend on the load; two
    frames taken within one tick of a running scroll are alike and still mid-way.
    """
    await pilot.app.workers.wait_for_complete()
    previous = None
    for _ in range(rounds):
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        current = pilot.app.export_screenshot()
        if current == previous:
            return
        previous = current


async def shoot(sandbox: Sandbox, name: str, scene: Scene, size: tuple[int, int],
                output: Path) -> None:
    profile = profiles.builtin_profiles()[PROFILE]
    config = FlowConfig(**profile.config_fields(sandbox.base_url))
    app = PkceTuiApp(config, profile_name=PROFILE, sandbox_base_url=sandbox.base_url, **FIXED)
    with seeded(name):
        async with app.run_test(size=size) as pilot:
            await still_cursor(pilot)
            await scene(pilot)
            await still_cursor(pilot)
            app.flow = fixed_timings(app.flow)
            app.clear_notifications()
            await settled(pilot)
            app.save_screenshot(filename=name, path=str(output))
    print(output / name)


async def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    with Sandbox(key_file=str(KEY_FILE)) as sandbox:
        for name, (scene, size) in SCENES.items():
            await shoot(sandbox, name, scene, size, output)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))
