"""Why a flow failed: the server's answer read against everything the flow knows.

Rules are grouped by the step they read (discovery, authorize and login, token, tokens) and
name causes, not error codes: the server's structured words first (`core/server_says.py`),
then its free text, then what the flow sent. Ids are a public vocabulary (DESIGN.md §6): add
new ones, never rename one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis import (
    authorize,
    discovery,
    dpop,
    followups,
    par,
    steps,
    tenant,
    token,
    tokens,
)
from pkce_tui.core.diagnosis.model import Diagnosis, Rule

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState

__all__ = ["Diagnosis", "diagnose"]

_SEVERITY = {"error": 0, "warning": 1, "info": 2}
_RULES: tuple[Rule, ...] = (
    steps.network_rules, tenant.rules, discovery.discovery_rules, steps.verifier_rules,
    authorize.authorize_rules, steps.client_rules, authorize.login_rules,
    authorize.redirect_rules, token.token_rules, tokens.jwt_rules, par.par_rules,
    dpop.dpop_rules, followups.followup_rules, discovery.probe_rules,
)


def diagnose(state: FlowState) -> tuple[Diagnosis, ...]:
    """Every diagnosis the current results support, in step order, each id once: where two
    rules name the same id, the graver finding is kept (a refused malformed verifier at the
    token step outranks the verifier step's warning)."""
    found: dict[str, Diagnosis] = {}
    for rule in _RULES:
        for diagnosis in rule(state):
            kept = found.get(diagnosis.id)
            if kept is None or _SEVERITY[diagnosis.severity] < _SEVERITY[kept.severity]:
                found[diagnosis.id] = diagnosis
    return tuple(found.values())
