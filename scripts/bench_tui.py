"""Benchmark the TUI: start-up time against a bare Textual app, and verifier→challenge latency.

    python scripts/bench_tui.py [ROUNDS]

Start-up: from constructing the app to its first screen being ready under `run_test`, median
of ROUNDS runs (default 5), next to an empty `App` measured the same way. Latency: the time
from one key typed into the verifier to the challenge pane showing the new challenge, median
over 40 keys. Numbers are printed, never asserted: timing belongs here, not in tests.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from textual.app import App

from pkce_tui.core.flow import FlowConfig
from pkce_tui.core.pkce import make_challenge
from pkce_tui.tui.app import PkceTuiApp

OFFLINE = FlowConfig(issuer="http://127.0.0.1:9/generic", client_id="demo-public")
KEYS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"


async def startup_seconds(make_app) -> float:
    started = time.perf_counter()
    async with make_app().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return time.perf_counter() - started


async def keystroke_latencies() -> list[float]:
    """Seconds from a key press to the challenge pane holding the new challenge."""
    app = PkceTuiApp(OFFLINE, verifier="v" * 43)
    latencies = []
    async with app.run_test(size=(120, 40)) as pilot:
        body = app.query_one("#challenge .body")
        for key in KEYS:
            started = time.perf_counter()
            await pilot.press(key)
            expected = make_challenge(app.flow.config.verifier).code_challenge
            while expected not in str(body.content.renderables[0].renderables[-1]):
                await asyncio.sleep(0)
            latencies.append(time.perf_counter() - started)
    return latencies


async def main(rounds: int) -> None:
    bare = [await startup_seconds(App) for _ in range(rounds)]
    ours = [await startup_seconds(lambda: PkceTuiApp(OFFLINE)) for _ in range(rounds)]
    latencies = await keystroke_latencies()
    print(f"start-up, bare Textual app: {statistics.median(bare) * 1000:7.1f} ms (median)")
    print(f"start-up, pkce-tui:         {statistics.median(ours) * 1000:7.1f} ms (median)")
    print(f"verifier key → challenge:   {statistics.median(latencies) * 1000:7.1f} ms (median), "
          f"{max(latencies) * 1000:.1f} ms (max) over {len(latencies)} keys")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
