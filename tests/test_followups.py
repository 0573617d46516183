"""Introspection (RFC 7662), revocation (RFC 7009) and RP-initiated logout as flow steps,
against the sandbox over real HTTP in every dialect that offers them, and their diagnoses."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sandbox_fixtures import sandbox_flow_config

from pkce_tui.core.client import new_client
from pkce_tui.core.flow import FlowConfig, edit, flow_steps, new_flow, record
from pkce_tui.core.followups import judge_logout, logout_request, parse_introspection
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.token import ClientAuth, revocation_request

POST_LOGOUT = "http://127.0.0.1:9/logged-out"


def sandbox_config(sandbox, dialect: str, **changes) -> FlowConfig:
    """A confidential client of `dialect` logging in by API, every follow-up switched on."""
    return sandbox_flow_config(sandbox, dialect, **{
        "client_id": "demo-confidential", "client_secret": "demo-secret",
        "auth_method": "client_secret_basic", "scope": "openid profile offline_access",
        "introspect": True, "revoke": True, "logout": True,
        "post_logout_redirect_uri": POST_LOGOUT, **changes})


def test_the_follow_ups_run_only_when_asked_for():
    assert flow_steps(FlowConfig())[-1] == "refresh"
    asked = flow_steps(FlowConfig(introspect=True, logout=True))
    assert asked[-2:] == ("introspection", "logout")


@pytest.mark.parametrize("dialect", ["generic", "pingone", "cloudentity"])
async def test_introspection_revocation_and_logout_succeed(sandbox, runner, dialect):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, dialect)))
    assert state.ok, [(r.name, r.summary) for r in state.results.values()]
    introspection = state.result("introspection")
    assert introspection.data["active"] is True
    assert introspection.data["claims"]["client_id"] == "demo-confidential"
    assert introspection.request.form[0][0] == "token"
    revocation = state.result("revocation")
    assert revocation.data == {"token_type_hint": "refresh_token", "still_active": False}
    logout = state.result("logout")
    assert logout.data["location"].startswith(POST_LOGOUT + "?state=")
    assert logout.data["location"].endswith(logout.data["state"])
    assert "id_token_hint=" in logout.request.url
    assert [d.id for d in state.diagnosis] == []


async def test_the_revoked_refresh_token_no_longer_refreshes(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "generic", logout=False)))
    again = await runner.replay_from(state, "refresh")
    assert again.result("refresh").status == "error"
    assert again.result("refresh").value.error == "invalid_grant"


async def test_cyberark_has_no_introspection_and_signs_out_at_end_session(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "cyberark")))
    assert state.result("introspection").status == "error"
    assert "introspection_not_supported" in {d.id for d in state.diagnosis}
    assert state.result("revocation").status == "ok"
    logout = state.result("logout")
    assert logout.status == "ok", logout.summary
    assert "/OAuth2/EndSession/demo-app" in logout.request.url


async def test_a_revoked_access_token_introspects_inactive(sandbox, runner):
    config = sandbox_config(sandbox, "pingone", revoke=False, logout=False)
    state = await runner.run_all(new_flow(config))
    access = state.value("refresh").tokens["access_token"]
    endpoint = state.value("discovery").revocation_endpoint
    async with new_client() as http:
        request = revocation_request(endpoint, ClientAuth("demo-confidential",
                                     "client_secret_basic", "demo-secret"), access)
        await http.post(request.url, content=request.body,
                        headers=dict(request.all_headers()))
    again = await runner.replay_from(state, "introspection")
    assert again.result("introspection").data["active"] is False
    assert "token_inactive" in {d.id for d in again.diagnosis}


async def test_an_unregistered_post_logout_uri_is_diagnosed(sandbox, runner):
    config = sandbox_config(sandbox, "cloudentity", introspect=False, revoke=False,
                            post_logout_redirect_uri="https://evil.example.test/")
    state = await runner.run_all(new_flow(config))
    logout = state.result("logout")
    assert logout.status == "error"
    assert logout.response.json()["cause"] == "invalid_redirect_uri"
    assert "post_logout_redirect_uri_not_registered" in {d.id for d in state.diagnosis}


async def test_follow_ups_with_the_wrong_client_secret_are_diagnosed(sandbox, runner):
    config = sandbox_config(sandbox, "generic", revoke=False, logout=False)
    state = await runner.run_all(new_flow(config))
    wrong = edit(state, client_secret="not-the-secret")
    assert wrong.status("introspection") == "stale"
    again = record(wrong, "introspection", await runner.result_of(wrong, "introspection"))
    assert again.result("introspection").response.status == 401
    assert "followup_client_auth_failed" in {d.id for d in again.diagnosis}


async def test_logout_without_a_post_logout_uri_shows_the_signed_out_page(sandbox, runner):
    config = sandbox_config(sandbox, "generic", introspect=False, revoke=False,
                            post_logout_redirect_uri=None)
    state = await runner.run_all(new_flow(config))
    logout = state.result("logout")
    assert logout.status == "ok" and logout.response.status == 200
    assert "state=" not in logout.request.url


def test_logout_request_sends_state_only_with_a_post_logout_uri():
    bare = logout_request("https://op.test/logout", id_token_hint="a.b.c", client_id="c",
                          post_logout_redirect_uri=None, state="s")
    assert bare.url == "https://op.test/logout?id_token_hint=a.b.c&client_id=c"
    full = logout_request("https://op.test/logout?x=1", id_token_hint=None, client_id="c",
                          post_logout_redirect_uri="https://app.test/out", state="s")
    assert full.url == ("https://op.test/logout?x=1&client_id=c&post_logout_redirect_uri="
                        "https%3A%2F%2Fapp.test%2Fout&state=s")


@pytest.mark.parametrize(("location", "status"), [
    ("https://app.test/out?state=s", "ok"),
    ("https://app.test/out?state=other", "error"),
    ("https://app.test/out?error=invalid_request&state=s", "error"),
    ("https://op.test/signed-out", "warning"),
])
def test_judge_logout_reads_where_the_browser_goes(location, status):
    response = HttpResponse(302, (("Location", location),), "")
    outcome = judge_logout(response, "https://op.test/logout", "https://app.test/out", "s")
    assert outcome.status == status


def test_introspection_needs_a_boolean_active():
    def answer(body: str, status: int = 200):
        return parse_introspection(HttpResponse(status, (), body))
    assert answer('{"active": true, "scope": "a"}').active is True
    assert answer('{"active": "true"}').error.startswith("the answer has no boolean")
    assert answer('{"error": "invalid_client"}', 401).error == "HTTP 401: invalid_client"


def test_a_profile_keeps_its_follow_up_switches():
    from pkce_tui.core.profiles import Profile, profile_from_table, profile_to_table

    profile = Profile(name="p", client_id="c", introspect=True, logout=True,
                      post_logout_redirect_uri=POST_LOGOUT)
    table = profile_to_table(profile)
    assert table["introspect"] is True and "revoke" not in table
    assert profile_from_table("p", table) == replace(profile)
