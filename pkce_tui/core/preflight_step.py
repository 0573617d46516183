"""The discovery step's pre-flight: the checks `pkce-tui check` makes, in the flow itself.

Once the endpoints are known (discovered, a dialect's template, or given), the authorization
URL the flow would open is requested once, cookie-less, its redirect not followed
(`preflight_runner.probe_authorize`), so an unknown client, an unregistered redirect_uri or a
wrong tenant path is named before any browser opens. The probe never stops the flow: a refusal
makes the discovery step a warning and its diagnoses join the flow's, and the flow goes on to
authorize as before.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pkce_tui.core.checks import Check
from pkce_tui.core.errors import InputError
from pkce_tui.core.preflight import PROBE_CHECK, discovery_summary
from pkce_tui.core.preflight_runner import ProbeOutcome, probe_authorize
from pkce_tui.core.step_result import StepResult

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowConfig
    from pkce_tui.core.runner import FlowRunner


async def with_authorize_probe(result: StepResult, config: FlowConfig,
                               runner: FlowRunner) -> StepResult:
    """`result` (a discovery step that found endpoints) with the probe's check added to its
    `checks`, its diagnoses under `preflight_diagnosis` and its exchange, labelled."""
    outcome = await _probe(config, runner, result.value)
    data = {**result.data, "checks": [*result.data.get("checks", []), outcome.check.to_json()],
            "preflight_diagnosis": [d.to_json() for d in outcome.diagnosis]}
    exchanges = result.exchanges + ((outcome.exchange,) if outcome.exchange else ())
    if outcome.check.ok is not False:
        return replace(result, data=data, exchanges=exchanges)
    return replace(result, status="warning", data=data, exchanges=exchanges,
                   summary=discovery_summary(result.summary, [outcome.check.to_json()]))


async def _probe(config: FlowConfig, runner: FlowRunner, endpoints) -> ProbeOutcome:
    """The probe through a client of its own, closed at once: no cookie comes or goes."""
    try:
        async with runner.probe_client(config) as client:
            return await probe_authorize(client, config, endpoints)
    except InputError as exc:  # the authorize step says the same, where it belongs
        return ProbeOutcome(Check(PROBE_CHECK, None, f"not probed: {exc}"))
