"""The tamper lab in the TUI: F7's menu and the palette run an experiment on the sandbox, its
flow fills the panes like any run, and the verdict names what protected the user."""

from __future__ import annotations

import io

from conftest import pause_until, settle
from rich.console import Console
from textual.widgets import OptionList, Static

from pkce_tui.core.flow import FlowConfig
from pkce_tui.tui.app import PkceTuiApp
from pkce_tui.tui.lab import LabMenu

OFFLINE = FlowConfig(issuer="http://127.0.0.1:9/generic", client_id="demo-public")


def banner(app: PkceTuiApp) -> str:
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(app.query_one("#lab-verdict", Static).content)
    return console.export_text()


async def test_f7_runs_the_intercepted_code_experiment_and_explains_it(sandbox):
    app = PkceTuiApp(OFFLINE, sandbox_base_url=sandbox.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f7")
        await pause_until(pilot, lambda: isinstance(app.screen, LabMenu)
                          and app.screen.query(OptionList), "the lab menu shown")
        assert app.screen.query_one(OptionList).highlighted == 0
        await pilot.press("enter")  # the first experiment: an intercepted code, no verifier
        await settle(pilot)
        token = app.flow.result("token")
        assert token.status == "error" and "invalid_grant" in token.error
        shown = banner(app)
        assert "✔ protected" in shown and "RFC 7636 §1" in shown
        assert "code_verifier does not match" in shown
        assert app.focused_pane() is app.query_one("#token")


async def test_the_palette_runs_the_no_pkce_variant_which_succeeds(sandbox):
    app = PkceTuiApp(OFFLINE, sandbox_base_url=sandbox.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Lab: Intercepted code, client without PKCE" in titles
        titles["Lab: Intercepted code, client without PKCE"].callback()
        await settle(pilot)
        assert app.flow.result("token").status == "ok"
        assert app.flow.config.method == "none"
        assert "✘ not protected" in banner(app) and "as the lesson expects" in banner(app)


async def test_a_forged_redirect_is_recorded_in_the_redirect_pane(sandbox):
    app = PkceTuiApp(OFFLINE, sandbox_base_url=sandbox.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        app.run_lab("forged-state")
        await settle(pilot)
        assert app.flow.result("redirect").status == "error"
        assert "RFC 6749 §10.12" in banner(app)
        assert app.focused_pane() is app.query_one("#redirect")
        app.load_config(OFFLINE, None)  # another target: the verdict goes away
        await pilot.pause()
        assert not app.query_one("#lab-verdict").display


async def test_the_flow_map_follows_f10_and_an_arrow_focuses_its_pane(sandbox):
    """F9 shows the exchanges in order; F10 steps while it is open (the next one marked, a
    failed one red); Enter on an arrow closes the map and focuses that step's pane."""
    from dataclasses import replace

    from pkce_tui.core import profiles
    from pkce_tui.tui.flowmap import FlowMap

    profile = profiles.builtin_profiles()["sandbox-cyberark-public"]
    config = replace(FlowConfig(**profile.config_fields(sandbox.base_url)))
    app = PkceTuiApp(config, sandbox_base_url=sandbox.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f9")
        await pause_until(pilot, lambda: isinstance(app.screen, FlowMap)
                          and app.screen.query(OptionList), "the flow map shown")
        options = app.screen.query_one(OptionList)
        assert [options.get_option_at_index(i).id for i in range(3)] == [
            "discovery", "verifier", "challenge"]
        assert str(options.get_option_at_index(0).prompt).startswith("▸·")  # next, pending
        for _ in range(4):
            await pilot.press("f10")
            await settle(pilot)
        assert app.flow.status("authorize") == "ok"
        prompt = str(options.get_option_at_index(3).prompt)
        assert prompt.startswith(" ✔") and "authorize" in prompt and "▶" not in prompt[:3]
        assert options.highlighted == 4  # the login step, next to run
        options.highlighted = 0
        await pilot.press("enter")
        await pause_until(pilot, lambda: not isinstance(app.screen, FlowMap), "the map closed")
        assert app.focused_pane() is app.query_one("#discovery")


async def test_the_jwt_workbench_validates_a_pasted_token_against_the_flows_jwks(sandbox):
    """ctrl+t: the flow's ID token pasted, the JWKS URL taken from discovery: decoded and every
    check passes; the same token with one payload byte changed fails its signature check; a
    paste that is no JWT is one failed format check."""
    import base64
    import json
    from dataclasses import replace

    from textual.widgets import TextArea

    from pkce_tui.core import profiles
    from pkce_tui.tui.workbench import JwtWorkbench

    profile = profiles.builtin_profiles()["sandbox-cyberark-public"]
    config = replace(FlowConfig(**profile.config_fields(sandbox.base_url)))
    app = PkceTuiApp(config, sandbox_base_url=sandbox.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        token = app.flow.value("token").tokens["id_token"]
        await pilot.press("ctrl+t")
        await pause_until(pilot, lambda: isinstance(app.screen, JwtWorkbench),
                          "the JWT workbench shown")
        bench = app.screen
        assert isinstance(bench, JwtWorkbench)
        assert bench.value("jwks") == app.flow.value("discovery").jwks_uri

        async def check(text: str):
            before = getattr(bench, "report", None)
            bench.query_one("#jwt-input", TextArea).text = text
            # A button ignores clicks while it shows its last press (Textual's active effect)
            button = bench.query_one("#validate")
            await pause_until(pilot, lambda: not button.has_class("-active"),
                              "the Validate button ready for another click")
            await pilot.click("#validate")
            await pause_until(pilot, lambda: getattr(bench, "report", None) is not before,
                              "the workbench's new report")
            return {c.name: c.ok for c in bench.report.checks}

        checks = await check(token)
        assert bench.report.valid and checks["signature"] is True and checks["iss"] is True
        assert bench.report.payload["sub"] == "alice"
        header, payload, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "mallory"}).encode())
        checks = await check(f"{header}.{forged.decode().rstrip('=')}.{signature}")
        assert checks["signature"] is False and not bench.report.valid
        checks = await check("not a token")
        assert checks == {"format": False}
