"""The optional steps rebuilt from HAR files recorded in this session against the sandbox and
panva's oidc-provider: pushed authorization requests (RFC 9126), introspection (RFC 7662),
revocation (RFC 7009) and RP-initiated logout, each a step with its exchange, and each refusal
named by the rule the live step's refusal gets."""

from __future__ import annotations

import json

import pytest
from har_recorder import HarRecorder, Plan, Target, record_flow, sandbox_target

from pkce_tui.core.har import HarFlow, load_flow, replay_config

POST_LOGOUT = "http://127.0.0.1:8765/logged-out"
CONFIDENTIAL = {"client_id": "demo-confidential", "client_secret": "demo-secret",
                "auth_method": "client_secret_basic"}
POST_CLIENT = {"client_id": "demo-post", "client_secret": "demo-secret",
               "auth_method": "client_secret_post"}
PAR_CLIENT = {"client_id": "demo-par", "client_secret": "demo-secret",
              "auth_method": "client_secret_basic", "par": True}
FOLLOW_UPS = {"introspect": True, "revoke": True, "logout": True,
              "post_logout_redirect_uri": POST_LOGOUT}


async def recorded(target: Target, **plan) -> str:
    recorder = HarRecorder()
    await record_flow(recorder, target, Plan(**plan))
    return recorder.text()


def ids(flow: HarFlow) -> dict[str, str]:
    return {d.id: d.step for d in flow.state.diagnosis}


def steps(flow: HarFlow) -> dict[str, dict]:
    return {s["step"]: s for s in flow.to_json()["steps"]}


@pytest.mark.parametrize(("dialect", "client"), [("generic", CONFIDENTIAL),
                                                 ("pingone", POST_CLIENT),
                                                 ("cloudentity", CONFIDENTIAL)])
async def test_introspection_revocation_and_logout_are_steps(sandbox, dialect, client):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, dialect), **client,
                                    **FOLLOW_UPS, check_revocation=True))
    assert flow.state.ok, [(r.name, r.summary) for r in flow.state.results.values()]
    shown = steps(flow)
    assert list(shown)[-4:] == ["refresh", "introspection", "revocation", "logout"]
    introspection = shown["introspection"]
    assert introspection["active"] is True
    assert introspection["claims"]["client_id"] == client["client_id"]
    assert introspection["request"]["url"].endswith("introspect")
    assert introspection["response"]["status"] == 200 and "server_says" in introspection
    revocation = shown["revocation"]
    assert revocation["token_type_hint"] == "refresh_token"
    assert revocation["still_active"] is False and "confirms" in revocation["summary"]
    logout = shown["logout"]
    assert logout["location"] == f"{POST_LOGOUT}?state=logout-state"
    assert logout["id_token_hint"] is True and logout["state"] == "logout-state"
    config = replay_config(flow.state)
    assert (config.introspect, config.revoke, config.logout) == (True, True, True)
    assert config.post_logout_redirect_uri == POST_LOGOUT


async def test_a_refused_introspection_is_diagnosed_with_the_servers_words(sandbox):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "cloudentity"),
                                    **CONFIDENTIAL, introspect=True,
                                    wrong_secret=("introspection",)))
    assert ids(flow)["followup_client_auth_failed"] == "introspection"
    introspection = steps(flow)["introspection"]
    assert introspection["status"] == "error" and introspection["response"]["status"] == 401
    assert introspection["server_says"]["error"] == "invalid_client"


async def test_a_refused_revocation_is_diagnosed(sandbox):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "generic"), **POST_CLIENT,
                                    revoke=True, wrong_secret=("revocation",)))
    assert ids(flow)["followup_client_auth_failed"] == "revocation"
    assert flow.state.status("revocation") == "error"


async def test_an_unregistered_post_logout_uri_is_diagnosed(sandbox):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "cloudentity"),
                                    **CONFIDENTIAL, logout=True,
                                    post_logout_redirect_uri="https://evil.example.test/"))
    assert ids(flow)["post_logout_redirect_uri_not_registered"] == "logout"
    assert steps(flow)["logout"]["response"]["status"] == 400


async def test_follow_ups_are_mapped_by_their_shape_without_discovery(sandbox):
    """No discovery document in the HAR: the paths and parameters still name each request."""
    document = json.loads(await recorded(sandbox_target(sandbox.base_url, "generic"),
                                         **CONFIDENTIAL, **FOLLOW_UPS))
    entries = document["log"]["entries"]
    entries[:] = [e for e in entries if ".well-known" not in e["request"]["url"]]
    flow = load_flow(json.dumps(document))
    assert [flow.state.status(s) for s in ("introspection", "revocation", "logout")] == [
        "ok", "ok", "ok"]
    endpoints = steps(flow)["discovery"]
    assert endpoints["introspection_endpoint"].endswith("/generic/introspect")
    assert endpoints["end_session_endpoint"].endswith("/generic/logout")


async def test_a_confidential_clients_pushed_request_gives_the_parameters(sandbox):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "generic"), **PAR_CLIENT))
    assert flow.state.ok, flow.state.diagnosis
    par = steps(flow)["par"]
    assert par["request"]["url"].endswith("/generic/par") and par["response"]["status"] == 201
    assert set(steps(flow)["authorize"]["params"]) >= {"client_id", "request_uri"}
    config = flow.state.config
    assert (config.client_id, config.redirect_uri) == ("demo-par",
                                                       "http://127.0.0.1:8765/callback")
    assert (config.auth_method, config.par) == ("client_secret_basic", True)


async def test_a_refused_pushed_request_is_the_par_steps_refusal(sandbox):
    """The server refused the push (a wrong secret): the browser never opened authorize, and
    the flow says so at the par step, not as an unknown client at authorize."""
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "generic"), **PAR_CLIENT,
                                    wrong_secret=("par",)))
    assert ids(flow) == {"followup_client_auth_failed": "par"}
    par = steps(flow)["par"]
    assert par["status"] == "error" and par["response"]["status"] == 401
    assert par["server_says"]["error"] == "invalid_client"
    assert flow.state.status("authorize") == "skipped"
    assert flow.flows[0].outcome == "error invalid_client"
    assert flow.state.config.redirect_uri == "http://127.0.0.1:8765/callback"


async def test_no_follow_up_secret_reaches_the_output_unless_revealed(sandbox, tmp_path,
                                                                      capsys):
    from pkce_tui.cli import main as cli_main

    text = await recorded(sandbox_target(sandbox.base_url, "generic"), **CONFIDENTIAL,
                          **FOLLOW_UPS)
    flow = load_flow(text)
    tokens = flow.state.result("refresh").value.tokens
    secrets = ["demo-secret", tokens["access_token"], tokens["refresh_token"],
               flow.state.result("token").value.tokens["id_token"]]
    path = tmp_path / "followups.har"
    path.write_text(text)
    cli_main(["har", str(path), "--json"])
    out = capsys.readouterr().out
    assert json.loads(out)["steps"][-1]["step"] == "logout"
    assert not [s for s in secrets if s in out]
    cli_main(["har", str(path), "--json", "--reveal"])
    assert tokens["access_token"] in capsys.readouterr().out


# --- panva's oidc-provider ------------------------------------------------------------------


def provider_plan(**plan) -> dict:
    return {"client_id": "test-protocol", "client_secret": "test-protocol-secret",
            "auth_method": "client_secret_basic", "scope": "openid profile",
            "extra": {"prompt": "consent"}, "origin": None, **plan}


async def test_oidc_provider_follow_ups_are_steps(oidc_provider):
    flow = load_flow(await recorded(Target(oidc_provider.issuer),
                                    **provider_plan(**FOLLOW_UPS, check_revocation=True)))
    assert flow.state.ok, flow.state.diagnosis
    shown = steps(flow)
    assert shown["introspection"]["request"]["url"] == \
        f"{oidc_provider.issuer}/token/introspection"
    assert shown["revocation"]["still_active"] is False
    logout = shown["logout"]
    assert logout["location"] == f"{POST_LOGOUT}?state=logout-state"
    assert [e["request"]["method"] for e in logout["exchanges"]] == ["GET", "POST"]


async def test_oidc_provider_refusals_are_diagnosed(oidc_provider):
    target = Target(oidc_provider.issuer)
    refused = load_flow(await recorded(target, **provider_plan(
        introspect=True, wrong_secret=("introspection",))))
    assert ids(refused)["followup_client_auth_failed"] == "introspection"
    logout = load_flow(await recorded(target, **provider_plan(
        logout=True, post_logout_redirect_uri="https://elsewhere.test/out")))
    assert ids(logout)["post_logout_redirect_uri_not_registered"] == "logout"


async def test_oidc_provider_pushed_request_refused_and_accepted(oidc_provider):
    target = Target(oidc_provider.issuer)
    refused = load_flow(await recorded(target, **provider_plan(par=True,
                                                               wrong_secret=("par",))))
    assert ids(refused) == {"followup_client_auth_failed": "par"}
    pushed = load_flow(await recorded(target, **provider_plan(par=True)))
    assert pushed.state.ok, pushed.state.diagnosis
    assert steps(pushed)["par"]["request"]["url"] == f"{oidc_provider.issuer}/request"
    assert pushed.state.config.client_id == "test-protocol"
