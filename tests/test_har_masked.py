"""Already-masked HARs (`har sanitize`, `export --format har` of a masked session) rebuilt by
`pkce-tui har`: a masked value is said to be masked in the HAR, never judged as if it were real
(no "verifier malformed", no "not a JWT"), while equal fingerprints still prove equality."""

from __future__ import annotations

import json

import pytest
from har_recorder import HarRecorder, Plan, Target, record_flow, sandbox_target
from test_session import cli, saved  # noqa: F401 - the module's saved-session fixture

from pkce_tui.core.har import HarFlow, load_flow, replay_config
from pkce_tui.core.sanitize import sanitize_har

FALSE_DIAGNOSES = {"verifier_malformed", "verifier_mismatch", "pkce_required",
                   "id_token_invalid", "jwt_malformed"}


async def sanitized(base_url: str, dialect: str, **plan) -> tuple[HarFlow, HarFlow]:
    """The flow recorded against the sandbox, rebuilt as recorded and once sanitized."""
    return await sanitized_at(sandbox_target(base_url, dialect), **plan)


async def sanitized_at(target: Target, **plan) -> tuple[HarFlow, HarFlow]:
    """The flow recorded against `target`, rebuilt as recorded and once sanitized."""
    recorder = HarRecorder()
    await record_flow(recorder, target, Plan(**plan))
    text = recorder.text()
    return load_flow(text), load_flow(json.dumps(sanitize_har(text).har))


def secret_missing(flow: HarFlow) -> bool:
    return any(m.startswith("client_secret: masked in the HAR") for m in flow.missing)


def statuses(flow: HarFlow) -> dict[str, str]:
    return {name: result.status for name, result in flow.state.results.items()}


def check(flow: HarFlow, name: str) -> bool | None:
    return next(c.ok for c in flow.checks if c.name == name)


@pytest.mark.parametrize("dialect", ["cyberark", "generic"])
async def test_a_sanitized_successful_flow_has_no_false_diagnosis(sandbox, dialect):
    original, masked = await sanitized(sandbox.base_url, dialect)
    assert original.state.diagnosis == ()
    assert masked.state.diagnosis == (), [d.id for d in masked.state.diagnosis]
    assert not [r.name for r in masked.state.results.values() if r.status == "error"]
    for step in ("verifier", "id_token"):
        assert masked.state.status(step) == "skipped"
        assert "masked in the HAR" in masked.state.result(step).summary
        assert any(m.startswith(f"{'code_verifier' if step == 'verifier' else step}: masked")
                   for m in masked.missing), masked.missing
    assert "verifier masked" in masked.state.result("challenge").summary
    assert check(masked, "pkce") is None and "masked in the HAR" in next(
        c.detail for c in masked.checks if c.name == "pkce")
    assert check(masked, "redirect_uri") is True and check(masked, "state") is True
    assert statuses(masked)["token"] == statuses(original)["token"] == "ok"


async def test_a_sanitized_wrong_verifier_keeps_the_servers_words_only(sandbox):
    """The verifier cannot be judged once masked; the server's refusal is still named."""
    original, masked = await sanitized(sandbox.base_url, "generic", wrong_verifier=True)
    assert {d.id for d in original.state.diagnosis} >= {"verifier_mismatch"}
    ids = {d.id for d in masked.state.diagnosis}
    assert "verifier_malformed" not in ids and masked.state.status("token") == "error"
    assert check(masked, "pkce") is None


async def test_a_masked_code_still_compares_by_its_fingerprint(sandbox):
    """The code in the redirect and in the token request mask alike, so they still match."""
    _, masked = await sanitized(sandbox.base_url, "generic")
    redirect_code = masked.state.value("redirect").code
    sent = dict(masked.state.result("token").request.form)["code"]
    assert redirect_code.startswith("••••••(") and sent == redirect_code


@pytest.mark.parametrize(("client", "method"), [("demo-confidential", "client_secret_basic"),
                                                ("demo-post", "client_secret_post")])
async def test_a_masked_client_secret_is_said_masked_not_judged(sandbox, client, method):
    """HTTP Basic credentials and a client_secret field alike: masked, so said masked."""
    original, masked = await sanitized(
        sandbox.base_url, "generic", client_id=client, client_secret="demo-secret",
        auth_method=method, introspect=True, revoke=True, logout=True,
        post_logout_redirect_uri="http://127.0.0.1:8765/logged-out")
    assert not secret_missing(original) and original.state.config.client_secret == "demo-secret"
    assert secret_missing(masked), masked.missing
    assert masked.state.diagnosis == (), [d.id for d in masked.state.diagnosis]
    assert masked.state.config.auth_method == method
    assert [masked.state.status(s) for s in ("token", "introspection", "revocation",
                                             "logout")] == ["ok"] * 4
    assert replay_config(masked.state).client_secret is None  # typed again, never sent masked
    assert replay_config(original.state).client_secret == "demo-secret"


async def test_a_refused_masked_secret_is_not_called_wrong_by_guess(oidc_provider):
    """oidc-provider's bare "client authentication failed": a wrong secret is the guess when
    the secret can be read, not once the HAR holds it masked."""
    original, masked = await sanitized_at(
        Target(oidc_provider.issuer), client_id="test-basic", client_secret="test-basic-secret",
        auth_method="client_secret_basic", scope="openid profile", origin=None,
        extra={"prompt": "consent"}, wrong_secret=("token",))
    assert {d.id for d in original.state.diagnosis} == {"invalid_client_secret"}
    ids = {d.id: d.step for d in masked.state.diagnosis}
    assert ids == {"client_auth_refused": "token"}, ids
    assert "masked" in masked.state.diagnosis[0].summary and secret_missing(masked)


async def test_a_masked_secret_the_server_calls_wrong_keeps_the_servers_words(sandbox):
    original, masked = await sanitized(sandbox.base_url, "generic", client_id="demo-post",
                                       client_secret="demo-secret",
                                       auth_method="client_secret_post", wrong_secret=("token",))
    for flow in (original, masked):
        assert {d.id for d in flow.state.diagnosis} == {"invalid_client_secret"}
        assert "client secret is wrong" in flow.state.diagnosis[0].summary


def test_an_exported_masked_session_rebuilds_without_false_diagnosis(saved, tmp_path):  # noqa: F811
    out = tmp_path / "masked.har"
    assert cli("export", str(saved["masked"]), "--format", "har", "-o", str(out)).returncode == 0
    result = cli("har", str(out), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    steps = {s["step"]: s for s in document["steps"]}
    assert not [d["id"] for d in document["diagnosis"] if d["id"] in FALSE_DIAGNOSES], \
        document["diagnosis"]
    assert not [name for name, s in steps.items() if s["status"] == "error"], steps
    assert "masked in the HAR" in steps["verifier"]["summary"]
    assert "masked in the HAR" in steps["id_token"]["summary"]
    assert "not a JWT" not in result.stdout and "malformed" not in result.stdout
    assert any("masked in the HAR" in m for m in document["missing"])
    assert all(c["ok"] is not False for c in document["checks"]), document["checks"]
