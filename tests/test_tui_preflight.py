"""The discovery pane lists the pre-flight checks the core made against the published
metadata, and the diagnosis of a failed one, as soon as the discovery step runs."""

from __future__ import annotations

import pytest
from test_tui_flow import make_app, settle, text_of

from pkce_tui.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as running:
        yield running


async def test_discovery_shows_the_pre_flight_checks_and_their_diagnosis(sandbox):
    app = make_app(sandbox, "sandbox-generic-public", scope="openid admin")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        await settle(pilot)
        shown = text_of(app, "discovery")
        assert app.flow.status("discovery") == "warning"
        assert "pre-flight checks" in shown
        assert "✘ scopes        admin not in scopes_supported" in shown
        assert "✔ pkce_method   S256 is in ['S256']" in shown
        assert "fix: request only the scopes the tenant offers" in shown
