"""The token pane: the token request as sent, the response as received, overrides."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input

from pkce_tui.core.flow import FlowState
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.panes.base import (
    Copyable,
    StepPane,
    http_details,
    labelled_inputs,
    show_inputs,
)


class TokenPane(StepPane):
    """The token request as sent and the response as received; inputs overridable."""

    STEPS = ("token",)
    LABEL = "6 token"
    OVERRIDES = ("code", "code_verifier", "redirect_uri")

    def compose_inputs(self) -> ComposeResult:
        yield from labelled_inputs("override", self.OVERRIDES, "(flow's) Enter sets")

    def show(self, state: FlowState, *, reveal: bool, running: str | None) -> None:
        show_inputs(self, "override", self.OVERRIDES, state.overrides)
        super().show(state, reveal=reveal, running=running)

    @on(Input.Submitted, ".override")
    def override(self, event: Input.Submitted) -> None:
        name = event.input.id.removeprefix("override-")
        self.post_message(self.Overridden({name: event.value.strip() or None}))

    def details_key(self, state: FlowState, result: StepResult) -> tuple:
        return tuple(state.overrides.active())  # the names it lists as overridden

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        active = state.overrides.active()
        parts = [Text(f"overridden: {', '.join(active)}", style="bold magenta")] if active else []
        return parts + assertion_view(result) + dpop_view(result) + http_details(
            result, reveal=reveal)

    def own_values(self, state: FlowState) -> list[Copyable]:
        parsed = state.value("token")
        tokens = parsed.tokens if parsed is not None else {}
        return [Copyable(f"the {name.replace('_', ' ')}", tokens[name], secret=True)
                for name in ("access_token", "id_token", "refresh_token") if tokens.get(name)]


def assertion_view(result: StepResult) -> list:
    """The private_key_jwt assertion decoded (RFC 7523 §3): header and claims, never the
    signed value itself, which is masked with the request."""
    shown = result.data.get("client_assertion")
    if not shown:
        return []
    rows = [("header", shown.get("header")), *(shown.get("payload") or {}).items()]
    return [Text("client assertion (private_key_jwt)", style="bold underline"),
            render.fields_table(rows)]


def dpop_view(result: StepResult) -> list:
    """The DPoP proof sent (RFC 9449 §4.2), the nonce the server asked for, the binding."""
    proof = result.data.get("dpop")
    if not proof:
        return []
    rows = [("header", proof.get("header")), *(proof.get("payload") or {}).items()]
    if result.data.get("dpop_nonce"):
        rows.append(("DPoP-Nonce answered", result.data["dpop_nonce"]))
    binding = result.data.get("dpop_binding") or {}
    if binding:
        rows.append(("binding", binding.get("detail")))
    return [Text("DPoP proof", style="bold underline"), render.fields_table(rows)]
