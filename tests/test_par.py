"""Pushed authorization requests (RFC 9126) as the `par` step, against the sandbox over real
HTTP in the dialects that offer PAR, and the diagnosis of the usual PAR failures."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from sandbox_fixtures import sandbox_flow_config

from pkce_tui.core.authorize import AuthorizeRequest
from pkce_tui.core.flow import FlowConfig, edit, new_flow
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.par import par_request, parse_par_response
from pkce_tui.core.token import ClientAuth


def sandbox_config(sandbox, dialect: str, client_id: str = "demo-par", **changes) -> FlowConfig:
    return sandbox_flow_config(sandbox, dialect, **{
        "client_id": client_id, "client_secret": "demo-secret",
        "auth_method": "client_secret_basic", "par": True, **changes})


def ids(state) -> set[str]:
    return {d.id for d in state.diagnosis}


@pytest.mark.parametrize("dialect", ["generic", "pingone", "cloudentity"])
async def test_a_pushed_request_runs_the_whole_flow(sandbox, runner, dialect):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, dialect)))
    assert state.ok, [(r.name, r.summary) for r in state.results.values()]
    par = state.result("par")
    assert par.response.status == 201
    assert par.data["expires_in"] == 60
    pushed = dict(par.request.form)
    assert {"response_type", "redirect_uri", "code_challenge", "state", "nonce"} <= set(pushed)
    assert par.request.header("Authorization").startswith("Basic ")
    url = state.result("authorize").data["url"]
    assert dict(parse_qsl(urlsplit(url).query)) == {
        "client_id": "demo-par", "request_uri": par.data["request_uri"]}
    assert state.value("redirect").state == pushed["state"]


async def test_a_public_client_pushes_with_its_client_id(sandbox, runner):
    config = sandbox_config(sandbox, "generic", client_id="demo-public", client_secret=None,
                            auth_method="none")
    state = await runner.run_all(new_flow(config))
    assert state.ok
    assert dict(state.result("par").request.form)["client_id"] == "demo-public"


async def test_a_client_that_must_push_is_diagnosed_par_required(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "cloudentity", par=False)))
    assert state.result("login").status == "error"
    assert "par_required" in ids(state)


async def test_an_expired_request_uri_is_diagnosed(sandbox, runner):
    config = sandbox_config(sandbox, "generic",
                            extra_params=(("sandbox_fault", "request_uri_expired"),))
    state = await runner.run_all(new_flow(config))
    assert "has expired" in state.result("login").error
    assert "request_uri_expired" in ids(state)


async def test_a_reused_request_uri_is_diagnosed(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "pingone")))
    again = await runner.replay_from(state, "login")
    assert again.result("login").status == "error"
    assert "request_uri_reused" in ids(again)
    fresh = await runner.replay_from(again, "par")
    assert fresh.ok


@pytest.mark.parametrize("dialect", ["generic", "pingone", "cloudentity"])
@pytest.mark.parametrize(("change", "expected"), [
    ({"redirect_uri": "http://127.0.0.1:9/unregistered"}, "redirect_uri_not_registered"),
    ({"scope": "openid admin"}, "scope_not_allowed"),
])
async def test_a_push_refused_for_what_it_asks_names_the_cause_at_par(sandbox, runner, dialect,
                                                                     change, expected):
    """RFC 9126 §2.3: the push is judged as the authorization request would be, so its
    refusal has the authorize step's causes; the flow stops at par."""
    state = await runner.run_all(new_flow(sandbox_config(sandbox, dialect, **change)))
    assert state.result("par").status == "error"
    found = {d.id: d for d in state.diagnosis}
    assert expected in found and found[expected].step == "par", state.diagnosis
    assert "followup_client_auth_failed" not in found


async def test_a_push_refused_for_its_credentials_is_not_named_a_request_fault(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "generic",
                                                         client_secret="wrong")))
    assert {d.id for d in state.diagnosis} == {"followup_client_auth_failed"}


async def test_a_provider_without_par_is_diagnosed(sandbox, runner):
    config = sandbox_config(sandbox, "cyberark", client_id="demo-confidential")
    state = await runner.run_all(new_flow(config))
    assert state.result("par").status == "error"
    assert state.result("authorize").status == "skipped"
    assert "par_not_supported" in ids(state)


async def test_editing_the_scope_stales_the_push(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "generic")))
    edited = edit(state, scope="openid email")
    assert edited.status("par") == "stale" and edited.status("challenge") == "ok"


def test_par_request_carries_the_authorization_parameters_and_client_auth():
    request = AuthorizeRequest("https://op.test/authorize", "app", "https://app.test/cb",
                               state="s", code_challenge="c" * 43,
                               code_challenge_method="S256")
    basic = par_request("https://op.test/par", ClientAuth("app", "client_secret_basic", "x"),
                        request)
    assert [name for name, _ in basic.form].count("client_id") == 1
    assert {"redirect_uri", "state", "code_challenge"} <= set(dict(basic.form))
    assert basic.header("Authorization").startswith("Basic ")
    post = par_request("https://op.test/par", ClientAuth("app", "client_secret_post", "x"),
                       request)
    assert [name for name, _ in post.form].count("client_id") == 1
    assert dict(post.form)["client_secret"] == "x"


@pytest.mark.parametrize(("status", "body", "error", "problems"), [
    (201, '{"request_uri": "urn:x", "expires_in": 60}', None, 0),
    (200, '{"request_uri": "urn:x", "expires_in": 60}', None, 1),
    (201, '{"expires_in": 60}', "the answer has no request_uri (RFC 9126 §2.2)", 0),
    (400, '{"error": "invalid_request", "error_description": "bad"}',
     "invalid_request: bad", 0),
])
def test_parse_par_response(status, body, error, problems):
    answer = parse_par_response(HttpResponse(status, (), body))
    assert answer.error == error
    assert len(answer.problems) == problems
