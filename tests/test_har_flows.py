"""Flows rebuilt from HAR files recorded in this session against the sandbox's dialects and
panva's oidc-provider: each success reads as a success, each failure is named at its step."""

from __future__ import annotations

import json
import time

import pytest
from har_recorder import HarRecorder, Plan, Target, record_flow, sandbox_target

from pkce_tui.core.errors import InputError
from pkce_tui.core.har import HarFlow, load_flow

DIALECTS = ("cyberark", "pingone", "cloudentity", "generic")
LOGIN_KINDS = {"cyberark": "cyberark_api", "pingone": "pingone_flows",
               "cloudentity": "html_form", "generic": "html_form"}


async def recorded(target: Target, recorder: HarRecorder | None = None, **plan) -> str:
    recorder = recorder or HarRecorder()
    await record_flow(recorder, target, Plan(**plan))
    return recorder.text()


def ids(flow: HarFlow) -> dict[str, str]:
    """Each diagnosis id and the step it names."""
    return {d.id: d.step for d in flow.state.diagnosis}


def check(flow: HarFlow, name: str) -> bool | None:
    return next(c.ok for c in flow.checks if c.name == name)


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_single_page_apps_flow_is_rebuilt_step_by_step(sandbox, dialect):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, dialect)))
    state = flow.state
    assert state.ok, [(r.name, r.summary) for r in state.results.values() if r.failed]
    assert state.diagnosis == ()
    assert state.result("login").data["login"] == LOGIN_KINDS[dialect]
    assert state.result("redirect").data["kind"] == "code"
    assert state.result("id_token").data["valid"] is True
    assert [check(flow, name) for name in ("pkce", "redirect_uri", "state")] == [True] * 3
    assert state.config.client_id == "demo-public" and state.config.dialect == dialect
    document = flow.to_json()
    assert document["source"] == "har" and document["flows"][0]["outcome"] == "code"
    assert [s["step"] for s in document["steps"]][:3] == ["discovery", "verifier", "challenge"]


@pytest.mark.parametrize("dialect", ["cyberark", "generic"])
async def test_a_wrong_verifier_is_named_at_the_token_step(sandbox, dialect):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, dialect),
                                    wrong_verifier=True))
    assert ids(flow)["verifier_mismatch"] == "token"
    assert check(flow, "pkce") is False
    assert flow.state.status("token") == "error"


async def test_another_redirect_uri_at_token_is_named(sandbox):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "pingone"),
                                    token_redirect_uri="http://127.0.0.1:9999/callback"))
    assert ids(flow)["redirect_uri_mismatch"] == "token"
    assert check(flow, "redirect_uri") is False


async def test_a_code_redeemed_twice_is_named(sandbox):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "cloudentity"),
                                    redeem_twice=True))
    assert ids(flow)["code_reused"] == "token"
    assert len(flow.state.token_attempts) == 2


async def test_an_unknown_client_is_named_at_authorize(sandbox):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "generic"),
                                    client_id="nobody"))
    assert ids(flow)["unknown_client"] == "authorize"
    assert flow.state.status("login") == "error"
    assert flow.flows[0].outcome == "no response"


@pytest.mark.parametrize("dialect", ["cyberark", "pingone", "generic"])
async def test_a_wrong_password_is_named_at_login(sandbox, dialect):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, dialect), password="nope"))
    assert ids(flow)["login_failed"] == "login"


async def test_a_back_end_token_exchange_is_said_missing_not_guessed(sandbox):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "generic"), spa=False))
    assert flow.state.ok
    assert flow.state.status("token") == "skipped"
    assert any(m.startswith("token exchange:") for m in flow.missing)
    assert any(m.startswith("code_verifier:") for m in flow.missing)
    assert check(flow, "pkce") is None


async def test_the_flow_is_chosen_among_several(sandbox):
    recorder = HarRecorder()
    target = sandbox_target(sandbox.base_url, "generic")
    await recorded(target, recorder, state="first")
    await recorded(target, recorder, state="second", wrong_verifier=True)
    await recorded(target, recorder, client_id="nobody", state="third")
    text = recorder.text()
    default = load_flow(text)
    assert [f.outcome for f in default.flows] == ["code", "code", "no response"]
    assert default.index == 1 and "last one that got an answer" in default.chosen
    assert load_flow(text, flow_index=0).state.config.state == "first"
    assert load_flow(text, flow_index=0).state.ok
    with pytest.raises(InputError, match="--flow 3: the HAR holds 3 flows"):
        load_flow(text, flow_index=3)


@pytest.mark.parametrize("shape", ["chrome", "firefox", "safari"])
async def test_every_browsers_shape_reads_alike(sandbox, shape):
    recorder = HarRecorder(shape=shape, strip_cookies=shape == "chrome",
                           encode_bodies=shape == "firefox")
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "cyberark"), recorder))
    assert flow.state.ok and flow.state.result("token").value.tokens["access_token"]
    stripped = any(m.startswith("cookies:") for m in flow.missing)
    assert stripped is (shape == "chrome")


async def test_an_old_har_is_judged_at_its_own_time(sandbox, monkeypatch):
    text = await recorded(sandbox_target(sandbox.base_url, "generic"))
    month_later = time.time() + 30 * 86400
    monkeypatch.setattr(time, "time", lambda: month_later)
    flow = load_flow(text)
    assert flow.state.result("id_token").data["valid"] is True
    assert "id_token_expired" not in ids(flow)


async def test_without_a_jwks_the_signature_is_not_judged_and_said_missing(sandbox):
    document = json.loads(await recorded(sandbox_target(sandbox.base_url, "generic")))
    entries = document["log"]["entries"]
    jwks_entry = next(e for e in entries if e["request"]["url"].endswith("/jwks"))
    entries.remove(jwks_entry)
    flow = load_flow(json.dumps(document))
    signature = next(c for c in flow.state.result("id_token").data["checks"]
                     if c["name"] == "signature")
    assert signature["ok"] is None
    assert any(m.startswith("JWKS:") for m in flow.missing)
    jwks = json.loads(jwks_entry["response"]["content"]["text"])
    with_keys = load_flow(json.dumps(document), jwks=jwks)
    assert next(c for c in with_keys.state.result("id_token").data["checks"]
                if c["name"] == "signature")["ok"] is True


# --- panva's oidc-provider ------------------------------------------------------------------


def provider_target(provider) -> Target:
    return Target(provider.issuer)


def provider_plan(**plan) -> dict:
    return {"client_id": "test-public", "redirect_uri": "http://127.0.0.1:8765/callback",
            "scope": "openid profile", "extra": {"prompt": "consent"}, "origin": None, **plan}


async def test_oidc_provider_spa_flow_is_rebuilt(oidc_provider):
    flow = load_flow(await recorded(provider_target(oidc_provider), **provider_plan()))
    assert flow.state.ok, flow.state.diagnosis
    assert check(flow, "iss") is True


async def test_oidc_provider_generic_invalid_grant_is_explained(oidc_provider):
    flow = load_flow(await recorded(provider_target(oidc_provider),
                                    **provider_plan(wrong_verifier=True)))
    assert flow.state.result("token").data["error_code"] == "invalid_grant"
    assert ids(flow)["verifier_mismatch"] == "token"


async def test_oidc_provider_declined_login_is_access_denied(oidc_provider):
    flow = load_flow(await recorded(provider_target(oidc_provider),
                                    **provider_plan(decline=True)))
    assert ids(flow)["access_denied"] == "redirect"
    assert flow.flows[0].outcome == "error access_denied"


async def test_no_secret_of_the_har_reaches_the_output_unless_revealed(sandbox, tmp_path, capsys):
    from pkce_tui.cli import main as cli_main

    text = await recorded(sandbox_target(sandbox.base_url, "cyberark"))
    flow = load_flow(text)
    tokens = flow.state.result("token").value.tokens
    secrets = [tokens["access_token"], tokens["id_token"], tokens["refresh_token"],
               flow.state.config.verifier, flow.state.value("redirect").code,
               '"Answer": "pass"']  # CyberArk's password field, as the JSON would show it
    path = tmp_path / "flow.har"
    path.write_text(text)
    for args in (["--json"], []):
        cli_main(["har", str(path), *args])
        out, err = capsys.readouterr()
        assert not [s for s in secrets if s in out + err], args
    cli_main(["har", str(path), "--json", "--reveal"])
    assert tokens["access_token"] in capsys.readouterr().out


@pytest.mark.parametrize(("fault", "diagnosis", "step"), [
    ("expired_id_token", "id_token_expired", "id_token"),
    ("bad_signature", "signature_invalid", "id_token"),
    ("wrong_aud", "aud_mismatch", "id_token"),
    ("token_500", "server_error", "token"),
])
async def test_sandbox_faults_are_named_from_the_har(sandbox, fault, diagnosis, step):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "generic"),
                                    extra={"sandbox_fault": fault}))
    assert ids(flow)[diagnosis] == step


async def test_the_servers_own_words_come_with_a_refused_login(sandbox):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, "pingone"), password="no"))
    says = flow.to_json()["steps"][4]["server_says"]
    assert says is not None and "Invalid username and/or password" in json.dumps(says)


async def test_oidc_provider_unknown_client_is_named_at_authorize(oidc_provider):
    flow = load_flow(await recorded(provider_target(oidc_provider),
                                    **provider_plan(client_id="nobody")))
    assert ids(flow)["unknown_client"] == "authorize"


@pytest.mark.parametrize("dialect", ["pingone", "generic"])
async def test_a_pushed_request_in_the_har_is_the_par_step(sandbox, dialect):
    flow = load_flow(await recorded(sandbox_target(sandbox.base_url, dialect), par=True))
    assert flow.state.ok, flow.state.diagnosis
    assert flow.state.result("par").data["request_uri"]
    assert flow.state.config.redirect_uri == "http://127.0.0.1:8765/callback"
    assert [s["step"] for s in flow.to_json()["steps"]][:5] == [
        "discovery", "verifier", "challenge", "par", "authorize"]
