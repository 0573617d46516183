"""private_key_jwt (RFC 7523, OIDC Core §9): keys read from PEM or JWK files, assertions
made and shown decoded, and the sandbox refusing the usual mistakes, each diagnosed."""

from __future__ import annotations

import json
import time

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey
from sandbox_fixtures import sandbox_flow_config

from pkce_tui.core.client_assertion import (
    decoded_assertion,
    load_client_key,
    make_assertion,
)
from pkce_tui.core.errors import InputError
from pkce_tui.core.flow import FlowConfig, new_flow, override_token
from pkce_tui.sandbox.directory import DEMO_KEY_FILE

DEMO_KEY = str(__import__("pathlib").Path(__import__("pkce_tui.sandbox").sandbox.__file__)
               .parent / DEMO_KEY_FILE)


def sandbox_config(sandbox, dialect: str, **changes) -> FlowConfig:
    return sandbox_flow_config(sandbox, dialect, **{
        "client_id": "demo-pkjwt", "auth_method": "private_key_jwt", "client_key": DEMO_KEY,
        **changes})


def ids(state) -> set[str]:
    return {d.id for d in state.diagnosis}


def crafted(state, **claims) -> str:
    """An assertion signed by the demo key with `claims` changed, to send on purpose."""
    key = load_client_key(DEMO_KEY)
    token_endpoint = state.value("discovery").token_endpoint
    now = int(time.time())
    payload = {"iss": "demo-pkjwt", "sub": "demo-pkjwt", "aud": token_endpoint,
               "jti": f"jti-{now}-{len(claims)}", "iat": now, "exp": now + 60, **claims}
    return jose_jwt.encode({"alg": "ES256", "kid": key.kid}, payload, key.key)


@pytest.mark.parametrize("dialect", ["generic", "pingone", "cloudentity"])
async def test_private_key_jwt_runs_the_whole_flow(sandbox, runner, dialect):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, dialect)))
    assert state.ok, [(r.name, r.summary) for r in state.results.values()]
    token = state.result("token")
    shown = token.data["client_assertion"]
    assert shown["header"] == {"alg": "ES256", "typ": "JWT", "kid": "demo-pkjwt-1"}
    payload = shown["payload"]
    assert payload["iss"] == payload["sub"] == "demo-pkjwt"
    assert payload["aud"] == state.value("discovery").token_endpoint
    assert payload["exp"] - payload["iat"] == 60 and payload["jti"]
    refreshed = state.result("refresh").data["client_assertion"]["payload"]
    assert refreshed["jti"] != payload["jti"]
    assert token.to_json()["client_assertion"]["payload"]["iss"] == "demo-pkjwt"


async def test_private_key_jwt_authenticates_par_and_introspection(sandbox, runner):
    config = sandbox_config(sandbox, "generic", par=True, introspect=True)
    state = await runner.run_all(new_flow(config))
    assert state.ok
    for step in ("par", "introspection"):
        assert state.result(step).data["client_assertion"]["payload"]["sub"] == "demo-pkjwt"


async def test_a_kid_unknown_to_the_tenant_is_diagnosed(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "cloudentity",
                                                         client_key_kid="old-key")))
    assert state.result("token").status == "error"
    assert "client_assertion_kid_unknown" in ids(state)
    assert "auth_method_mismatch" not in ids(state)


async def test_the_issuer_as_aud_is_refused_by_pingone_and_diagnosed(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "pingone")))
    wrong = crafted(state, aud=state.value("discovery").issuer)
    again = await runner.replay_from(replace_param(state, wrong), "token")
    assert again.result("token").status == "error"
    assert "client_assertion_aud_mismatch" in ids(again)


async def test_an_expired_assertion_is_diagnosed(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "generic")))
    old = crafted(state, iat=int(time.time()) - 600, exp=int(time.time()) - 540)
    again = await runner.replay_from(replace_param(state, old), "token")
    assert "client_assertion_expired" in ids(again)


async def test_a_reused_jti_is_diagnosed(sandbox, runner):
    state = await runner.run_all(new_flow(sandbox_config(sandbox, "generic")))
    fixed = replace_param(state, crafted(state))
    once = await runner.replay_from(override_token(fixed), "login")
    assert once.result("token").status == "ok"
    twice = await runner.replay_from(once, "login")
    assert twice.result("token").status == "error"
    assert "client_assertion_jti_reused" in ids(twice)


def replace_param(state, assertion: str):
    from dataclasses import replace

    return replace(state, config=replace(state.config, token_params=(
        ("client_assertion", assertion),)))


def test_a_pem_key_signs_as_well_as_the_jwk(tmp_path):
    jwk = json.loads(open(DEMO_KEY).read())
    pem = tmp_path / "key.pem"
    pem.write_bytes(ECKey.import_key(jwk).as_pem(private=True))
    key = load_client_key(str(pem), "kid-1")
    assert (key.alg, key.kid) == ("ES256", "kid-1")
    assertion = make_assertion(key, "app", "https://op.test/token", 1000.0)
    shown = decoded_assertion((("client_assertion", assertion),))
    assert shown["header"]["kid"] == "kid-1"
    assert shown["payload"] == {**shown["payload"], "iss": "app", "sub": "app",
                                "aud": "https://op.test/token", "iat": 1000, "exp": 1060}


def test_a_public_or_unreadable_key_is_one_clear_error(tmp_path):
    jwk = json.loads(open(DEMO_KEY).read())
    public = tmp_path / "public.json"
    public.write_text(json.dumps({k: v for k, v in jwk.items() if k != "d"}))
    with pytest.raises(InputError, match="holds a public key"):
        load_client_key(str(public))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(InputError, match="not an RSA, EC or OKP key"):
        load_client_key(str(garbage))
    with pytest.raises(InputError, match="cannot read it"):
        load_client_key(str(tmp_path / "missing.pem"))


@pytest.mark.parametrize(("extra", "words"), [
    (["--auth-method", "private_key_jwt"], "needs --client-key FILE"),
    (["--client-key", "/nonexistent/key.pem"], "--client-key /nonexistent/key.pem: cannot read"),
])
def test_flow_refuses_a_missing_key_with_one_line(capsys, extra, words):
    from pkce_tui.cli import main

    code = main(["flow", "--issuer", "https://op.example.test", "--client-id", "app",
                 "--redirect-from", "-", *extra])
    err = capsys.readouterr().err
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1
