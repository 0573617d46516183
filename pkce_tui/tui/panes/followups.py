"""The follow-ups pane: userinfo (and CyberArk's whoami), a refresh_token grant, and the
optional introspection, revocation and logout."""

from __future__ import annotations

import json

from rich.console import RenderableType
from rich.text import Text

from pkce_tui.core.flow import FlowState
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.panes.base import Copyable, StepPane, http_details


class FollowupsPane(StepPane):
    """What the tokens are good for: userinfo, one refresh_token grant, and when asked for,
    introspection, revocation and logout."""

    STEPS = ("userinfo", "refresh", "introspection", "revocation", "logout")
    LABEL = "8 follow-ups"

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        if result.name == "userinfo":
            claims, whoami = result.data.get("claims"), result.data.get("whoami")
            parts = [render.fields_table(claims.items())] if claims else http_details(
                result, reveal=reveal)
            if whoami:  # CyberArk's /Security/Whoami with the same access token
                parts += [Text("whoami", style="bold underline"), whoami_view(whoami)]
            return parts
        rows = [(k, v) for k, v in result.data.items() if k != "problems" and v is not None]
        return [render.fields_table(rows)] + (http_details(result, reveal=reveal)
                                              if result.status != "ok" else [])

    def own_values(self, state: FlowState) -> list[Copyable]:
        result = state.result("userinfo")
        claims = result.data.get("claims") if result else None
        return [Copyable("the userinfo claims", json.dumps(claims, indent=2))] if claims else []


def whoami_view(whoami: dict) -> RenderableType:
    """CyberArk's answer as sent: `success`, then its `Result` fields, else the message."""
    result = whoami.get("Result")
    rows = [(k, v) for k, v in whoami.items() if k != "Result" and v not in (None, "")]
    if isinstance(result, dict):
        rows += list(result.items())
    return render.fields_table(rows)
