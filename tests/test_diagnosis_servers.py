"""Every diagnosis id, produced by a real server: panva's oidc-provider where it can, the
sandbox in each dialect where the provider's shape matters. Each test also proves that the
nearby cause is not blamed (a wrong secret is not the auth method; a redirect_uri mismatch is
not the verifier). Flows run in this process against the servers over loopback HTTP.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from conftest import LOOPBACK, free_port
from sandbox_fixtures import dialect_target

from pkce_tui.core import login, steps
from pkce_tui.core.client import new_client, send
from pkce_tui.core.flow import FlowConfig, FlowState, new_flow, override_token, record
from pkce_tui.core.http import HttpRequest
from pkce_tui.core.redirect import parse_http_response
from pkce_tui.core.runner import FlowRunner

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CALLBACK = f"http://{LOOPBACK}:8765/callback"


def sandbox_config(base: str, dialect: str, client_id: str = "demo-public",
                   **changes) -> FlowConfig:
    target = dialect_target(dialect, base)
    secret = "demo-secret" if client_id in ("demo-confidential", "demo-post") else None
    method = {"demo-confidential": "client_secret_basic",
              "demo-post": "client_secret_post"}.get(client_id, "none")
    settings = {"dialect": dialect, **target, "client_id": client_id, "client_secret": secret,
                "auth_method": method, "redirect_uri": CALLBACK,
                "scope": "openid profile offline_access", "username": "alice",
                "password": "pass", "timeout": 5.0, "verifier": VERIFIER}
    return FlowConfig(**{**settings, **changes})


def op_config(provider, client_id: str | None = None, **changes) -> FlowConfig:
    settings = {"issuer": provider.issuer, "client_id": client_id or provider.public_client_id,
                "redirect_uri": f"http://{LOOPBACK}:{free_port()}/callback",
                "scope": "openid profile offline_access", "username": "alice",
                "password": "pass", "timeout": 5.0, "verifier": VERIFIER,
                "extra_params": (("prompt", "consent"),)}
    return FlowConfig(**{**settings, **changes})


async def run(state: FlowState | FlowConfig, *, source=None, clock=time.time,
              until: str | None = None) -> FlowState:
    """Run the flow (up to, not including, `until`)."""
    state = new_flow(state) if isinstance(state, FlowConfig) else state
    async with new_client(timeout=5) as client:
        runner = FlowRunner(client, redirect_source=source, clock=clock)
        while (step := state.next_step()) is not None and step != until:
            state = await runner.run_step(state, step)
    return state


async def with_token_form(config: FlowConfig, form_of) -> FlowState:
    """The flow up to the code, then a token request built by `form_of(state)` and sent to the
    server as it is, recorded as the token step (what a hand-made client would send)."""
    state = await run(config, until="token")
    request = HttpRequest("POST", state.value("discovery").token_endpoint,
                          (("Accept", "application/json"),), form=tuple(form_of(state).items()))
    async with new_client(timeout=5) as client:
        result = steps.token_exchange_result("token", request, await send(client, request))
    return record(state, "token", result)


def code_form(state: FlowState, **changes) -> dict:
    form = {"grant_type": "authorization_code", "code": state.value("redirect").code,
            "redirect_uri": state.config.redirect_uri, "code_verifier": VERIFIER,
            "client_id": state.config.client_id}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def ids(state: FlowState) -> dict[str, str]:
    return {d.id: d.step for d in state.diagnosis}


# --- discovery and the tenant ------------------------------------------------------------


@pytest.mark.parametrize(("dialect", "typo"), [
    ("cyberark", {"app_id": "demo-ap"}), ("pingone", {"env_id": "demo-envv"}),
    ("cloudentity", {"workspace": "demo-wss"}), ("generic", {"issuer": "/generc"})])
async def test_tenant_not_found_in_every_dialect(sandbox, dialect, typo):
    if dialect == "generic":
        typo = {"issuer": sandbox.base_url + typo["issuer"]}
    state = await run(sandbox_config(sandbox.base_url, dialect, **typo))
    found = ids(state)
    assert "tenant_not_found" in found
    assert not {"unknown_client", "redirect_uri_not_registered"} & found.keys()
    diagnosis = next(d for d in state.diagnosis if d.id == "tenant_not_found")
    assert f"--{next(iter(typo)).replace('_', '-')}" in diagnosis.fix


async def test_tenant_not_found_at_oidc_provider(oidc_provider):
    state = await run(op_config(oidc_provider, issuer=f"{oidc_provider.issuer}/tenant"))
    assert ids(state) == {"tenant_not_found": "discovery"}


async def test_issuer_mismatch_by_a_trailing_slash(oidc_provider):
    state = await run(op_config(oidc_provider, issuer=f"{oidc_provider.issuer}/"))
    assert ids(state) == {"issuer_mismatch": "discovery"}


# --- authorize: pages instead of redirects, error redirects -------------------------------


@pytest.mark.parametrize("dialect", ["cyberark", "pingone", "cloudentity", "generic"])
async def test_unknown_client_in_every_dialect(sandbox, dialect):
    state = await run(sandbox_config(sandbox.base_url, dialect, client_id="nobody"))
    assert ids(state).keys() == {"unknown_client"}
    assert state.result("login").server_says is not None


async def test_unknown_client_and_unregistered_redirect_uri_at_oidc_provider(oidc_provider):
    """oidc-provider refuses both on an HTML page: before, an empty diagnosis."""
    unknown = await run(op_config(oidc_provider, client_id="nobody"))
    assert ids(unknown) == {"unknown_client": "authorize"}
    assert unknown.result("login").server_says.error == "invalid_client"
    elsewhere = await run(op_config(oidc_provider, redirect_uri=f"http://{LOOPBACK}/other"))
    assert ids(elsewhere) == {"redirect_uri_not_registered": "authorize"}
    assert "an error page" in elsewhere.result("login").error


async def test_pkce_required_at_authorize_not_s256(sandbox):
    state = await run(sandbox_config(sandbox.base_url, "pingone", method="none"))
    assert ids(state) == {"pkce_required": "authorize"}


async def test_scope_not_allowed_at_cloudentity_reads_the_hint(sandbox):
    state = await run(sandbox_config(sandbox.base_url, "cloudentity", scope="openid admin"))
    assert ids(state) == {"scope_not_allowed": "redirect"}
    assert "admin" in state.result("redirect").server_says.get("error_hint")


async def test_login_required_with_prompt_none(sandbox):
    state = await run(sandbox_config(sandbox.base_url, "generic",
                                     extra_params=(("prompt", "none"),)))
    assert "login_required" in ids(state) and "login_failed" not in ids(state)


async def test_response_type_not_supported(sandbox):
    async def source(url: str):
        async with new_client() as client:
            return await send(client, HttpRequest("GET", url.replace("response_type=code",
                                                                     "response_type=token")))
    config = sandbox_config(sandbox.base_url, "generic", username=None, password=None)
    state = await run(config, source=source)
    assert ids(state) == {"response_type_not_supported": "redirect"}


async def test_client_secret_in_the_authorize_url(sandbox):
    state = await run(sandbox_config(sandbox.base_url, "cyberark", "demo-confidential",
                                     extra_params=(("client_secret", "demo-secret"),)))
    assert ids(state) == {"client_secret_in_authorize_url": "authorize"}


# --- the redirect: state, iss, nonce ------------------------------------------------------


async def redirect_of(config: FlowConfig):
    """A real authorization response for `config`, as the login step received it."""
    return (await run(config, until="redirect")).value("login")


async def test_state_mismatch_with_another_requests_callback(sandbox):
    earlier = await redirect_of(sandbox_config(sandbox.base_url, "generic"))

    async def source(url: str):
        return earlier
    state = await run(sandbox_config(sandbox.base_url, "generic", username=None,
                                     password=None), source=source)
    assert "state_mismatch" in ids(state)


async def test_iss_mismatch_with_another_issuers_callback(sandbox):
    """generic sends iss (RFC 9207); its callback fed to a Cloudentity flow names the wrong
    issuer."""
    earlier = await redirect_of(sandbox_config(sandbox.base_url, "generic", state="same"))

    async def source(url: str):
        return earlier
    state = await run(sandbox_config(sandbox.base_url, "cloudentity", state="same",
                                     username=None, password=None), source=source)
    assert "iss_mismatch" in ids(state) and "state_mismatch" not in ids(state)


async def test_nonce_mismatch_with_another_requests_code(sandbox):
    earlier = await redirect_of(sandbox_config(sandbox.base_url, "generic", state="same",
                                               nonce="nonce-a"))

    async def source(url: str):
        return earlier
    state = await run(sandbox_config(sandbox.base_url, "generic", state="same", nonce="nonce-b",
                                     username=None, password=None), source=source)
    assert ids(state) == {"nonce_mismatch": "id_token"}


# --- the token endpoint -------------------------------------------------------------------


async def test_wrong_secret_at_cloudentity_is_the_secret_not_the_auth_method(sandbox):
    config = sandbox_config(sandbox.base_url, "cloudentity", "demo-confidential",
                            client_secret="wrong")
    state = await run(config)
    assert ids(state) == {"invalid_client_secret": "token"}
    assert state.result("token").server_says.cause == "invalid_client_secret"


@pytest.mark.parametrize("dialect", ["cloudentity", "pingone", "generic"])
async def test_wrong_auth_method_is_the_method_not_the_secret(sandbox, dialect):
    config = sandbox_config(sandbox.base_url, dialect, "demo-confidential",
                            auth_method="client_secret_post")
    state = await run(config)
    assert ids(state) == {"auth_method_mismatch": "token"}


async def test_a_public_client_sending_a_secret(sandbox):
    config = sandbox_config(sandbox.base_url, "generic", client_secret="s3cret",
                            auth_method="client_secret_post")
    state = await run(config)
    assert ids(state) == {"secret_sent_by_public_client": "token"}


async def test_wrong_secret_at_oidc_provider(oidc_provider):
    config = op_config(oidc_provider, oidc_provider.basic_client_id, client_secret="wrong",
                       auth_method="client_secret_basic")
    assert ids(await run(config)) == {"invalid_client_secret": "token"}


@pytest.mark.parametrize("dialect", ["cyberark", "pingone", "cloudentity", "generic"])
async def test_a_five_character_verifier_is_malformed_not_pkce_required(sandbox, dialect):
    state = await run(override_token(new_flow(sandbox_config(sandbox.base_url, dialect)),
                                     code_verifier="abcde"))
    assert ids(state) == {"verifier_malformed": "token"}


async def test_a_short_verifier_at_oidc_provider(oidc_provider):
    state = await run(override_token(new_flow(op_config(oidc_provider)), code_verifier="abcde"))
    assert ids(state) == {"verifier_malformed": "token"}


async def test_a_missing_verifier_is_pkce_required_not_a_mismatch(oidc_provider):
    state = await with_token_form(op_config(oidc_provider),
                                  lambda s: code_form(s, code_verifier=None))
    assert ids(state) == {"pkce_required": "token"}


async def test_a_wrong_verifier_at_cloudentity_is_the_verifier_not_the_redirect(sandbox):
    state = await run(override_token(new_flow(sandbox_config(sandbox.base_url, "cloudentity")),
                                     code_verifier="W" * 43))
    assert ids(state) == {"verifier_mismatch": "token"}


@pytest.mark.parametrize("server", ["oidc_provider", "sandbox"])
async def test_a_token_request_without_redirect_uri(request, server):
    if server == "sandbox":
        config = sandbox_config(request.getfixturevalue("sandbox").base_url, "pingone")
    else:
        config = op_config(request.getfixturevalue("oidc_provider"))
    state = await with_token_form(config, lambda s: code_form(s, redirect_uri=None))
    assert ids(state) == {"redirect_uri_mismatch": "token"}
    assert "has no redirect_uri" in state.diagnosis[0].summary


async def test_another_redirect_uri_is_not_the_verifier(oidc_provider):
    state = await run(override_token(new_flow(op_config(oidc_provider)),
                                     redirect_uri=f"http://{LOOPBACK}:1/callback"))
    assert ids(state) == {"redirect_uri_mismatch": "token"}


async def test_a_reused_code_in_the_servers_words_and_without_them(sandbox, oidc_provider):
    for config in (sandbox_config(sandbox.base_url, "cloudentity"), op_config(oidc_provider)):
        state = await run(config)
        assert state.ok
        async with new_client(timeout=5) as client:
            state = await FlowRunner(client).replay_from(state, "token")
        assert "code_reused" in ids(state)
        assert "invalid_grant_unexplained" not in ids(state)


async def test_an_expired_code_in_the_servers_words(sandbox):
    state = await run(sandbox_config(sandbox.base_url, "generic"), until="token")
    store = sandbox.context.store
    real_clock = store.clock
    store.clock = lambda: real_clock() + 61
    try:
        state = await run(state)
    finally:
        store.clock = real_clock
    assert ids(state) == {"code_expired": "token"}


async def test_a_code_redeemed_elsewhere_is_unexplained(oidc_provider):
    """oidc-provider says only "grant request is invalid" and the flow sent nothing wrong."""
    config = op_config(oidc_provider, username=None, password=None)

    async def redeem_first(url: str):
        async with new_client(timeout=5) as client:
            result = await login.form_login(client, authorize_url=url,
                                            redirect_uri=config.redirect_uri,
                                            username="alice", password="pass")
        code = parse_http_response(result.redirect).code
        first = httpx.post(f"{oidc_provider.issuer}/token", data={
            "grant_type": "authorization_code", "code": code, "code_verifier": VERIFIER,
            "redirect_uri": config.redirect_uri, "client_id": config.client_id})
        assert first.status_code == 200
        return result.redirect
    state = await run(config, source=redeem_first)
    assert ids(state) == {"invalid_grant_unexplained": "token"}


async def test_a_retry_answer_says_retry(sandbox):
    state = await run(sandbox_config(sandbox.base_url, "cyberark",
                                     extra_params=(("sandbox_fault", "invalid_grant_once"),)))
    assert ids(state) == {"temporarily_unavailable": "token"}
    assert "retry" in state.diagnosis[0].fix


async def test_a_token_request_without_grant_type(sandbox):
    """The seed's Cloudentity example: no grant_type, the code under another name."""
    state = await with_token_form(
        sandbox_config(sandbox.base_url, "cloudentity"),
        lambda s: {"authorization_code": s.value("redirect").code, "code_verifier": VERIFIER,
                   "client_id": s.config.client_id})
    assert ids(state) == {"token_request_malformed": "token"}


async def test_an_unsupported_grant_type(sandbox):
    state = await with_token_form(sandbox_config(sandbox.base_url, "generic"),
                                  lambda s: code_form(s, grant_type="password"))
    assert ids(state) == {"unauthorized_client": "token"}


# --- the tokens ---------------------------------------------------------------------------


async def test_an_id_token_without_sub_is_missing_required_claim(sandbox):
    state = await run(sandbox_config(sandbox.base_url, "pingone",
                                     extra_params=(("sandbox_fault", "missing_sub"),)))
    assert ids(state) == {"missing_required_claim": "id_token"}
    assert state.status("id_token") == "error"


async def test_an_unsigned_id_token_is_alg_none(sandbox):
    state = await run(sandbox_config(sandbox.base_url, "generic",
                                     extra_params=(("sandbox_fault", "alg_none"),)))
    assert ids(state) == {"alg_none": "id_token"}


async def test_a_user_not_assigned_to_the_app_is_access_denied_not_a_failed_login(sandbox):
    state = await run(sandbox_config(sandbox.base_url, "cloudentity", username="carol"))
    assert ids(state) == {"access_denied": "redirect"}


async def test_clock_skew_when_this_machines_clock_is_behind(oidc_provider):
    state = await run(op_config(oidc_provider), clock=lambda: time.time() - 600)
    assert "clock_skew" in ids(state) and "id_token_expired" not in ids(state)



def test_flow_json_carries_server_says_on_every_http_step(sandbox, capsys):
    """DESIGN.md §3: `server_says` on every HTTP step, null when the server said no more."""
    from pkce_tui.cli import main

    code = main(["flow", "--json", "--dialect", "cloudentity", "--base-url",
                 f"{sandbox.base_url}/cloudentity", "--tenant", "demo", "--workspace",
                 "demo-ws", "--client-id", "demo-confidential", "--client-secret", "not-the-secret",
                 "--username", "alice", "--password", "pass", "--redirect-uri", CALLBACK,
                 "--timeout", "5"])
    document = json.loads(capsys.readouterr().out)
    steps_by_name = {step["step"]: step for step in document["steps"]}
    assert code == 1
    said = steps_by_name["token"]["server_says"]
    assert said["cause"] == "invalid_client_secret" and said["trace_id"]
    assert said["error_hint"] == "client secret is wrong"
    assert steps_by_name["login"]["server_says"] is None
    assert [d["id"] for d in document["diagnosis"]] == ["invalid_client_secret"]
