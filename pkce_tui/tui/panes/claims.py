"""The claims pane: ID and access token decoded, with every validation check."""

from __future__ import annotations

import json

from rich.console import RenderableType
from rich.text import Text

from pkce_tui.core.flow import FlowState
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.panes.base import Copyable, StepPane


class ClaimsPane(StepPane):
    """ID token and access token: header, payload, times, and every validation check."""

    STEPS = ("id_token", "access_token")
    LABEL = "7 claims"

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        data = result.data
        parts: list[RenderableType] = []
        for name in ("header", "payload"):
            if data.get(name):
                parts += [Text(name, style="bold underline"),
                          render.fields_table(data[name].items())]
        if data.get("times"):
            parts += [Text("times", style="bold underline"), times_view(data["times"])]
        if data.get("checks"):
            parts += [Text("checks", style="bold underline"), render.checks_view(data["checks"])]
        return parts

    def own_values(self, state: FlowState) -> list[Copyable]:
        values = []
        for step, token in (("id_token", "ID token"), ("access_token", "access token")):
            result = state.result(step)
            for part in ("payload", "header"):
                decoded = result.data.get(part) if result else None
                if decoded:
                    name = "claims" if part == "payload" else "header"
                    values.append(Copyable(f"the {token} {name}", json.dumps(decoded, indent=2)))
        return values


def times_view(times) -> RenderableType:
    """The token's times as the core formatted them (dates with relative age)."""
    if isinstance(times, dict):
        return render.fields_table(times.items())
    return render.fields_table((str(i), t) for i, t in enumerate(times))
