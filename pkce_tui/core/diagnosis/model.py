"""A diagnosis (one likely cause, DESIGN.md §3 DIAG), and what every rule reads of a flow."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pkce_tui.core.server_says import ServerSays, from_params, from_response

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState
    from pkce_tui.core.step_result import StepResult

RETRY = "retry; if it persists, look at the server's logs"


@dataclass(frozen=True)
class Diagnosis:
    """One likely cause: a stable id, the step it concerns, how bad, what happened, the fix."""

    id: str
    step: str
    severity: str
    summary: str
    fix: str

    def to_json(self) -> dict:
        return {"id": self.id, "step": self.step, "severity": self.severity,
                "summary": self.summary, "fix": self.fix}


Rule = Callable[["FlowState"], Iterator[Diagnosis]]


def failed(state: FlowState, step: str) -> StepResult | None:
    """`step`'s result when it failed, else None."""
    result = state.result(step)
    return result if result is not None and result.status == "error" else None


def said(result: StepResult | None) -> ServerSays | None:
    """The server's words on a step: kept by the step, else read from its response, else (a
    redirect) from the authorization response's parameters."""
    if result is None:
        return None
    if result.server_says is not None:
        return result.server_says
    words = from_response(result.response)
    if words is None and result.name == "redirect":
        params = result.data.get("params") or {
            name: result.data[name] for name in ("error", "error_description")
            if result.data.get(name)}
        words = from_params(params)
    described = result.data.get("error_description")
    if words is not None and not words.error_description and described:
        words = replace(words, error_description=str(described))
    return words
