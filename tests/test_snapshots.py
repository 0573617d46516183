"""Pictures of the main screens (pytest-textual-snapshot), deterministic by construction.

The target uses explicit endpoints, so discovery reads no document; its authorize probe and
every finished flow reach `FixedProvider`, a deterministic stand-in server (fixed key, clock,
code and tokens, a login page at authorize), and results are shown with their timings set to a
fixed value; verifier, state and nonce are fixed; the code comes from a pasted callback URL.
Update with `pytest tests/test_snapshots.py --snapshot-update` and look at every changed
picture before committing it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from textual.widgets import Input, TextArea

from pkce_tui.core import profiles
from pkce_tui.core.flow import FlowConfig, FlowState, new_flow, override_token
from pkce_tui.core.har import load_flow
from pkce_tui.core.runner import FlowRunner
from pkce_tui.tui.app import PkceTuiApp

RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
TARGET = FlowConfig(
    authorize_endpoint="https://login.example.test/oauth2/authorize",
    token_endpoint="https://login.example.test/oauth2/token",
    issuer="https://login.example.test", client_id="demo-public", login="browser",
    redirect_uri="http://127.0.0.1:8765/callback",
)
CALLBACK = "http://127.0.0.1:8765/callback?code=fixed-code-123&state=fixed-state"
SIZE = (120, 40)
LOGIN_PAGE = ('<form method="post" action="/login"><input name="username">'
              '<input type="password" name="password"></form>')
NOW = 1_700_000_000.0
KEY = RSAKey.import_key((Path(__file__).parent / "data" / "snapshot_rsa_key.pem").read_bytes(),
                        parameters={"kid": "snapshot-key", "alg": "RS256", "use": "sig"})
FULL_TARGET = replace(TARGET, jwks_uri="https://login.example.test/oauth2/jwks",
                      userinfo_endpoint="https://login.example.test/oauth2/userinfo")


@pytest.fixture(autouse=True)
def empty_config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(profiles.CONFIG_DIR_ENV, str(tmp_path))


def fixed_app(config: FlowConfig = TARGET, **options) -> PkceTuiApp:
    return PkceTuiApp(config, verifier=RFC_VERIFIER, state="fixed-state", nonce="fixed-nonce",
                      clock=lambda: 1_700_000_000.0, client_factory=fixed_client, **options)


def fixed_client(config: FlowConfig) -> httpx.AsyncClient:
    """A client whose every request reaches a `FixedProvider` (no network)."""
    return httpx.AsyncClient(transport=httpx.MockTransport(FixedProvider().handle))


async def no_blink(pilot) -> None:
    for widget in pilot.app.query(Input).results():
        widget.cursor_blink = False
    for area in pilot.app.query(TextArea).results():
        area.cursor_blink = False
    await pilot.pause()


async def run_to_redirect(pilot) -> None:
    """Discovery (explicit), verifier, challenge, authorize, then the pasted callback."""
    await no_blink(pilot)
    pilot.app.query_one(TextArea).load_text(CALLBACK)
    for _ in range(6):
        await pilot.press("f10")
        await pilot.app.workers.wait_for_complete()
    pilot.app.flow = with_fixed_timings(pilot.app.flow)  # the discovery step's probe
    await pilot.pause()


def test_start_screen(snap_compare):
    """Every pane visible at 120x40; the fixed verifier's S256 challenge (RFC 7636 App. B)."""
    assert snap_compare(fixed_app(), run_before=no_blink, terminal_size=SIZE)


def test_invalid_verifier_is_explained_as_typed(snap_compare):
    """A bad character shows its position; the challenge is still computed."""
    async def type_bad_character(pilot):
        await no_blink(pilot)
        await pilot.press("end", "+")

    assert snap_compare(fixed_app(), run_before=type_bad_character, terminal_size=SIZE)


def test_steps_run_up_to_the_redirect(snap_compare):
    """Authorize URL with its parameters, and the code and state checks from a pasted URL."""
    app = fixed_app(redirect_mode="paste")
    assert snap_compare(app, run_before=run_to_redirect, terminal_size=SIZE)


def test_edited_verifier_makes_later_panes_stale(snap_compare):
    """After an edit, challenge and later panes are stale (dashed) with what was sent."""
    async def edit_after_run(pilot):
        await run_to_redirect(pilot)
        pilot.app.query_one("#verifier-input").focus()
        await pilot.press("end", "Q")

    app = fixed_app(redirect_mode="paste")
    assert snap_compare(app, run_before=edit_after_run, terminal_size=SIZE)


def test_explanation_with_rfc_section(snap_compare):
    """F1 shows what the focused step does and the RFC section that says so."""
    async def explain(pilot):
        await no_blink(pilot)
        await pilot.press("f1")

    assert snap_compare(fixed_app(), run_before=explain, terminal_size=SIZE)


def test_small_terminal_stacks_and_maximises(snap_compare):
    """80x24 is usable: panes stack in one column and F4 maximises the focused one."""
    async def maximise(pilot):
        await no_blink(pilot)
        await pilot.press("f4")

    assert snap_compare(fixed_app(), run_before=maximise, terminal_size=(80, 24))


def test_insecure_warning(snap_compare):
    """--insecure puts a warning across the top of the screen."""
    config = replace(TARGET, insecure=True)
    assert snap_compare(fixed_app(config), run_before=no_blink, terminal_size=SIZE)


def test_profile_picker_lists_the_builtin_sandbox_clients(snap_compare):
    """F6 opens the profile picker; the sandbox's clients are there with no file."""
    async def open_picker(pilot):
        await no_blink(pilot)
        await pilot.press("f6")

    assert snap_compare(fixed_app(), run_before=open_picker, terminal_size=SIZE)


class FixedProvider:
    """Answers the same way every time; the code is bound to the challenge sent at authorize."""

    challenge: str | None = None

    async def redirect(self, authorize_url: str) -> str:
        """The browser's part: log in, come back to the redirect URI with the fixed code."""
        params = dict(parse_qsl(urlsplit(authorize_url).query))
        self.challenge = params["code_challenge"]
        return CALLBACK.replace("fixed-state", params["state"])

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/authorize"):  # the discovery step's probe: the request is accepted
            return httpx.Response(200, html=LOGIN_PAGE)
        if path.endswith("/jwks"):
            return httpx.Response(200, json=KeySet([KEY]).as_dict(private=False))
        if path.endswith("/userinfo"):
            return httpx.Response(200, json={"sub": "alice", "name": "Alice Example"})
        form = dict(parse_qsl(request.content.decode()))
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != self.challenge:
            return httpx.Response(400, json={"error": "invalid_grant",
                                             "error_description": "PKCE verification failed"})
        claims = {"iss": TARGET.issuer, "sub": "alice", "aud": "demo-public",
                  "iat": int(NOW) - 5, "exp": int(NOW) + 3595, "nonce": "fixed-nonce"}
        id_token = jwt.encode({"alg": "RS256", "kid": "snapshot-key"}, claims, KEY)
        return httpx.Response(200, json={"access_token": "opaque-access-token",
                                         "token_type": "Bearer", "expires_in": 3600,
                                         "id_token": id_token})


async def run_against_fixed_provider(state: FlowState) -> FlowState:
    provider = FixedProvider()
    async with httpx.AsyncClient(transport=httpx.MockTransport(provider.handle)) as client:
        runner = FlowRunner(client, redirect_source=provider.redirect, clock=lambda: NOW,
                            probe_client=fixed_client)
        return with_fixed_timings(await runner.run_all(state))


def with_fixed_timings(state: FlowState) -> FlowState:
    """Every response as if it took 42 ms: the one value a real exchange cannot fix."""
    results = {step: replace(result, response=fixed_timing(result.response),
                             exchanges=tuple(replace(e, response=fixed_timing(e.response))
                                             for e in result.exchanges))
               for step, result in state.results.items()}
    return replace(state, results=results)


def fixed_timing(response):
    return replace(response, elapsed_ms=42.0) if response else response


def fixed_flow_state(**overrides: str) -> FlowState:
    config = replace(FULL_TARGET, verifier=RFC_VERIFIER, state="fixed-state",
                     nonce="fixed-nonce")
    return override_token(new_flow(config), **overrides) if overrides else new_flow(config)


def showing(state: FlowState, focus: str):
    async def show(pilot) -> None:
        await no_blink(pilot)
        pilot.app.flow = await run_against_fixed_provider(state)
        pilot.app.query_one(f"#{focus}").focus()
        await pilot.pause()
    return show


def test_whole_flow_done(snap_compare):
    """F5's end state: every pane filled, the ID token's claims validated check by check."""
    assert snap_compare(fixed_app(FULL_TARGET), run_before=showing(fixed_flow_state(), "claims"),
                        terminal_size=SIZE)


def test_refused_token_exchange_with_its_diagnosis(snap_compare):
    """A wrong verifier sent on purpose: the server's invalid_grant, and why."""
    wrong = fixed_flow_state(code_verifier="wrong-verifier-" + "x" * 40)
    assert snap_compare(fixed_app(FULL_TARGET), run_before=showing(wrong, "token"),
                        terminal_size=SIZE)


def test_har_opened_read_only_with_its_diagnosis(snap_compare):
    """A customer's HAR (Chrome, CyberArk SPA) opened read-only: the "from HAR" marker, the
    token pane's refusal and the redirect_uri mismatch named, the edit fields disabled."""
    har = Path(__file__).parent / "data" / "har" / "chrome-cyberark-spa.har"

    async def focus_token(pilot) -> None:
        pilot.app.query_one("#token").focus()
        await no_blink(pilot)

    flow = load_flow(har.read_text())
    app = PkceTuiApp(flow.state.config, har=flow, har_source=har.name)
    assert snap_compare(app, terminal_size=SIZE, run_before=focus_token)


@pytest.mark.parametrize("pane", ["discovery", "verifier", "challenge", "authorize", "redirect",
                                  "token", "claims", "followups"])
def test_every_pane_maximised_fits_80x24(snap_compare, pane):
    """F4 on each pane of a finished flow at 80x24: the whole width, both borders, every
    control on screen, long values wrapped (the authorize pane's Remove and Open included)."""
    async def maximise(pilot) -> None:
        await showing(fixed_flow_state(), pane)(pilot)
        await pilot.press("f4")
        await pilot.pause()

    assert snap_compare(fixed_app(FULL_TARGET), run_before=maximise, terminal_size=(80, 24))


def test_flow_map_of_a_refused_token_exchange(snap_compare):
    """F9 at 80x24: the exchanges in order between user agent, client and server, the token
    arrow failed (red), the steps before it done."""
    wrong = fixed_flow_state(code_verifier="wrong-verifier-" + "x" * 40)

    async def open_map(pilot) -> None:
        await showing(wrong, "token")(pilot)
        await pilot.press("f9")
        await pilot.pause()

    assert snap_compare(fixed_app(FULL_TARGET), run_before=open_map, terminal_size=(80, 24))
