"""What one keystroke in the verifier makes the panes redo (issue 11): only what changed.

Counts of renders and updates, never timings (those are measured by scripts/bench.py).
"""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console, Group
from rich.text import Text
from textual.scrollbar import ScrollBar
from textual.widgets import Input, Static

from pkce_tui.core.flow import override_token, record
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.app import PkceTuiApp
from pkce_tui.tui.panes import claims
from tests.test_tui import OFFLINE, RFC_VERIFIER, id_token_result, text_of

SECRET = "hunter2-claim-secret"
ISSUED = 1_800_000_000


def count_updates(widget: Static) -> list[object]:
    """Every content given to `widget.update` from now on."""
    updates: list[object] = []
    real = widget.update

    def update(content="", *args, **kwargs):
        updates.append(content)
        return real(content, *args, **kwargs)

    widget.update = update
    return updates


async def after_a_run(app: PkceTuiApp, pilot) -> None:
    """The app's flow after a run: the token step's result (its pane has inputs), then the
    ID token; set once the app has started, as a run would."""
    await pilot.pause()
    assertion = {"header": {"alg": "RS256"}, "payload": {"iss": "demo-public"}}
    state = record(app.flow, "token", StepResult("token", "ok", "tokens received", {
        "token_type": "Bearer", "client_assertion": assertion}))
    decoded = id_token_result({"sub": "alice", "note": SECRET, "iat": ISSUED,
                               "groups": [f"g{i}" for i in range(500)]})
    # as the runner records it: with the times, which the pane counts on from the app's clock
    app.flow = record(state, "id_token", replace(decoded, data={**decoded.data,
                                                                "times": {"iat": "issued"}}))
    await pilot.pause()


async def test_the_claims_clock_shows_the_claims_masked_until_f2():
    """The claims pane's one-second tick re-renders from the masked flow, as every pane."""
    app = PkceTuiApp(replace(OFFLINE, password=SECRET), verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        await after_a_run(app, pilot)
        assert SECRET not in text_of(app, "#claims .body")
        app.query_one("#claims").tick()
        await pilot.pause()
        assert "alice" in text_of(app, "#claims .body")
        assert SECRET not in text_of(app, "#claims .body")


async def test_a_key_after_the_claims_clock_ticked_leaves_the_claims_alone():
    """The tick leaves the picture a keystroke would show: the key redraws the challenge,
    not the claims."""
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        await after_a_run(app, pilot)
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


async def test_a_key_that_stales_a_pane_restyles_the_pane_not_its_inputs():
    """The status rules style the pane's border and title: its inputs and scrollbars keep
    their styles."""
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        await after_a_run(app, pilot)
        token = app.query_one("#token")
        restyled: list[object] = []
        real = app.stylesheet.apply

        def apply(node, *args, **kwargs):
            restyled.append(node)
            return real(node, *args, **kwargs)

        app.stylesheet.apply = apply
        await pilot.press("end", "x")
        assert token.has_class("-stale") and token.styles.border.top[0] == "dashed"
        assert token in restyled
        assert not [node for node in restyled
                    if node in token.query(Input) or isinstance(node, ScrollBar)]


async def test_the_spinner_shows_while_its_step_runs_and_hides_after():
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        await after_a_run(app, pilot)
        app.running = "token"
        await pilot.pause()
        spinner = app.query_one("#token .spinner")
        assert spinner.display
        app.running = None
        await pilot.pause()
        assert not spinner.display and app.query_one("#token").has_class("-ok")


async def test_a_key_that_stales_the_claims_does_not_draw_the_token_again(monkeypatch):
    """The decoded token and its checks are drawn once per result: staling the pane (the
    first key after a run) and the clock's tick redraw the status and the ages only."""
    drawn: list[dict] = []
    real = claims.decoded_view
    monkeypatch.setattr(claims, "decoded_view", lambda data: drawn.append(data) or real(data))
    now = [ISSUED + 5.0]
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER, clock=lambda: now[0])
    async with app.run_test(size=(120, 40)) as pilot:
        await after_a_run(app, pilot)
        pane = app.query_one("#claims")
        pane.ticker.pause()
        assert len(drawn) == 1 and "(5 s ago)" in text_of(app, "#claims .body")
        await pilot.press("end", "x")
        now[0] += 60
        pane.tick()
        await pilot.pause()
        shown = text_of(app, "#claims .body")
        assert pane.has_class("-stale") and "stale" in shown and "(1 min ago)" in shown
        assert len(drawn) == 1 and "alice" in shown
        app.reveal = True  # unmasked, it is another picture
        await pilot.pause()
        assert len(drawn) == 2


async def test_a_key_that_stales_a_pane_keeps_the_details_it_drew():
    """A pane gone stale redraws its status line; the details of its result are kept, and
    drawn again when what they show changed."""
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        await after_a_run(app, pilot)
        token = app.query_one("#token")
        drawn: list[str] = []
        real = token.details
        token.details = lambda state, result, **kw: drawn.append(result.name) or real(
            state, result, **kw)
        await pilot.press("end", "x")
        shown = text_of(app, "#token .body")
        assert "stale" in shown and "client assertion" in shown and drawn == []
        app.flow = override_token(app.flow, code="typed-code")  # the details list it
        await pilot.pause()
        assert drawn == ["token"] and "overridden: code" in text_of(app, "#token .body")


def test_frozen_lines_are_drawn_once_per_width_and_are_the_same_lines():
    drawn: list[int] = []

    class Counted:
        def __rich_console__(self, console, options):
            drawn.append(options.max_width)
            yield render.fields_table([("groups", "g" * 300), ("sub", "alice")])

    frozen = render.Frozen(Text("title", style="bold"), Counted())
    plain = Group(Text("title", style="bold"), Counted())
    for width in (40, 40, 60, 40):
        assert lines_of(frozen, width) == lines_of(plain, width)
    assert drawn == [40, 40, 40, 60, 60, 40]  # the frozen one drew each width once


def lines_of(renderable, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system="truecolor")
    console.print(renderable)
    return console.export_text(styles=True)


async def test_a_key_in_the_verifier_lays_nothing_out_and_the_field_follows_its_cursor():
    """The field's text growing changes no widget's size: a key repaints the field (not its
    scrollbar, zero cells wide), and the field still scrolls to keep the cursor in view."""
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end", *"abcdefghijklmnopqrstuvwxyz")  # past the field's width
        field = app.query_one("#verifier-input", Input)
        layouts: list[object] = []
        scrollbar: list[object] = []
        real = field.refresh

        def refresh(*regions, layout: bool = False, **kwargs):
            if layout:
                layouts.append(regions)
            return real(*regions, layout=layout, **kwargs)

        field.refresh = refresh
        field.horizontal_scrollbar.refresh = lambda *args, **kwargs: scrollbar.append(args)
        scrolled = field.scroll_x
        await pilot.press(*"ABCDE")
        assert app.flow.config.verifier == RFC_VERIFIER + "abcdefghijklmnopqrstuvwxyzABCDE"
        assert layouts == [] and scrollbar == []
        assert field.scroll_x > scrolled and field.cursor_screen_offset.x <= field.region.right


async def test_the_claims_clock_redraws_only_when_an_age_changed():
    """An age of "4 min ago" stays for a minute: the ticks meanwhile leave the pane alone."""
    now = [ISSUED + 240.0]
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER, clock=lambda: now[0])
    async with app.run_test(size=(120, 40)) as pilot:
        await after_a_run(app, pilot)
        pane = app.query_one("#claims")
        pane.ticker.pause()
        pane.tick()
        await pilot.pause()
        updates = count_updates(app.query_one("#claims .body", Static))
        now[0] += 10
        pane.tick()
        assert updates == [] and "(4 min ago)" in text_of(app, "#claims .body")
        now[0] += 60
        pane.tick()
        await pilot.pause()
        assert len(updates) == 1 and "(5 min ago)" in text_of(app, "#claims .body")
