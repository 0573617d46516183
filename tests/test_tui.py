"""The flow debugger's panes on their own: typing, validation, copying, explaining, layout.

These need no server: the target is an unreachable loopback port and no step is run.
The flow against the sandbox is in tests/test_tui_flow.py.
"""

from __future__ import annotations

import base64
import gc
import io
import itertools
import json
from pathlib import Path

import pyperclip
import pytest
from rich.console import Console
from textual import events
from textual.geometry import Size
from textual.widgets import DataTable, Input, Select, Static
from textual.widgets._footer import FooterKey

import pkce_tui.tui.app
from pkce_tui.core import jwt
from pkce_tui.core.flow import FlowConfig, record
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.redaction import mask
from pkce_tui.core.redirect import parse_http_response
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui.app import KeysFooter, PkceTuiApp
from pkce_tui.tui.panes import redirect_details, split_params

RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
OFFLINE = FlowConfig(issuer="http://127.0.0.1:9/generic", client_id="demo-public")


def text_of(app: PkceTuiApp, selector: str) -> str:
    """The plain text a Static shows, unwrapped."""
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(app.query_one(selector, Static).content)
    return console.export_text()


@pytest.fixture
def clipboard(monkeypatch):
    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    return copied


async def test_typing_a_verifier_updates_the_challenge():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*RFC_VERIFIER)
        assert app.flow.config.verifier == RFC_VERIFIER
        assert RFC_CHALLENGE in text_of(app, "#challenge .body")
        assert "valid: 43 chars" in text_of(app, "#verifier-check")


async def test_invalid_verifier_names_the_failing_position():
    app = PkceTuiApp(OFFLINE, verifier="x" * 50)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end", "+")
        assert "bad character '+' at position 51" in text_of(app, "#verifier-check")
        # the challenge of an invalid verifier is still shown: what a server would compare
        assert "code_challenge" in text_of(app, "#challenge .body")


async def test_plain_method_shows_the_verifier_as_challenge():
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#method", Select).value = "plain"
        await pilot.pause()
        assert app.flow.config.method == "plain"
        body = text_of(app, "#challenge .body")
        assert "SHA-256" not in body and f"code_challenge {RFC_VERIFIER}" in body


async def test_regenerate_makes_a_fresh_valid_verifier():
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#regenerate").press()
        await pilot.pause()
        assert app.flow.config.verifier != RFC_VERIFIER
        assert app.query_one("#verifier-input", Input).value == app.flow.config.verifier
        assert "✔ valid: 64 chars" in text_of(app, "#verifier-check")


async def test_copy_puts_the_verifier_on_both_clipboards_masked_until_revealed(clipboard):
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        assert app.clipboard == mask(RFC_VERIFIER) and clipboard == [mask(RFC_VERIFIER)]
        await pilot.press("f2", "f3")
        assert app.clipboard == RFC_VERIFIER
        assert clipboard[-1] == RFC_VERIFIER


async def test_copy_without_a_system_clipboard_says_so(monkeypatch):
    def no_backend(text):
        raise pyperclip.PyperclipException("no backend")

    monkeypatch.setattr(pyperclip, "copy", no_backend)
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2", "f3")
        assert app.clipboard == RFC_VERIFIER
        assert any("OSC 52" in n.message for n in app._notifications)


async def test_f1_explains_the_focused_step_with_its_rfc():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one("#verifier")
        assert not pane.query(".explain")  # made on first use: start-up does not pay for it
        await pilot.press("f1")
        assert pane.query_one(".explain").display
        assert "RFC 7636 §4.1" in str(pane.query_one(".explain", Static).content)
        await pilot.press("f1")
        assert not pane.query_one(".explain").display


async def test_insecure_shows_a_warning_on_screen():
    async with PkceTuiApp(OFFLINE).run_test() as pilot:
        assert not pilot.app.query_one("#insecure").display
    insecure = FlowConfig(issuer=OFFLINE.issuer, insecure=True)
    async with PkceTuiApp(insecure).run_test() as pilot:
        assert pilot.app.query_one("#insecure").display


def param_rows(app: PkceTuiApp) -> dict[str, str]:
    table = app.query_one("#params", DataTable)
    return {key.value: str(table.get_cell(key, "value")) for key in table.rows}


async def test_authorize_table_previews_every_parameter_with_the_live_challenge():
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER, state="fixed-state")
    async with app.run_test(size=(120, 40)) as pilot:
        rows = param_rows(app)
        assert list(rows)[:4] == ["response_type", "client_id", "redirect_uri", "scope"]
        assert rows["code_challenge"] == RFC_CHALLENGE
        assert rows["code_challenge_method"] == "S256"
        assert rows["state"] == "fixed-state" and "fresh" in rows["nonce"]
        await pilot.press("end", "Z")  # typing in the verifier rewrites the challenge cell
        assert param_rows(app)["code_challenge"] != RFC_CHALLENGE


async def test_a_key_in_the_verifier_repaints_the_challenge_cell_and_no_whole_pane():
    """Typing stays cheap: the table repaints the one cell that changed, and a pane whose
    title did not change is not repainted whole (setting a border title repaints the pane)."""
    app = PkceTuiApp(OFFLINE, verifier=RFC_VERIFIER)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.query_one("#params", DataTable)
        panes = [app.query_one(f"#{name}") for name in ("verifier", "challenge", "authorize")]
        whole: list[str] = []
        regions: list[object] = []

        def spy(widget, name: str):
            real = widget.refresh

            def refresh(*regions_given, **kw):
                (regions.extend(regions_given) if regions_given else whole.append(name))
                return real(*regions_given, **kw)
            return refresh

        table.refresh = spy(table, "params")
        for pane in panes:
            pane.refresh = spy(pane, pane.id)
        await pilot.press("end", "Z")
        assert param_rows(app)["code_challenge"] != RFC_CHALLENGE
        assert whole == [] and regions


async def test_scope_edit_in_the_table_goes_to_the_config():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one("#params", DataTable)
        table.focus()
        table.move_cursor(row=list(param_rows(app)).index("scope"))
        await pilot.press("enter")  # the row goes into the editor as name=value
        assert app.query_one("#param-edit", Input).value == "scope=openid profile"
        await pilot.press("end", *" email", "enter")
        assert app.flow.config.scope == "openid profile email"
        assert param_rows(app)["scope"] == "openid profile email"


async def test_extra_parameters_are_added_replaced_and_removed():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#param-edit").focus()
        await pilot.press(*"prompt=login", "enter", *"acr_values=mfa", "enter")
        await pilot.press(*"prompt=consent", "enter")
        assert app.flow.config.extra_params == (("prompt", "consent"), ("acr_values", "mfa"))
        table = app.query_one("#params", DataTable)
        table.move_cursor(row=list(param_rows(app)).index("prompt"))
        app.query_one("#remove-param").press()
        await pilot.pause()
        assert app.flow.config.extra_params == (("acr_values", "mfa"),)
        assert "prompt" not in param_rows(app)


async def test_derived_parameters_are_not_edited_in_the_table():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#param-edit").focus()
        await pilot.press(*"code_challenge=abc", "enter")
        assert app.flow.config.extra_params == ()
        assert any("derived" in n.message for n in app._notifications)


async def test_extra_params_are_split_into_pairs():
    assert split_params("prompt=login& acr_values=mfa&debug") == (
        ("prompt", "login"), ("acr_values", "mfa"), ("debug", ""))


async def test_the_focused_pane_is_larger_and_every_pane_stays_visible():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        verifier, discovery, token = (app.query_one(f"#{p}") for p in
                                      ("verifier", "discovery", "token"))
        assert verifier.size.width > discovery.size.width
        assert verifier.size.height > token.size.height
        app.query_one("#token").focus()
        await pilot.pause()
        assert token.size.height > verifier.size.height
        assert token.size.width > app.query_one("#claims").size.width
        screen = app.screen.region
        for pane in app.query(".pane-row > *"):
            assert pane.region.height >= 3 and screen.contains_region(pane.region), pane.id


async def test_narrow_terminal_stacks_panes_and_f4_maximises():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.screen.has_class("-narrow")
        await pilot.press("f4")
        assert app.screen.maximized is app.query_one("#verifier")
        await pilot.press("f4")
        assert app.screen.maximized is None


async def test_footer_offers_only_what_applies():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)):
        assert app.check_action("run_all", ()) is True
        assert app.check_action("replay", ()) is None  # nothing has run yet
        assert app.check_action("compare", ()) is False
        assert app.check_action("cancel", ()) is False


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_key_in_the_footer_is_on_screen(size):
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        keys = list(app.query(FooterKey))
        assert {key.key for key in keys} >= {"f10", "f5", "f1", "f2", "f3", "f4", "f6", "ctrl+q",
                                          "ctrl+p"}
        for key in keys:
            whole = len(key.key_display) + len(key.description) + 3  # with their padding
            assert key.region.right <= size[0] and key.region.width >= whole, key.key
        for first, second in itertools.combinations(keys, 2):
            assert not first.region.overlaps(second.region), (first.key, second.key)


async def test_palette_lists_every_flow_action():
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)):
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Step", "Run all", "Explain", "Reveal", "Copy", "Profiles"} <= titles


def rendered(parts: list) -> str:
    console = Console(width=400, record=True, file=io.StringIO())
    for part in parts:
        console.print(part)
    return " ".join(console.export_text().split())


@pytest.mark.parametrize("page_code, verdict", [("c0de", "✔ same URL as the Location header"),
                                                ("other", "✘ differs from the Location header")])
def test_redirect_shows_the_object_moved_link_the_core_found(page_code, verdict):
    """The pane shows the core's page_link next to the Location header; it parses nothing."""
    location = "http://127.0.0.1:8765/callback?responseType=code&code=c0de&state=s1"
    link = location.replace("c0de", page_code)
    page = f'<html><body><h2>Object moved to <a href="{link.replace("&", "&amp;")}">here</a>.'
    parsed = parse_http_response(HttpResponse(302, (("Location", location),), page),
                                 expected_state="s1")
    shown = rendered(redirect_details(StepResult("redirect", "ok", "code c0de",
                                                 parsed.to_json())))
    assert f'anchor found in the page <a href="{link}">' in shown and verdict in shown
    assert "code c0de" in shown and "✔ state" in shown


def id_token_result(payload: dict) -> StepResult:
    """The id_token step's result for a token carrying `payload` (no JWKS: decoded only)."""
    header = base64.urlsafe_b64encode(b'{"alg":"RS256"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    report = jwt.validate(f"{header}.{body}.c2ln")
    return StepResult("id_token", "ok", "decoded", report.to_json(), value=report)


async def test_a_100_kb_claim_is_shown_cut_and_copied_whole(clipboard):
    """The pane lists a huge claim's start and says how much is left out; F3 copies it all."""
    groups = [f"group-{index:05d}" for index in range(8_000)]
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        app.flow = record(app.flow, "id_token", id_token_result({"sub": "alice",
                                                                  "groups": groups}))
        await pilot.pause()
        shown = text_of(app, "#claims .body")
        assert "group-00000" in shown and "group-07999" not in shown
        assert "more characters (F3 copies the claims)" in shown and "alice" in shown
        copies = {value.label: value.text for value in app.query_one("#claims").copy_values(
            app.flow)}
        assert json.loads(copies["the ID token claims"])["groups"] == groups


async def test_a_token_of_thousands_of_claims_lists_the_first_ones():
    claims = {f"claim{index}": index for index in range(1_000)}
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        app.flow = record(app.flow, "id_token", id_token_result(claims))
        await pilot.pause()
        shown = text_of(app, "#claims .body")
        assert "claim199 " in shown and "claim200 " not in shown
        assert "800 more claims" in shown


async def test_the_garbage_collector_is_paused_only_until_the_first_frame():
    collecting_while_building = []

    class Probe(PkceTuiApp):
        CSS_PATH = Path(pkce_tui.tui.app.__file__).with_name("app.tcss")

        def compose(self):
            collecting_while_building.append(gc.isenabled())
            yield from super().compose()

    assert gc.isenabled()
    async with Probe(OFFLINE).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert gc.isenabled()  # resumed once the first frame was shown
        assert gc.get_freeze_count() == 0  # only a terminal session freezes its start-up
    assert collecting_while_building == [False]
    assert gc.isenabled()


async def test_a_resize_to_the_same_size_does_not_lay_the_screen_out_again():
    """The driver reports the terminal's size after the first frame: the same size as laid
    out, so no reflow of every pane; a new size still lays the screen out."""
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen, layouts = app.screen, []
        real = screen._refresh_layout
        screen._refresh_layout = lambda *args, **kw: (layouts.append(args), real(*args, **kw))
        app.post_message(events.Resize(Size(120, 40), Size(120, 40)))
        await pilot.pause()
        await pilot.pause()
        assert layouts == []
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert layouts and app.query_one("#verifier").region.right <= 100


async def test_footer_keys_are_as_compact_as_the_footer_from_the_start():
    """The keys get the footer's compact value before mounting (one styling, not three):
    the data binding then keeps them following it."""
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.query_one(KeysFooter)
        keys = [key for key in footer.query(FooterKey) if not key.has_class("-command-palette")]
        assert keys and all(key.compact is footer.compact is False for key in keys)
        assert not any(key.has_class("-compact") for key in keys)
        palette = footer.query_one(".-command-palette", FooterKey)
        assert palette.compact and palette.has_class("-compact")  # Textual's own, unbound
        footer.compact = True
        await pilot.pause()
        assert all(key.compact and key.has_class("-compact") for key in keys)

