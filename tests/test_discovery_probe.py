"""The discovery step's authorize probe (the pre-flight `pkce-tui check` makes), in the flow:
its check and diagnoses are part of the discovery step's result in `flow --json`, its exchange
is in the transcript under a label, it runs for dialect templates as well, it never stops a flow
that would succeed, and no cookie it gets reaches the flow's client."""

from __future__ import annotations

import pytest
from conftest import LOOPBACK
from test_integration_sandbox import diagnosis_ids, flow, steps

from pkce_tui.core.client import new_client
from pkce_tui.core.flow import FlowConfig, new_flow
from pkce_tui.core.preflight_runner import PROBE_LABEL
from pkce_tui.core.runner import FlowRunner

CALLBACK = f"http://{LOOPBACK}:8765/callback"


def probes(document: dict) -> list[dict]:
    return [entry for entry in document["transcript"] if PROBE_LABEL in entry["labels"]]


def authorize_check(step: dict) -> dict:
    return next(check for check in step["checks"] if check["name"] == "authorize")


def test_flow_json_carries_the_probes_verdict_on_an_unknown_client(sandbox):
    code, document = flow(sandbox.base_url, "cyberark", client="nobody")
    discovery = steps(document)["discovery"]
    assert code == 1 and discovery["status"] == "warning"
    assert authorize_check(discovery)["ok"] is False
    assert "unknown client_id 'nobody'" in authorize_check(discovery)["detail"]
    assert [d["id"] for d in discovery["preflight_diagnosis"]] == ["unknown_client"]
    assert "unknown_client" in diagnosis_ids(document)
    # the probe went first, labelled, and the flow still went on to log in as before
    assert document["transcript"][0]["labels"] == [PROBE_LABEL]
    assert document["transcript"][0]["response"]["status"] == 400
    assert steps(document)["login"]["status"] == "error"


@pytest.mark.parametrize("dialect", ["cyberark", "pingone"])
def test_an_accepted_probe_passes_and_adds_one_labelled_exchange(sandbox, dialect):
    code, document = flow(sandbox.base_url, dialect)
    discovery = steps(document)["discovery"]
    assert (code, document["ok"], document["diagnosis"]) == (0, True, [])
    assert discovery["status"] == "ok" and discovery["preflight_diagnosis"] == []
    assert authorize_check(discovery)["ok"] is True
    assert len(probes(document)) == 1
    assert probes(document)[0]["request"]["url"].split("?")[0] == \
        discovery["authorization_endpoint"]


def test_an_unregistered_redirect_uri_is_named_before_the_login(sandbox):
    code, document = flow(sandbox.base_url, "pingone", "--redirect-uri",
                          f"http://{LOOPBACK}:8765/elsewhere")
    discovery = steps(document)["discovery"]
    assert code == 1
    assert [d["id"] for d in discovery["preflight_diagnosis"]] == ["redirect_uri_not_registered"]
    assert "redirect_uri_not_registered" in diagnosis_ids(document)
    assert "verifier_mismatch" not in diagnosis_ids(document)


async def test_no_cookie_from_the_probe_reaches_the_flows_client(sandbox):
    """PingOne's authorize sets its flow cookie: the probe's stays in the probe's client."""
    config = FlowConfig(dialect="pingone", base_url=f"{sandbox.base_url}/pingone",
                        env_id="demo-env", client_id="demo-public", redirect_uri=CALLBACK,
                        username="alice", password="pass", timeout=5.0)
    async with new_client(timeout=5) as client:
        runner = FlowRunner(client)
        state = await runner.run_step(new_flow(config), "discovery")
        (probe,) = state.result("discovery").exchanges
        assert probe.response.header("Set-Cookie")
        assert not client.cookies.jar
        state = await runner.run_all(state)
    assert state.ok, state.to_json()


async def test_a_probe_with_pushed_requests_is_not_sent(sandbox):
    """With PAR the flow opens no plain authorization URL: there is nothing like it to probe."""
    config = FlowConfig(issuer=f"{sandbox.base_url}/generic", client_id="demo-par",
                        client_secret="demo-secret", auth_method="client_secret_basic",
                        redirect_uri=CALLBACK, par=True, timeout=5.0)
    async with new_client(timeout=5) as client:
        state = await FlowRunner(client).run_step(new_flow(config), "discovery")
    discovery = state.result("discovery")
    assert discovery.exchanges == () and discovery.status == "ok"
    assert discovery.data["checks"][-1]["ok"] is None
    assert "with PAR" in discovery.data["checks"][-1]["detail"]
