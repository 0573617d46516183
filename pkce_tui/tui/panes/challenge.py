"""The challenge pane: S256 or plain with every intermediate value (RFC 7636 §4.2)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Select

from pkce_tui.core.flow import FlowState
from pkce_tui.core.pkce import make_challenge
from pkce_tui.tui import render
from pkce_tui.tui.panes.base import Copyable, StepPane, diagnoses_for, live_verifier


class ChallengePane(StepPane):
    """S256 or plain, with the intermediate values, recomputed as the verifier changes."""

    STEPS = ("challenge",)
    LABEL = "3 challenge"
    CONFIG_FIELDS = ("verifier", "method")
    METHODS = (("S256", "S256"), ("plain", "plain"), ("none (no PKCE)", "none"))

    def compose_inputs(self) -> ComposeResult:
        """The method chooser, showing the flow's method from the start: a Select announces
        its first value as a change, which must not be taken for the user's choice."""
        flow = getattr(self.app, "flow", None)
        method = flow.config.method if flow is not None else "S256"
        yield Select(self.METHODS, allow_blank=False, value=method, id="method", compact=True)

    def show(self, state: FlowState, *, reveal: bool, running: str | None) -> None:
        method = self.query_one("#method", Select)
        if method.value != state.config.method:
            with self.prevent(Select.Changed):
                method.value = state.config.method
        super().show(state, reveal=reveal, running=running)

    def body(self, state: FlowState, *, reveal: bool) -> RenderableType:
        return Group(*live_challenge(state), *diagnoses_for(state, self.STEPS),
                     *sent_challenge(state))

    @on(Select.Changed, "#method")
    def method_chosen(self, event: Select.Changed) -> None:
        self.post_message(self.Edited({"method": event.value}))

    def own_values(self, state: FlowState) -> list[Copyable]:
        verifier = live_verifier(state)
        if not verifier or state.config.method == "none":
            return []
        derived = make_challenge(verifier, state.config.method)
        values = [Copyable("the code_challenge", derived.code_challenge),
                  Copyable("the verifier's ASCII bytes (hex)", derived.verifier_bytes_hex)]
        if derived.sha256_hex:
            values.append(Copyable("the SHA-256 digest (hex)", derived.sha256_hex))
        return values


def live_challenge(state: FlowState) -> list:
    """The challenge of the verifier as it is now (RFC 7636 §4.2), every value in between."""
    verifier, method = live_verifier(state), state.config.method
    if method == "none":
        return [Text("PKCE off: no code_challenge is sent (RFC 7636 §4.3 makes it "
                     "REQUIRED for public clients in practice)", style="yellow")]
    if not verifier:
        return [Text("waiting for a verifier", style="dim")]
    derived = make_challenge(verifier, method)
    rows = [("ASCII bytes", derived.verifier_bytes_hex)]
    if derived.sha256_hex:
        rows.append(("SHA-256", derived.sha256_hex))
    rows.append(("code_challenge", Text(derived.code_challenge, style="bold green")))
    return [render.fields_table(rows)]


def sent_challenge(state: FlowState) -> list:
    """The challenge the authorize request actually carried, when it differs now."""
    result = state.result("challenge")
    if result is None or "challenge" not in state.stale:
        return []
    sent = result.data.get("code_challenge", "—")
    return [render.status_text("stale", f"sent at authorize: {sent}")]
