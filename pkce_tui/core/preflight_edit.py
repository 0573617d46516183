"""What an edit of the configuration does to the discovery step's pre-flight checks.

The discovery step checks the configuration against the published metadata (scope, PKCE
method, client authentication method) and probes the authorization request the flow would send
(client_id, redirect_uri, scope, extra parameters, PKCE method). Those fields are first read by
later steps, so an edit does not make the discovery step stale, but its checks would then
judge a configuration no longer in use: a client_id already corrected would still be named
unknown. The metadata checks are made again against the document already read (no request);
the probe cannot be, so its check says so and its findings are withdrawn until discovery runs
again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pkce_tui.core import preflight
from pkce_tui.core.checks import Check

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowConfig
    from pkce_tui.core.step_result import StepResult

#: The fields the metadata checks read besides the issuer (`preflight.metadata_checks`).
METADATA_FIELDS = frozenset({"scope", "method", "auth_method"})
#: What the authorize probe sends from the configuration (`preflight_runner.probe_authorize`);
#: its own verifier, state and nonce cannot turn an acceptance into a refusal.
PROBE_FIELDS = frozenset({"client_id", "redirect_uri", "scope", "extra_params", "method"})
#: Every field edited after discovery that its checks read.
READ_BY_CHECKS = METADATA_FIELDS | PROBE_FIELDS


def rechecked(result: StepResult, config: FlowConfig, edited: set[str]) -> StepResult:
    """`result` (the discovery step) with its checks judged against `config` after `edited`."""
    checks = result.data.get("checks")
    if not isinstance(checks, list) or not edited & READ_BY_CHECKS:
        return result
    document = result.response.json() if result.response is not None else None
    if edited & METADATA_FIELDS and isinstance(document, dict):
        fresh = {c.name: c.to_json() for c in preflight.metadata_checks(config, document)}
        checks = [fresh.get(c.get("name"), c) if isinstance(c, dict) else c for c in checks]
    data = {**result.data, "checks": checks}
    probed = edited & PROBE_FIELDS
    if probed and any(_is_probe(c) for c in checks):
        data["checks"] = [_not_probed_again(probed) if _is_probe(c) else c for c in checks]
        data["preflight_diagnosis"] = []
    failed = any(isinstance(c, dict) and c.get("ok") is False for c in data["checks"])
    found = result.summary.split("; ", 1)[0]  # what was found, before what the checks said
    return replace(result, data=data, status="warning" if failed else "ok",
                   summary=preflight.discovery_summary(found, data["checks"]))


def _is_probe(check: object) -> bool:
    return isinstance(check, dict) and check.get("name") == preflight.PROBE_CHECK


def _not_probed_again(fields: set[str]) -> dict:
    names = " and ".join(sorted(fields))
    return Check(preflight.PROBE_CHECK, None, f"not probed again since {names} changed: run "
                 "the discovery step again to probe the edited request").to_json()
