"""DPoP (RFC 9449) in the flow against the sandbox over real HTTP: proofs on token, refresh
and userinfo, the nonce challenge answered, the binding checked, and the usual refusals
diagnosed."""

from __future__ import annotations

import time
from dataclasses import replace

import httpx
from sandbox_fixtures import sandbox_flow_config

from pkce_tui.core.dpop import binding_check, htu, make_proof, new_key, shown
from pkce_tui.core.flow import FlowConfig, new_flow, record
from pkce_tui.core.http import HttpRequest, HttpResponse
from pkce_tui.core.step_result import StepResult
from pkce_tui.core.token import basic_credentials


def sandbox_config(sandbox, dialect: str, **changes) -> FlowConfig:
    return sandbox_flow_config(sandbox, dialect, **{
        "client_id": "demo-confidential", "client_secret": "demo-secret",
        "auth_method": "client_secret_basic", "dpop": True, "scope": "openid offline_access",
        **changes})


def ids(state) -> dict[str, str]:
    return {d.id: d.severity for d in state.diagnosis}


async def test_generic_answers_the_nonce_challenge_and_binds_every_token(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "generic")))
    assert state.ok, [(r.name, r.summary) for r in state.results.values()]
    token = state.result("token")
    proof = token.data["dpop"]
    assert proof["header"]["typ"] == "dpop+jwt" and "d" not in proof["header"]["jwk"]
    assert proof["payload"]["htm"] == "POST"
    assert proof["payload"]["htu"] == state.value("discovery").token_endpoint
    assert proof["payload"]["nonce"] == token.data["dpop_nonce"]
    assert token.exchanges[0].response.status == 400  # the use_dpop_nonce challenge
    assert token.data["dpop_binding"]["ok"] is True
    assert token.data["token_type"] == "DPoP"
    userinfo = state.result("userinfo")
    assert userinfo.request.header("Authorization").startswith("DPoP ")
    assert userinfo.data["dpop"]["payload"]["ath"]
    assert state.result("refresh").data["dpop"]["header"]["jwk"] == proof["header"]["jwk"]
    assert ids(state) == {"dpop_nonce_required": "info"}


async def test_cloudentity_binds_without_a_nonce(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "cloudentity")))
    assert state.ok
    assert "dpop_nonce" not in state.result("token").data
    assert state.result("token").data["dpop_binding"]["cnf_jkt"] == \
        state.result("token").data["dpop_binding"]["jkt"]


async def test_a_provider_without_dpop_issues_bearer_tokens_diagnosed(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "pingone")))
    assert state.result("token").status == "warning"
    assert ids(state)["dpop_not_bound"] == "warning"
    assert state.result("userinfo").request.header("Authorization").startswith("Bearer ")


async def test_a_bound_token_used_without_its_proof_is_diagnosed(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "cloudentity")))
    without = replace(state, config=replace(state.config, dpop=False))
    refused = await runner.run_step(without, "userinfo")
    assert refused.result("userinfo").response.status == 401
    assert "DPoP" in refused.result("userinfo").response.header("WWW-Authenticate")
    assert "dpop_proof_missing" in ids(refused)


async def test_a_proof_for_another_url_is_refused_and_diagnosed(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "cloudentity")))
    endpoint = state.value("discovery").token_endpoint
    refresh_token = state.value("refresh").tokens["refresh_token"]
    proof = make_proof(state.value("token").dpop_key, "POST", endpoint + "/elsewhere",
                       time.time())
    basic = basic_credentials("demo-confidential", "demo-secret")
    request = HttpRequest("POST", endpoint, headers=(("DPoP", proof), ("Authorization", basic)),
                          form=(("grant_type", "refresh_token"),
                                ("refresh_token", refresh_token)))
    answer = httpx.post(endpoint, content=request.body, headers=dict(request.all_headers()))
    assert answer.status_code == 400 and "htu" in answer.json()["error_hint"]
    response = HttpResponse(answer.status_code, tuple(answer.headers.items()), answer.text)
    refused = record(state, "token", StepResult("token", "error", "refused",
                                                request=request, response=response))
    assert "dpop_htu_mismatch" in ids(refused)


def test_a_proof_names_method_url_and_token_hash():
    key = new_key()
    proof = shown(make_proof(key, "GET", "https://rs.test/me?x=1#f", 1000.0,
                             access_token="abc", nonce="n"))
    assert proof["header"]["jwk"]["kty"] == "EC"
    payload = proof["payload"]
    assert (payload["htm"], payload["htu"], payload["iat"]) == ("GET", "https://rs.test/me",
                                                                1000)
    assert payload["ath"] == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    assert payload["nonce"] == "n" and htu("http://h/p?q") == "http://h/p"


def test_binding_check_reads_cnf_jkt_and_the_token_type():
    key = new_key()
    assert binding_check("opaque", "Bearer", key)["ok"] is False
    assert binding_check("opaque", "DPoP", key)["ok"] is None


async def test_a_client_that_must_use_dpop_is_refused_without_it_and_diagnosed(sandbox,
                                                                               runner):
    config = sandbox_config(sandbox, "generic", client_id="demo-dpop", client_secret=None,
                            auth_method="none", dpop=False)
    state = await runner.run_all(new_flow(config))
    assert state.result("token").response.json()["error"] == "invalid_dpop_proof"
    assert "dpop_proof_missing" in ids(state)
    fixed = await runner.run_all(new_flow(replace(config, dpop=True)))
    assert fixed.ok and fixed.result("token").data["dpop_binding"]["ok"] is True
