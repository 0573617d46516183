"""Benchmark the TUI against bare Textual apps measured the same way, so differences are ours.

    python scripts/bench_tui.py [ROUNDS]

Import: a fresh interpreter importing `pkce_tui.tui.app` next to one importing `textual.app`,
median of ROUNDS runs, each minus an interpreter that imports nothing.

Start-up: from constructing the app to its first screen being ready under `run_test`, median
of ROUNDS runs (default 5), next to an empty `App` measured the same way.

Keystroke: one key sent to the verifier Input, timed until the frame showing the new
challenge has been composited (the app's `_display` called after the challenge changed), median
over 40 keys. The baseline is a bare app with one Input and one Static that computes the same
challenge with the core on every change, under the same harness: keys go straight to the
driver and the clock stops at the frame, so pilot's idle-waiting is not counted for either.
Numbers are printed, never asserted: timing belongs here, not in tests.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from rich.console import Console
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from pkce_tui.core.flow import FlowConfig
from pkce_tui.core.pkce import make_challenge
from pkce_tui.tui.app import PkceTuiApp

OFFLINE = FlowConfig(issuer="http://127.0.0.1:9/generic", client_id="demo-public")
KEYS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
START = "v" * 43


class BareChallengeApp(App):
    """The least a Textual app can do for the same keystroke: Input → make_challenge → Static."""

    def compose(self) -> ComposeResult:
        yield Input(START, id="verifier-input")
        yield Static(id="challenge")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#challenge", Static).update(make_challenge(event.value).code_challenge)


async def startup_seconds(make_app: Callable[[], App]) -> float:
    started = time.perf_counter()
    async with make_app().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return time.perf_counter() - started


def text_of(widget: Static) -> str:
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def keystroke_latencies(app: App, selector: str) -> tuple[list[float], list[float]]:
    """Seconds from a key reaching the driver to the frame that shows the new challenge, and
    to the challenge widget holding its new content (the app's own work, before painting)."""
    frames: list[float] = []
    display = app._display

    def timed_display(screen, renderable) -> None:
        display(screen, renderable)
        frames.append(time.perf_counter())

    latencies, to_content = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        app._display = timed_display
        target = app.query_one(selector, Static)
        field = app.query_one("#verifier-input", Input)
        field.cursor_blink = False
        field.action_end()
        await pilot.pause()
        for key in KEYS:
            before = target.content
            started = time.perf_counter()
            app._driver.send_message(events.Key(key, key))
            while target.content is before:  # the app updated the challenge...
                await asyncio.sleep(0)
            changed_at = time.perf_counter()
            while not frames or frames[-1] < changed_at:  # ...and painted the next frame
                await asyncio.sleep(0)
            latencies.append(frames[-1] - started)
            to_content.append(changed_at - started)
            await pilot.pause()
        expected = make_challenge(START + KEYS).code_challenge
        assert expected in text_of(target), "the benchmark did not see the final challenge"
    return latencies, to_content


def import_seconds(module: str, rounds: int) -> list[float]:
    """Wall time of `python -c "import MODULE"`, less that of a bare interpreter."""
    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    baseline = statistics.median(run("pass") for _ in range(rounds))
    return [run(f"import {module}") - baseline for _ in range(rounds)]


def report(label: str, seconds: list[float]) -> str:
    return (f"{label:<34}{statistics.median(seconds) * 1000:7.1f} ms (median), "
            f"{max(seconds) * 1000:6.1f} ms (max)")


async def main(rounds: int) -> None:
    print(report("import, textual.app:", import_seconds("textual.app", rounds)))
    print(report("import, pkce_tui.tui.app:", import_seconds("pkce_tui.tui.app", rounds)))
    bare = [await startup_seconds(App) for _ in range(rounds)]
    ours = [await startup_seconds(lambda: PkceTuiApp(OFFLINE)) for _ in range(rounds)]
    bare_keys, bare_content = await keystroke_latencies(BareChallengeApp(), "#challenge")
    our_keys, our_content = await keystroke_latencies(PkceTuiApp(OFFLINE, verifier=START),
                                                      "#challenge .body")
    print(report("start-up, bare Textual app:", bare))
    print(report("start-up, pkce-tui:", ours))
    print(report("key → challenge, bare Input+Static:", bare_keys))
    print(report("key → challenge, pkce-tui:", our_keys))
    print(report("key → content, bare Input+Static:", bare_content))
    print(report("key → content, pkce-tui:", our_content))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
