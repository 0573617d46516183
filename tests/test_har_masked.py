"""Already-masked HARs (`har sanitize`, `export --format har` of a masked session) rebuilt by
`pkce-tui har`: a masked value is said to be masked in the HAR, never judged as if it were real
(no "verifier malformed", no "not a JWT"), while equal fingerprints still prove equality."""

from __future__ import annotations

import json

import pytest
from har_recorder import HarRecorder, Plan, record_flow, sandbox_target
from test_session import cli, saved  # noqa: F401 - the module's saved-session fixture

from pkce_tui.core.har import HarFlow, load_flow
from pkce_tui.core.sanitize import sanitize_har

FALSE_DIAGNOSES = {"verifier_malformed", "verifier_mismatch", "pkce_required",
                   "id_token_invalid", "jwt_malformed"}


async def sanitized(base_url: str, dialect: str, **plan) -> tuple[HarFlow, HarFlow]:
    """The flow recorded against the sandbox, rebuilt as recorded and once sanitized."""
    recorder = HarRecorder()
    await record_flow(recorder, sandbox_target(base_url, dialect), Plan(**plan))
    text = recorder.text()
    return load_flow(text), load_flow(json.dumps(sanitize_har(text).har))


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
