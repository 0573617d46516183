"""The optional protocol steps in the debugger, against the real sandbox over HTTP: a profile
that asks for them runs them on F5, and the follow-ups pane shows each with its result."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from conftest import settle
from rich.console import Console
from textual.widgets import Static

from pkce_tui.core import profiles
from pkce_tui.core.flow import FlowConfig
from pkce_tui.sandbox import Sandbox
from pkce_tui.tui.app import PkceTuiApp


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as running:
        yield running


def make_app(sandbox: Sandbox, name: str, **changes) -> PkceTuiApp:
    profile = profiles.builtin_profiles()[name]
    config = replace(FlowConfig(**profile.config_fields(sandbox.base_url)), **changes)
    return PkceTuiApp(config, profile_name=name, sandbox_base_url=sandbox.base_url)


def text_of(app: PkceTuiApp, pane: str) -> str:
    console = Console(width=4000, record=True, file=io.StringIO())
    console.print(app.query_one(f"#{pane} .body", Static).content)
    return console.export_text()


async def test_f5_runs_introspection_revocation_and_logout(sandbox):
    app = make_app(sandbox, "sandbox-pingone-confidential", introspect=True, revoke=True,
                   logout=True, post_logout_redirect_uri="http://127.0.0.1:9/logged-out",
                   scope="openid profile offline_access")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok, [(r.name, r.summary) for r in app.flow.results.values()]
        shown = text_of(app, "followups")
        for step in ("introspection", "revocation", "logout"):
            assert step in shown
        assert "refresh_token revoked" in shown
        assert "ok" in app.query_one("#followups").border_title


async def test_a_flow_without_them_shows_no_follow_up_sections(sandbox):
    app = make_app(sandbox, "sandbox-generic-public")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok
        assert "introspection" not in text_of(app, "followups")
        assert "ok" in app.query_one("#followups").border_title


async def test_a_pushed_request_shows_in_the_authorize_pane_and_replays(sandbox):
    app = make_app(sandbox, "sandbox-generic-confidential", client_id="demo-par", par=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok, [(r.name, r.summary) for r in app.flow.results.values()]
        first_uri = app.flow.result("par").data["request_uri"]
        shown = text_of(app, "authorize")
        assert "par" in shown and first_uri in shown
        app.query_one("#authorize").focus()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.flow.ok
        assert app.flow.result("par").data["request_uri"] != first_uri


async def test_private_key_jwt_shows_the_assertion_decoded_in_the_token_pane(sandbox):
    from pathlib import Path

    import pkce_tui.sandbox

    key = str(Path(pkce_tui.sandbox.__file__).parent / "demo_client_key.json")
    app = make_app(sandbox, "sandbox-generic-confidential", client_id="demo-pkjwt",
                   client_secret=None, auth_method="private_key_jwt", client_key=key)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok, [(r.name, r.summary) for r in app.flow.results.values()]
        shown = text_of(app, "token")
        assert "client assertion (private_key_jwt)" in shown
        assert "demo-pkjwt-1" in shown and "jti" in shown
        signed = dict(app.flow.result("token").request.form)["client_assertion"]
        assert signed not in shown


async def test_dpop_shows_the_proof_and_the_nonce_in_the_token_pane(sandbox):
    app = make_app(sandbox, "sandbox-generic-confidential", dpop=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok, [(r.name, r.summary) for r in app.flow.results.values()]
        shown = text_of(app, "token")
        assert "DPoP proof" in shown and "dpop+jwt" in shown
        assert app.flow.result("token").data["dpop_nonce"] in shown
        assert "cnf.jkt is the key's thumbprint" in shown
        assert "dpop" in text_of(app, "followups")
