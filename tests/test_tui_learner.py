"""What a learner tries first in the debugger: clearing and retyping the verifier, typing at any
pace, pasting, the entropy shown, the keys that help (F1, F4, quit), replaying a spent code.

The flow runs against the real sandbox over loopback (fixture `sandbox` in conftest.py).
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from conftest import pause_until, settle
from rich.console import Console
from textual import events
from textual.widgets import Input, Static

from pkce_tui.core import profiles
from pkce_tui.core.flow import FlowConfig
from pkce_tui.tui.app import PkceTuiApp

RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
OFFLINE = FlowConfig(issuer="http://127.0.0.1:9/generic", client_id="demo-public")


def make_app(sandbox, name: str = "sandbox-cyberark-public", **changes) -> PkceTuiApp:
    profile = profiles.builtin_profiles()[name]
    config = replace(FlowConfig(**profile.config_fields(sandbox.base_url)), **changes)
    return PkceTuiApp(config, profile_name=name, sandbox_base_url=sandbox.base_url)


def shown(app: PkceTuiApp, selector: str) -> str:
    """The plain text a Static shows."""
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(app.query_one(selector, Static).content)
    return console.export_text()


def verifier_field(app: PkceTuiApp) -> Input:
    return app.query_one("#verifier-input", Input)


async def test_cleared_verifier_stays_empty_and_takes_a_new_one_from_scratch(sandbox):
    """After a run generated a verifier, clearing the field leaves it empty (the old one does
    not come back) and typing the RFC's example gives exactly that verifier."""
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10", "f10")  # discovery, then the verifier step generates one
        await settle(pilot)
        generated = app.flow.result("verifier").data["code_verifier"]
        field = verifier_field(app)
        assert field.value == generated
        field.focus()
        await pilot.press("ctrl+u", "end", *["backspace"] * (len(generated) + 1))
        assert field.value == ""
        assert app.flow.config.verifier is None
        assert "waiting for a verifier" in shown(app, "#challenge .body")
        for key in RFC_VERIFIER:
            await pilot.press(key)
        assert field.value == RFC_VERIFIER
        assert app.flow.config.verifier == RFC_VERIFIER
        assert RFC_CHALLENGE in shown(app, "#challenge .body")
        assert "43 chars" in shown(app, "#verifier-check")


async def test_keys_arriving_before_the_state_catches_up_keep_their_order():
    """Keys that reach the field while the app still handles earlier ones (a fast burst) are
    never overwritten by the state's older echo."""
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        field = verifier_field(app)
        for key in RFC_VERIFIER:  # every key queued before any is handled
            app.post_message(events.Key(key, key))
        await pilot.pause()
        await pilot.pause()
        assert field.value == RFC_VERIFIER
        assert app.flow.config.verifier == RFC_VERIFIER
        assert field.cursor_position == len(RFC_VERIFIER)


async def test_typing_one_key_at_a_time_matches_the_field_after_every_key():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        field = verifier_field(app)
        for count, key in enumerate(RFC_VERIFIER, start=1):
            await pilot.press(key)
            assert field.value == RFC_VERIFIER[:count]
        assert app.flow.config.verifier == RFC_VERIFIER


async def test_a_paste_into_the_verifier_is_taken_whole():
    app = PkceTuiApp(OFFLINE, verifier="x" * 50)
    async with app.run_test(size=(120, 40)) as pilot:
        field = verifier_field(app)
        await pilot.press("ctrl+u", *["backspace"] * 50)
        app.post_message(events.Paste(RFC_VERIFIER))
        await pilot.press("end")
        assert field.value == RFC_VERIFIER
        assert app.flow.config.verifier == RFC_VERIFIER
        assert RFC_CHALLENGE in shown(app, "#challenge .body")


async def test_regenerate_while_the_field_has_focus_shows_the_new_verifier():
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        assert verifier_field(app).has_focus
        app.query_one("#regenerate").press()
        await pilot.pause()
        assert verifier_field(app).value == app.flow.config.verifier != RFC_VERIFIER


async def test_a_visibly_non_random_verifier_is_warned_about():
    """43 × `a` is valid by the grammar but holds no entropy: the pane says so and cites
    RFC 7636 §7.1's 256 bits, instead of crediting it with 259.9 bits."""
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"a" * 43)
        check = shown(app, "#verifier-check")
        assert "but it is not" in check and "256" in check and "repeated" in check
        assert "✔" not in check
        await pilot.press("ctrl+u", *["backspace"] * 43, *RFC_VERIFIER)
        check = shown(app, "#verifier-check")
        assert "✔ valid: 43 chars, 259.9 bits if random" in check


async def test_f4_with_nothing_focused_maximises_the_current_steps_pane(sandbox):
    """With nothing focused (as after F5 moved it), F4 maximises the current step's pane (the
    last one run, when the flow is done) and focuses it, instead of doing nothing."""
    app = make_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        app.set_focus(None)
        await pilot.press("f4")
        last = next(reversed(app.flow.results))
        assert last in app.screen.maximized.STEPS
        assert app.focused_pane() is app.screen.maximized
        await pilot.press("f4")
        assert app.screen.maximized is None


async def test_f4_after_a_failure_maximises_the_failed_step(sandbox):
    app = make_app(sandbox, extra_params=(("sandbox_fault", "server_error"),))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        app.set_focus(None)
        await pilot.press("f4")
        failed = next(s for s, r in app.flow.results.items() if r.status == "error")
        assert failed in app.screen.maximized.STEPS


async def test_f1_brings_the_explanation_into_view_in_a_scrolled_pane(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        pane = app.query_one("#token")
        pane.focus()
        await pilot.press("f4")
        pane.scroll_end(animate=False)
        await pilot.pause()
        assert pane.scroll_y > 0
        await pilot.press("f1")
        await pilot.pause()
        explain = pane.query_one(".explain")
        assert explain.display and pane.scroll_y == 0
        assert pane.region.contains_region(explain.region)


async def test_the_footer_has_a_quit_key_and_the_palette_no_duplicates():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert len(titles) == len(set(titles))
        assert "Maximize" not in titles and "Max" in titles and "Quit" in titles
        await pilot.press("ctrl+q")
        assert app.return_code == 0 or not app.is_running


async def test_the_focused_pane_is_marked_by_more_than_colour():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        focused, other = app.query_one("#verifier"), app.query_one("#token")
        assert "reverse" in str(focused.styles.border_title_style)
        assert "reverse" not in str(other.styles.border_title_style)


async def test_the_focus_moving_to_another_row_restyles_both_panes_and_rows():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before, after = app.query_one("#verifier"), app.query_one("#token")
        app.query_one("#override-code").focus()
        await pilot.pause()
        assert "reverse" in str(after.styles.border_title_style)
        assert "reverse" not in str(before.styles.border_title_style)
        assert after.styles.width.value == 2 and before.styles.width.value == 1
        assert after.parent.styles.height.value == 2 and before.parent.styles.height.value == 1


async def test_relative_times_count_on_while_shown(sandbox):
    """The claims pane's "(N s ago)" follows the app's clock; checks state absolute times."""
    now = [0.0]
    app = make_app(sandbox)
    app.clock = lambda: now[0] or __import__("time").time()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        iat = app.flow.result("id_token").data["payload"]["iat"]
        now[0] = iat + 125
        app.query_one("#claims").tick()
        await pilot.pause()
        body = shown(app, "#claims .body")
        assert "(2 min ago)" in body
        assert "not in the future" in body  # the check's verdict names no moving age


async def test_replaying_the_token_step_with_a_spent_code_offers_authorize(sandbox):
    from pkce_tui.tui.screens import SpentCodeChoice

    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        spent = app.flow.result("redirect").data["code"]
        app.query_one("#token").focus()
        await pilot.press("ctrl+r")
        await pause_until(pilot, lambda: isinstance(app.screen, SpentCodeChoice),
                          "the spent-code choice offered")
        await pilot.press("enter")  # "Replay from authorize" has the focus
        await settle(pilot)
        assert app.flow.result("redirect").data["code"] != spent
        assert app.flow.result("token").status == "ok"


async def test_the_profile_picker_fits_80_columns_and_lists_demo_post(sandbox, tmp_path,
                                                                      monkeypatch):
    from textual.widgets import OptionList

    monkeypatch.setenv(profiles.CONFIG_DIR_ENV, str(tmp_path))
    app = PkceTuiApp(OFFLINE, pick_profile=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pause_until(pilot, lambda: app.screen.query(OptionList), "the profile picker shown")
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert "sandbox-cloudentity-post" in ids
        for index in range(options.option_count):
            assert options.get_option_at_index(index).prompt.cell_len <= options.size.width - 2


async def test_maximised_authorize_pane_fits_80_columns_with_its_buttons(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        pane = app.query_one("#authorize")
        pane.focus()
        await pilot.press("f4")
        await pilot.pause()
        assert pane.region.width == 80 and pane.virtual_size.width <= pane.size.width
        for button in ("#remove-param", "#open-browser"):
            assert pane.region.contains_region(app.query_one(button).region)
        table = app.query_one("#params")
        state = app.flow.result("authorize").data["state"]
        assert table.region.right <= 80
        assert state in str(table.get_cell("state", "value"))


async def test_long_parameter_values_wrap_in_a_narrow_authorize_pane(sandbox):
    """Unfocused at 120x40 the authorize pane is narrow: a 43-character state wraps onto a
    second line of its row instead of being cut at the pane's edge."""
    from textual.widgets.data_table import ColumnKey, RowKey

    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        app.query_one("#redirect").focus()
        table = app.query_one("#params")
        state = app.flow.result("authorize").data["state"]
        await pause_until(pilot, lambda: table.columns[ColumnKey("value")].width < len(state),
                          "the unfocused authorize pane laid out narrow")  # after a refresh
        width = table.columns[ColumnKey("value")].width
        assert table.rows[RowKey("state")].height == -(-len(state) // width)
        assert table.region.right <= app.query_one("#authorize").region.right


@pytest.mark.parametrize("method", ["plain", "none"])
async def test_the_tui_keeps_the_configured_pkce_method(method):
    """A profile with plain (or no) PKCE opens as it is: the method chooser shows it and does
    not put S256 back when it mounts."""
    from textual.widgets import Select

    app = PkceTuiApp(replace(OFFLINE, method=method))
    async with app.run_test(size=(120, 40)) as pilot:
        await pause_until(pilot, lambda: app.query("#method"), "the method chooser shown")
        await settle(pilot)
        assert app.flow.config.method == method
        assert app.query_one("#method", Select).value == method
