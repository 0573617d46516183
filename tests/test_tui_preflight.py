"""The discovery pane shows the pre-flight checks `pkce-tui check` makes, as soon as the
discovery step runs: the published metadata against the configuration, and the authorize probe
(a cookie-less GET of the authorization URL) with the cause of a refusal."""

from __future__ import annotations

import pytest
from test_tui_flow import make_app, settle, text_of

from pkce_tui.sandbox import Sandbox

UNREGISTERED = "http://127.0.0.1:8799/elsewhere"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as running:
        yield running


async def run_discovery(pilot) -> str:
    await pilot.press("f10")
    await settle(pilot)
    return " ".join(text_of(pilot.app, "discovery").split())


async def test_discovery_shows_the_pre_flight_checks_and_their_diagnosis(sandbox):
    app = make_app(sandbox, "sandbox-generic-public", scope="openid admin")
    async with app.run_test(size=(120, 40)) as pilot:
        shown = await run_discovery(pilot)
        assert app.flow.status("discovery") == "warning"
        assert "pre-flight checks" in shown
        assert "✘ scopes admin not in scopes_supported" in shown
        assert "✔ pkce_method S256 is in ['S256']" in shown
        # the probe confirms it: the tenant refuses the scope, the graver finding is kept
        assert "✘ authorize an error redirect: invalid_scope" in shown
        assert "⚑ the tenant refused a requested scope" in shown
        assert "fix: request only the scopes the application is allowed" in shown


async def test_the_probe_names_an_unknown_client_in_the_discovery_pane(sandbox):
    app = make_app(sandbox, "sandbox-generic-public", client_id="nobody")
    async with app.run_test(size=(120, 40)) as pilot:
        shown = await run_discovery(pilot)
        assert set(app.flow.results) == {"discovery"}  # before any browser opens
        assert app.flow.status("discovery") == "warning"
        assert "✘ authorize HTTP 400, a refusal: invalid_client: unknown client_id 'nobody'" \
            in shown
        assert "⚑ the server does not know the client 'nobody'" in shown
        assert "fix: check the client id" in shown
        assert "authorize probe (cookie-less, redirect not followed)" in shown
        assert [d.id for d in app.flow.diagnosis] == ["unknown_client"]


async def test_the_probe_names_an_unregistered_redirect_uri_in_the_discovery_pane(sandbox):
    app = make_app(sandbox, "sandbox-generic-public", redirect_uri=UNREGISTERED)
    async with app.run_test(size=(120, 40)) as pilot:
        shown = await run_discovery(pilot)
        assert f"redirect_uri '{UNREGISTERED}' is not registered for this client" in shown
        assert f"⚑ the server refuses the redirect_uri {UNREGISTERED}" in shown
        assert f"fix: register {UNREGISTERED} exactly on the application" in shown
        assert [d.id for d in app.flow.diagnosis] == ["redirect_uri_not_registered"]


async def test_a_dialect_template_is_probed_too(sandbox):
    """CyberArk publishes no discovery document the flow reads: the probe alone tells."""
    app = make_app(sandbox, "sandbox-cyberark-public", client_id="nobody")
    async with app.run_test(size=(120, 40)) as pilot:
        shown = await run_discovery(pilot)
        assert "cyberark endpoints from the tenant settings" in shown
        assert "⚑ the server does not know the client 'nobody'" in shown


async def test_an_accepted_probe_is_a_pass_and_the_flow_completes(sandbox):
    app = make_app(sandbox, "sandbox-cyberark-public")
    async with app.run_test(size=(120, 40)) as pilot:
        shown = await run_discovery(pilot)
        assert app.flow.status("discovery") == "ok"
        assert "✔ authorize HTTP 302 to" in shown and "the request was accepted" in shown
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok and not app.flow.diagnosis
