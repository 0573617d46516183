"""The flow model: stale marking, overrides, replay, and diagnosis against a mock provider."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet, RSAKey

from pkce_tui.core.flow import (
    FlowConfig,
    edit,
    flow_steps,
    new_flow,
    override_token,
    record,
)
from pkce_tui.core.runner import FlowRunner

STEPS = flow_steps(FlowConfig())  # the steps of a flow that asks for no optional one

ISSUER = "https://op.example.test"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
LOGIN_PAGE = ('<form method="post" action="/login"><input name="username">'
              '<input type="password" name="password"></form>')
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})


class MockProvider:
    """A small OP: discovery, single-use codes bound to the PKCE challenge, JWKS, userinfo."""

    def __init__(self):
        self.grants: dict[str, dict] = {}
        self.used: set[str] = set()

    def redirect(self, authorize_url: str) -> str:
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        code = f"code-{len(self.grants)}"
        self.grants[code] = query
        return f"{query['redirect_uri']}?code={code}&state={query['state']}&iss={ISSUER}"

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.discovery())
        if path == "/jwks":
            return httpx.Response(200, json=KeySet([KEY]).as_dict(private=False))
        if path == "/userinfo":
            return httpx.Response(200, json={"sub": "alice"})
        if path == "/authorize":  # the discovery step's probe: a login page, request accepted
            return httpx.Response(200, html=LOGIN_PAGE)
        return self.token(dict(parse_qs(request.content.decode())))

    def discovery(self) -> dict:
        return {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/jwks",
                "userinfo_endpoint": f"{ISSUER}/userinfo"}

    def token(self, form: dict) -> httpx.Response:
        form = {k: v[0] for k, v in form.items()}
        grant = self.grants.get(form.get("code", ""))
        if grant is None or form["code"] in self.used or not self._pkce_ok(grant, form) \
                or form.get("redirect_uri") != grant["redirect_uri"]:
            return httpx.Response(400, json={"error": "invalid_grant",
                                             "error_description": "grant request is invalid"})
        self.used.add(form["code"])
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": "alice", "aud": grant["client_id"], "iat": now,
                  "exp": now + 300, "nonce": grant.get("nonce")}
        id_token = jose_jwt.encode({"alg": "RS256", "kid": "k1"}, claims, KEY)
        return httpx.Response(200, json={"access_token": "opaque-at", "token_type": "Bearer",
                                         "expires_in": 300, "id_token": id_token})

    @staticmethod
    def _pkce_ok(grant: dict, form: dict) -> bool:
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        derived = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return derived == grant.get("code_challenge")


@pytest.fixture
def provider():
    return MockProvider()


@pytest.fixture
def runner(provider):
    async def source(url: str) -> str:
        return provider.redirect(url)

    def mock_client(_config) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(provider.handle))

    return FlowRunner(mock_client(None), redirect_source=source, probe_client=mock_client)


def config(**changes) -> FlowConfig:
    base = FlowConfig(issuer=ISSUER, client_id="app", verifier=VERIFIER,
                      redirect_uri="http://127.0.0.1:8765/callback")
    return FlowConfig(**{**base.__dict__, **changes})


def test_a_new_flow_starts_at_discovery_with_every_step_pending():
    state = new_flow(config())
    assert state.next_step() == "discovery"
    assert all(state.status(step) == "pending" for step in STEPS)


async def test_run_all_completes_every_step(runner):
    state = await runner.run_all(new_flow(config()))
    assert state.ok, [(r.name, r.error) for r in state.results.values()]
    assert list(state.results) == list(STEPS)
    assert state.result("challenge").data["code_challenge"] == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert state.status("access_token") == "skipped"  # opaque
    assert state.result("userinfo").data["claims"] == {"sub": "alice"}
    assert state.diagnosis == ()


async def test_editing_the_verifier_stales_it_and_every_later_step(runner):
    state = await runner.run_all(new_flow(config()))
    edited = edit(state, verifier="x" * 50)
    assert edited.status("discovery") == "ok"
    assert {s for s in STEPS if edited.status(s) == "stale"} == set(STEPS[1:])
    assert edited.next_step() == "verifier"


async def test_editing_the_scope_keeps_the_pkce_steps_fresh(runner):
    state = edit(await runner.run_all(new_flow(config())), scope="openid email")
    assert state.status("challenge") == "ok"
    assert state.next_step() == "authorize"


async def test_replay_from_token_reuses_the_code_and_is_diagnosed(runner):
    state = await runner.run_all(new_flow(config()))
    replayed = await runner.replay_from(state, "token")
    assert replayed.status("token") == "error"
    assert replayed.status("verifier") == "ok"
    assert "code_reused" in {d.id for d in replayed.diagnosis}
    assert replayed.status("id_token") == "skipped"


async def test_a_wrong_verifier_override_is_refused_and_named(runner):
    state = override_token(new_flow(config()), code_verifier="A" * 43)
    state = await runner.run_all(state)
    assert ("code_verifier", "A" * 43) in state.result("token").request.form
    assert not state.ok
    assert state.result("token").error == "invalid_grant: grant request is invalid"
    assert [d.id for d in state.diagnosis] == ["verifier_mismatch"]


async def test_an_override_stales_the_token_step_and_later_only(runner):
    state = override_token(await runner.run_all(new_flow(config())), code="other")
    assert state.next_step() == "token"
    assert state.status("redirect") == "ok"
    assert {s for s in STEPS if state.status(s) == "stale"} == set(STEPS[STEPS.index("token"):])


async def test_a_token_param_redirect_uri_is_named_as_the_mismatch(runner):
    other = "http://127.0.0.1:9999/callback"
    state = await runner.run_all(new_flow(config(token_params=(("redirect_uri", other),))))
    assert state.result("token").request.form[-1] == ("redirect_uri", other)
    assert "redirect_uri_mismatch" in {d.id for d in state.diagnosis}


async def test_a_dead_server_is_a_network_error_not_an_exception():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    state = await FlowRunner(client).run_all(new_flow(config()))
    assert state.status("discovery") == "error"
    assert "connection refused" in state.result("discovery").error
    assert state.status("authorize") == "skipped"
    assert [d.id for d in state.diagnosis] == ["network_error"]


async def test_the_json_document_has_the_contract_shape(runner):
    document = (await runner.run_all(new_flow(config()))).to_json()
    json.dumps(document)
    assert document["ok"] is True
    assert [s["step"] for s in document["steps"]] == list(STEPS)
    token = document["steps"][STEPS.index("token")]
    assert set(token["request"]) == {"method", "url", "headers", "body"}
    assert set(token["response"]) == {"status", "headers", "body", "elapsed_ms"}
    assert token["response"]["body"]["token_type"] == "Bearer"


async def test_a_result_recorded_after_its_inputs_were_edited_stays_stale(runner):
    """An edit made while a step ran keeps that step's fresh result stale, the edit kept."""
    before_token = await runner.run_all(new_flow(config()))
    before_token = replace(before_token, results={s: r for s, r in before_token.results.items()
                                                  if STEPS.index(s) < STEPS.index("token")})
    result = await runner.result_of(before_token, "token")
    edited = edit(before_token, verifier=VERIFIER[:-1] + "A")
    state = record(edited, "token", result, ran_on=before_token)
    assert state.result("token") is result
    assert state.config.verifier.endswith("A")
    assert {"verifier", "challenge", "token"} <= state.stale


async def test_an_override_made_while_the_token_step_ran_stales_its_result(runner):
    before_token = await runner.run_all(new_flow(config()))
    result = await runner.result_of(before_token, "token")
    overridden = override_token(before_token, code_verifier="x" * 43)
    assert "token" in record(overridden, "token", result, ran_on=before_token).stale


async def test_an_edit_for_a_later_step_keeps_the_recorded_result_fresh(runner):
    before = await runner.run_all(new_flow(config()))
    result = await runner.result_of(before, "token")
    state = record(edit(before, leeway=5), "token", result, ran_on=before)
    assert "token" not in state.stale
    assert "id_token" in state.stale


async def test_a_valid_but_guessable_verifier_makes_the_verifier_step_a_warning(runner):
    """RFC 7636 §7.1: 43 × `a` passes the grammar but is no secret; the step says so."""
    state = await runner.run_step(new_flow(config(verifier="a" * 43)), "verifier")
    result = state.result("verifier")
    assert result.status == "warning" and "not random" in result.summary
    assert result.data["entropy"]["warnings"]
    fine = await runner.run_step(new_flow(config()), "verifier")
    assert fine.result("verifier").status == "ok"


async def test_a_probe_without_answer_is_a_warning_and_the_flow_goes_on(provider):
    """The discovery step's authorize probe never stops a flow: its failure is a warning and a
    diagnosis, which the code that comes back later proves moot."""
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    async def source(url: str) -> str:
        return provider.redirect(url)

    runner = FlowRunner(httpx.AsyncClient(transport=httpx.MockTransport(provider.handle)),
                        redirect_source=source,
                        probe_client=lambda _: httpx.AsyncClient(
                            transport=httpx.MockTransport(refuse)))
    state = await runner.run_step(new_flow(config()))
    assert state.status("discovery") == "warning"
    assert "the authorize probe failed" in state.result("discovery").summary
    assert [(d.id, d.step) for d in state.diagnosis] == [("network_error", "authorize")]
    state = await runner.run_all(state)
    assert state.ok and state.diagnosis == ()
