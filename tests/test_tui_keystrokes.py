"""What one keystroke in the verifier makes the panes redo (issue 11): only what changed.

Counts of renders and updates, never timings (those are measured by scripts/bench.py).
"""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Static

from pkce_tui.core.flow import FlowConfig, record
from pkce_tui.tui.app import PkceTuiApp
from tests.test_tui import OFFLINE, RFC_VERIFIER, id_token_result, text_of

SECRET = "hunter2-claim-secret"


def count_updates(widget: Static) -> list[object]:
    """Every content given to `widget.update` from now on."""
    updates: list[object] = []
    real = widget.update

    def update(content="", *args, **kwargs):
        updates.append(content)
        return real(content, *args, **kwargs)

    widget.update = update
    return updates


def app_with_token(config: FlowConfig = OFFLINE) -> PkceTuiApp:
    app = PkceTuiApp(config, verifier=RFC_VERIFIER)
    app.set_reactive(PkceTuiApp.flow, record(app.flow, "id_token", id_token_result(
        {"sub": "alice", "note": SECRET, "groups": [f"g{i}" for i in range(500)]})))
    return app


async def test_the_claims_clock_shows_the_claims_masked_until_f2():
    """The claims pane's one-second tick re-renders from the masked flow, as every pane."""
    app = app_with_token(replace(OFFLINE, password=SECRET))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert SECRET not in text_of(app, "#claims .body")
        app.query_one("#claims").tick()
        await pilot.pause()
        assert "alice" in text_of(app, "#claims .body")
        assert SECRET not in text_of(app, "#claims .body")


async def test_a_key_after_the_claims_clock_ticked_leaves_the_claims_alone():
    """The tick leaves the picture a keystroke would show: the key redraws the challenge,
    not the claims."""
    app = app_with_token()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end", "x")  # the first key stales the claims pane
        pane = app.query_one("#claims")
        pane.ticker.pause()  # ticks when the test says, not when a second has passed
        pane.tick()
        await pilot.pause()
        claims = count_updates(app.query_one("#claims .body", Static))
        challenge = count_updates(app.query_one("#challenge .body", Static))
        await pilot.press("y")
        assert app.flow.config.verifier == RFC_VERIFIER + "xy"
        assert challenge and claims == []
