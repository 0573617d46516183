"""The flow debugger driving the real sandbox over HTTP on loopback: run, edit, replay, refuse.

Each test builds the app on a built-in sandbox profile, presses the debugger keys and asserts on
the app's FlowState and on what the panes show.
"""

from __future__ import annotations

import asyncio
import io
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pyperclip
import pytest
from conftest import STANDIN_BROWSER, free_port, pause_until, settle
from processes import run_process
from rich.console import Console
from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable, Input, OptionList, Static, TextArea

from pkce_tui.core import profiles
from pkce_tui.core.client import new_client
from pkce_tui.core.flow import FlowConfig
from pkce_tui.core.redaction import mask
from pkce_tui.sandbox import Sandbox
from pkce_tui.tui import demo_app
from pkce_tui.tui.app import PkceTuiApp
from pkce_tui.tui.screens import CompareScreen, CopyPicker, SpentCodeChoice

WRONG_VERIFIER = "wrong-verifier-" + "x" * 40
LATER_PANES = ("challenge", "authorize", "redirect", "token", "claims", "followups")
SLOW_TOKEN = (("sandbox_fault", "slow_token"), ("sandbox_delay", "60"))
GENEROUS_TIMEOUT = 60.0  # past any held step: only a real hang reaches it, however loaded
TOKEN_TIMEOUT = 0.2


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as running:
        yield running


@pytest.fixture
def held_token(sandbox, monkeypatch) -> Iterator[threading.Event]:
    """slow_token's wait lasts until the test sets the event it yields (or the sandbox stops),
    so a step is still running for exactly as long as the test needs, on any machine."""
    release = threading.Event()

    async def held(seconds: float) -> bool:
        while not (release.is_set() or sandbox.context.closing.is_set()):
            await asyncio.sleep(0.01)
        return not sandbox.context.closing.is_set()

    monkeypatch.setattr(sandbox.context, "pause", held)
    yield release
    release.set()


def palette_highlights(app: PkceTuiApp, title: str) -> bool:
    """The command palette is open with `title` as its highlighted command."""
    found = app.screen.query(CommandList)
    if not found or found.first().highlighted is None:
        return False
    commands = found.first()
    return str(commands.get_option_at_index(commands.highlighted).prompt).startswith(title)


@pytest.fixture
def copied(monkeypatch) -> list[str]:
    """What reached the system clipboard."""
    values: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", values.append)
    return values


def sandbox_config(sandbox: Sandbox, name: str = "sandbox-cyberark-public", **changes):
    profile = profiles.builtin_profiles()[name]
    return replace(FlowConfig(**profile.config_fields(sandbox.base_url)), **changes)


def make_app(sandbox: Sandbox, name: str = "sandbox-cyberark-public", **changes) -> PkceTuiApp:
    return PkceTuiApp(sandbox_config(sandbox, name, **changes), profile_name=name,
                      sandbox_base_url=sandbox.base_url)


def text_of(app: PkceTuiApp, pane: str) -> str:
    console = Console(width=4000, record=True, file=io.StringIO())
    console.print(app.query_one(f"#{pane} .body", Static).content)
    return console.export_text()


async def shown(pilot, screen_type: type) -> None:
    """Wait until a `screen_type` screen is on top with every widget on it mounted."""
    def mounted() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, screen_type) and all(w.is_mounted for w in screen.query("*"))

    await pause_until(pilot, mounted, f"{screen_type.__name__} shown")


async def test_a_slow_server_shows_progress_then_the_timeout(sandbox, held_token):
    """The token pane shows the step running while the server holds it, then the timeout.

    What the pane showed is recorded as `running` changes, so no pause can miss it; only the
    token request has the short timeout, so a loaded machine cannot time out an earlier step.
    """
    clients: list[httpx.AsyncClient] = []

    def client_for(config: FlowConfig) -> httpx.AsyncClient:
        clients.append(new_client(timeout=GENEROUS_TIMEOUT))
        return clients[-1]

    shown: list[tuple[str | None, bool, bool]] = []

    def record(step: str | None) -> None:
        pane = app.query_one("#token")
        shown.append((step, pane.has_class("-running"), "running" in str(pane.border_title)))
        if step == "token":  # the run's client; the discovery step's probe had its own
            clients[0].timeout = httpx.Timeout(TOKEN_TIMEOUT)

    app = PkceTuiApp(sandbox_config(sandbox, extra_params=SLOW_TOKEN), client_factory=client_for,
                     profile_name="sandbox-cyberark-public", sandbox_base_url=sandbox.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        app.watch(app, "running", record, init=False)
        await pilot.press("f5")
        await settle(pilot)
        assert ("token", True, True) in shown
        assert shown[-1] == (None, False, False)
        assert app.flow.result("token").status == "error"
        assert "no answer within the timeout (0.2 s)" in app.flow.result("token").error
        assert app.running is None


async def test_f5_runs_every_step_and_shows_the_claims(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.done and app.flow.ok, app.flow.to_json()
        claims = text_of(app, "claims")
        assert "alice" in claims and "signature" in claims
        assert all(app.query_one(f"#{p}").has_class("-ok") for p in ("token", "claims"))


async def test_f10_runs_one_step_at_a_time(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        await settle(pilot)
        assert set(app.flow.results) == {"discovery"}
        await pilot.press("f10")
        await settle(pilot)
        assert set(app.flow.results) == {"discovery", "verifier"}


async def test_step_by_step_the_flow_fetches_its_jwks_once_and_a_replay_anew(sandbox):
    """The ID token and the access token, each run by its own F10, share one JWKS fetch."""
    from pkce_tui.core.client import new_client

    fetched: list[str] = []

    async def count(request) -> None:
        if request.url.path.endswith("/OAuth2/Keys/demo-app"):
            fetched.append(str(request.url))

    def client_factory(config):
        return new_client(timeout=config.timeout, event_hooks={"request": [count]})

    app = PkceTuiApp(sandbox_config(sandbox), sandbox_base_url=sandbox.base_url,
                     client_factory=client_factory)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.flow.status("access_token") == "pending":
            await pilot.press("f10")
            await settle(pilot)
        assert app.flow.status("id_token") == app.flow.status("access_token") == "ok"
        assert len(fetched) == 1
        app.query_one("#discovery").focus()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.flow.ok and len(fetched) == 2


async def test_editing_the_verifier_marks_later_panes_stale_and_replay_clears_them(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        app.query_one("#verifier-input", Input).focus()
        await pilot.press("end", "Z")
        assert all(app.query_one(f"#{p}").has_class("-stale") for p in LATER_PANES)
        assert app.query_one("#discovery").has_class("-ok")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert not app.flow.stale and app.flow.ok
        assert not any(app.query_one(f"#{p}").has_class("-stale") for p in LATER_PANES)
        assert app.flow.result("verifier").data["code_verifier"].endswith("Z")


async def test_replay_keeps_the_previous_run_for_comparing(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        first_code = app.flow.result("redirect").data["code"]
        app.query_one("#authorize").focus()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.flow.result("redirect").data["code"] != first_code
        assert app.history[-1].result("redirect").data["code"] == first_code
        await pilot.press("f8")
        assert isinstance(app.screen, CompareScreen)


async def test_compare_shows_how_the_previous_run_ended_next_to_this_one(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        override = app.query_one("#override-code_verifier", Input)
        override.focus()
        override.value = WRONG_VERIFIER  # typed key by key in the next test
        await pilot.press("enter", "ctrl+r")
        await settle(pilot)
        await pilot.press("f8")
        await shown(pilot, CompareScreen)
        table = app.screen.query_one(DataTable)
        rows = {str(table.get_row_at(i)[0]): table.get_row_at(i) for i in range(table.row_count)}
        _, previous, current = rows["token"]
        assert previous.plain.startswith("✔ ok")  # as it ended, not "stale"
        assert current.plain.startswith("✘ error") and "invalid_grant" in current.plain
        assert rows["token"][0].style and not rows["discovery"][0].style  # changed rows stand out
        dialog = app.screen.query_one("#dialog")
        assert table.region.right <= dialog.region.right  # both runs fit side by side
        assert table.virtual_size.width <= table.region.width


async def test_overriding_the_verifier_shows_the_servers_refusal_and_why(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#override-code_verifier", Input).focus()
        await pilot.press(*WRONG_VERIFIER, "enter")
        assert app.flow.overrides.code_verifier == WRONG_VERIFIER
        await pilot.press("f5")
        await settle(pilot)
        token = app.flow.result("token")
        assert token.status == "error" and token.response.status == 400
        shown = text_of(app, "token")
        assert "invalid_grant" in shown
        assert "verifier_mismatch" in {d.id for d in app.flow.diagnosis}
        mismatch = next(d for d in app.flow.diagnosis if d.id == "verifier_mismatch")
        assert mismatch.summary in shown
        assert app.query_one("#token").has_class("-error")


async def test_pasting_an_object_moved_page_extracts_the_code(sandbox):
    app = make_app(sandbox, login="browser")
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#login-mode").value = "paste"
        for _ in range(4):  # discovery, verifier, challenge, authorize
            await pilot.press("f10")
            await settle(pilot)
        state = app.flow.result("authorize").data["state"]
        page = ("<html><head><title>Object moved</title></head><body>\r\n"
                "<h2>Object moved to <a href=\"http://127.0.0.1:8765/callback?responseType=code"
                f"&amp;code=pasted-code-1&amp;state={state}\">here</a>.</h2>\r\n</body></html>\r\n")
        app.query_one("#paste", TextArea).load_text(page)
        await pilot.pause()
        app.query_one("#use-paste").press()
        await pilot.pause()
        await settle(pilot)
        redirect = app.flow.result("redirect")
        assert redirect.status == "ok" and redirect.data["code"] == "pasted-code-1"
        assert redirect.data["source"] == "html_anchor"
        assert mask("pasted-code-1") in text_of(app, "redirect")  # a code is masked until F2
        assert "pasted-code-1" not in text_of(app, "redirect")
        await pilot.press("f2")
        assert "pasted-code-1" in text_of(app, "redirect")


async def test_loopback_listener_receives_the_browser(sandbox, monkeypatch):
    """The generic dialect logs in through an HTML form: a stand-in browser fills it."""
    def open_browser(url: str) -> None:
        run_process([sys.executable, str(STANDIN_BROWSER), url], timeout=60)

    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    config = sandbox_config(sandbox, "sandbox-generic-public", login="browser",
                            redirect_uri=redirect_uri)
    app = PkceTuiApp(config, open_browser=open_browser, redirect_mode="loopback")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok, app.flow.to_json()
        assert app.flow.result("redirect").data["iss"] == config.issuer


async def test_copy_puts_the_authorize_url_on_the_clipboard(sandbox, copied):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        app.query_one("#authorize").focus()
        await pilot.press("f3")
        await shown(pilot, CopyPicker)  # URL, state, nonce, the exchanges
        await pilot.press("enter")  # the pane's own value comes first
        url = app.flow.result("authorize").data["url"]
        assert app.clipboard == url and copied == [url]


async def test_copy_masks_tokens_until_revealed_and_copies_them_raw_after_f2(sandbox, copied):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        tokens = app.flow.value("token").tokens
        app.query_one("#token").focus()
        await pilot.press("f3")
        await shown(pilot, CopyPicker)
        options = app.screen.query_one(OptionList)
        lines = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert lines[0].startswith("the access token") and tokens["access_token"] not in lines[0]
        assert any(line.startswith("the token request as curl") for line in lines)
        await pilot.press("down", "enter")  # the ID token, masked: F2 was not pressed
        assert copied == [mask(tokens["id_token"])]
        await pilot.press("f2", "f3")
        await shown(pilot, CopyPicker)
        options = app.screen.query_one(OptionList)
        assert tokens["access_token"][:20] in str(options.get_option_at_index(0).prompt)
        await pilot.press("down", "enter")
        assert copied[-1] == tokens["id_token"]


async def test_the_refresh_request_copied_as_curl_without_f2_holds_no_secret(sandbox, copied):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        secrets = app.flow.secrets()
        app.query_one("#followups").focus()
        await pilot.press("f3")
        await shown(pilot, CopyPicker)
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        index = next(i for i, line in enumerate(labels)
                     if line.startswith("the refresh request as curl"))
        await pilot.press(*["down"] * index, "enter")
        assert copied and copied[-1].startswith("curl")
        assert "refresh_token=••••••(" in copied[-1]
        assert not [secret for secret in secrets if secret in copied[-1]]


async def test_secrets_are_masked_until_revealed(sandbox):
    app = make_app(sandbox, "sandbox-cyberark-confidential")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        access_token = app.flow.result("token").value.tokens["access_token"]
        assert access_token not in text_of(app, "token")
        assert "Basic ZGVt" not in text_of(app, "token")  # base64("demo-confidential:...")
        await pilot.press("f2")
        assert access_token in text_of(app, "token")


async def test_a_dead_server_is_an_error_in_its_pane_and_the_app_stays_usable():
    config = FlowConfig(issuer=f"http://127.0.0.1:{free_port()}/generic",
                        client_id="demo-public", timeout=2.0)
    app = PkceTuiApp(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        discovery = app.flow.result("discovery")
        assert discovery.status == "error"
        assert discovery.error in text_of(app, "discovery")
        assert "network_error" in {d.id for d in app.flow.diagnosis}
        await pilot.press("f10")  # nothing left to run: no crash, still answering keys
        assert app.is_running


async def test_authorize_table_shows_what_was_sent_and_an_edit_stales_later_steps(sandbox):
    opened: list[str] = []
    app = PkceTuiApp(sandbox_config(sandbox), open_browser=opened.append,
                     sandbox_base_url=sandbox.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        sent = app.flow.result("authorize").data["params"]
        table = app.query_one("#params", DataTable)
        assert {key.value: str(table.get_cell(key, "value")) for key in table.rows} == sent
        app.query_one("#open-browser").press()
        await settle(pilot)
        assert opened == [app.flow.result("authorize").data["url"]]
        app.query_one("#param-edit", Input).focus()
        await pilot.press(*"prompt=login", "enter")
        assert app.flow.config.extra_params == (("prompt", "login"),)
        assert all(app.query_one(f"#{p}").has_class("-stale")
                   for p in ("authorize", "redirect", "token", "claims", "followups"))
        assert "prompt" in {key.value for key in table.rows}  # the preview of the next request


async def test_cyberark_redirect_shows_the_object_moved_page_its_anchor_and_whoami(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok, app.flow.to_json()
        redirect = app.shown_flow().result("redirect").data  # the code masked until F2
        shown = text_of(app, "redirect")
        assert "Object moved" in shown  # the raw page the server sent
        anchor = f'anchor found in the page <a href="{redirect["redirect_url"]}">'
        assert anchor in " ".join(shown.split()) and "same URL as the Location header" in shown
        code = app.flow.result("redirect").data["code"]
        assert "login API" in shown and mask(code) in shown and code not in shown
        assert "✔ state" in shown
        followups = text_of(app, "followups")
        whoami = app.flow.result("userinfo").data.get("whoami")
        assert whoami and "whoami" in followups and "alice" in followups


async def wait_until_running(pilot, step: str) -> None:
    await pause_until(pilot, lambda: pilot.app.running == step, f"{step} running")


async def test_an_edit_made_while_a_step_runs_is_kept_and_stales_that_step(sandbox, held_token):
    app = make_app(sandbox, extra_params=SLOW_TOKEN, timeout=GENEROUS_TIMEOUT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await wait_until_running(pilot, "token")
        app.query_one("#verifier-input", Input).focus()
        await pilot.press("end", "Q")
        held_token.set()
        await settle(pilot)
        assert app.flow.config.verifier.endswith("Q")
        assert app.query_one("#verifier-input", Input).value.endswith("Q")
        assert app.flow.result("token").status == "ok"  # what the server answered, kept
        assert {"verifier", "token"} <= app.flow.stale
        assert app.flow.result("id_token") is None  # the run stopped at the edit
        assert app.query_one("#token").has_class("-stale")


async def test_opening_another_profile_while_a_step_runs_cancels_the_old_run(sandbox,
                                                                            held_token):
    app = make_app(sandbox, extra_params=SLOW_TOKEN, timeout=GENEROUS_TIMEOUT)
    pingone = sandbox_config(sandbox, "sandbox-pingone-public")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await wait_until_running(pilot, "token")
        app.load_config(pingone, "sandbox-pingone-public")
        held_token.set()  # the server answers: a run that was not cancelled would record it
        await pause_until(pilot, lambda: all(w.is_finished for w in app.workers),
                          "the old run ended")
        assert app.flow.config is pingone and not app.flow.results
        assert app.running is None
        assert app.history[-1].config.dialect == "cyberark"


async def test_the_palette_offers_replay_for_the_pane_it_was_opened_on(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        app.query_one("#token").focus()
        await pilot.press("ctrl+p")
        await pause_until(pilot, lambda: isinstance(app.screen, CommandPalette),
                          "the palette open")
        titles = {command.title for command in app.get_system_commands(app.screen_stack[0])}
        assert {"Replay", "Explain", "Reveal", "Copy", "Max", "Profiles"} <= titles
        await pilot.press(*"Replay")
        await pause_until(pilot, lambda: palette_highlights(app, "Replay"), "Replay offered")
        await pilot.press("enter")
        await pause_until(pilot, lambda: isinstance(app.screen, SpentCodeChoice)
                          and app.screen.query("#token"), "the spent-code choice shown")
        await pilot.click("#token")  # the code is spent: send it again rather than authorize
        await settle(pilot)
        assert len(app.flow.token_attempts) == 2  # the token step ran again
        assert app.flow.result("redirect") is app.history[-1].result("redirect")  # kept


async def test_the_demo_runs_the_whole_cyberark_flow_on_f5(sandbox):
    app = demo_app(sandbox.base_url)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.sub_title.startswith("sandbox-cyberark-public")
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok, app.flow.to_json()
        assert "Object moved" in text_of(app, "redirect")
        assert app.flow.result("id_token").status == "ok"


async def test_the_demo_shows_its_first_frame_then_starts_the_sandbox(monkeypatch):
    """`pkce-tui demo`: the screen is up while the sandbox starts; steps wait for it."""
    gate = threading.Event()
    real_start = Sandbox.start

    def start_when_let(self):
        assert gate.wait(30)
        return real_start(self)

    monkeypatch.setattr(Sandbox, "start", start_when_let)
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "starting sandbox…" in app.sub_title
        assert app.check_action("run_all", ()) is None
        gate.set()
        await settle(pilot)
        base_url = app.owned_sandbox.base_url
        assert app.flow.config.issuer.startswith(base_url)
        assert base_url in app.sub_title
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok, app.flow.to_json()
    assert not app.owned_sandbox.running


async def test_editing_the_issuer_in_the_discovery_pane_replays_against_it(sandbox):
    app = make_app(sandbox, "sandbox-generic-public")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        issuer = app.flow.config.issuer
        field = app.query_one("#target-issuer", Input)
        assert field.value == issuer
        field.focus()
        await pilot.press("end", "/", "enter")
        assert app.flow.config.issuer == issuer + "/"
        assert {"discovery", "token", "id_token"} <= app.flow.stale
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.flow.result("discovery").status == "error"
        mismatch = next(d for d in app.flow.diagnosis if d.id == "issuer_mismatch")
        assert " ".join(mismatch.summary.split()) in " ".join(text_of(app, "discovery").split())


async def test_a_client_id_cannot_be_emptied(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#target-client_id", Input).focus()
        await pilot.press("ctrl+u", "enter")
        assert app.flow.config.client_id == "demo-public"
