"""The tamper lab end to end on the sandbox over loopback: every experiment is a real run, and
its verdict is read from what the server and the client did."""

from __future__ import annotations

import pytest

from pkce_tui.core.client import new_client
from pkce_tui.core.errors import InputError
from pkce_tui.core.lab import EXPERIMENTS, experiment, run_experiment

#: What each experiment must show, from the run itself: (decisive status, words in the detail).
EXPECTED = {
    "stolen-code": ("error", "code_verifier does not match"),
    "stolen-code-no-pkce": ("ok", "HTTP 200"),
    "plain-downgrade": ("ok", "HTTP 200"),
    "plain-refused": ("error", "requires code_challenge_method=S256"),
    "code-replay": ("error", "no longer works (revoked)"),
    "forged-state": ("error", "possible CSRF"),
    "mix-up": ("error", "mix-up"),
    "redirect-uri-swap": ("error", "redirect_uri differs"),
    "id-token-replay": ("error", "is not the nonce sent"),
    "id-token-expired": ("error", "exp: expired"),
    "id-token-audience": ("error", "aud:"),
}


def test_every_experiment_has_an_expectation_and_cites_an_rfc():
    assert {e.id for e in EXPERIMENTS} == set(EXPECTED)
    assert all("RFC" in e.rule or "OIDC" in e.rule for e in EXPERIMENTS)


@pytest.mark.parametrize("chosen", EXPERIMENTS, ids=lambda e: e.id)
async def test_experiment_runs_end_to_end_on_the_sandbox(sandbox, chosen):
    async with new_client() as client:
        outcome = await run_experiment(chosen, client=client, base_url=sandbox.base_url)
    status, words = EXPECTED[chosen.id]
    assert outcome.state.status(chosen.decisive) == status
    assert words in outcome.detail
    assert outcome.as_expected
    assert outcome.to_json()["blocked"] is (status == "error")


async def test_stolen_code_sends_the_attackers_verifier_not_the_clients(sandbox):
    async with new_client() as client:
        outcome = await run_experiment(experiment("stolen-code"), client=client,
                                       base_url=sandbox.base_url)
    sent = dict(outcome.state.result("token").request.form)
    assert sent["code_verifier"] != outcome.state.value("verifier")
    assert "verifier_mismatch" in {d.id for d in outcome.state.diagnosis}


async def test_code_replay_is_recorded_as_a_second_token_attempt(sandbox):
    async with new_client() as client:
        outcome = await run_experiment(experiment("code-replay"), client=client,
                                       base_url=sandbox.base_url)
    attempts = outcome.state.token_attempts
    assert [a.status for a in attempts] == ["ok", "error"]
    assert "code_reused" in {d.id for d in outcome.state.diagnosis}
    assert outcome.state.result("userinfo").status == "error"


def test_an_unknown_experiment_is_one_clear_error():
    with pytest.raises(InputError, match="unknown experiment 'nope'"):
        experiment("nope")
