"""The verifier pane: the code_verifier, editable and checked as typed (RFC 7636 §4.1)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from pkce_tui.core.flow import FlowState
from pkce_tui.core.inert import visible
from pkce_tui.core.pkce import generate_verifier, verifier_entropy_bits, verifier_problems
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.panes.base import Copyable, StepPane, live_verifier, update_in_place


class VerifierPane(StepPane):
    """The code_verifier, editable, validated as typed (RFC 7636 §4.1)."""

    STEPS = ("verifier",)
    LABEL = "2 verifier"
    CONFIG_FIELDS = ("verifier",)

    def compose_inputs(self) -> ComposeResult:
        yield Input(placeholder="empty: generated when the step runs", id="verifier-input",
                    compact=True)
        with Horizontal(classes="row"):
            yield Button("Regenerate", id="regenerate", compact=True)
            yield Static(id="verifier-check")

    def show(self, state: FlowState, *, reveal: bool, running: str | None) -> None:
        super().show(state, reveal=reveal, running=running)
        verifier = live_verifier(state) or ""
        value = visible(verifier)
        field = self.query_one("#verifier-input", Input)
        if field.value != value:
            with self.prevent(Input.Changed):
                field.value = value
        update_in_place(self.query_one("#verifier-check", Static), verifier_check(verifier))

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        return []

    @on(Input.Changed, "#verifier-input")
    def typed(self, event: Input.Changed) -> None:
        # Handled now, not posted: a posted message reaches the app a few hops later, after the
        # frame that shows the typed key, so the challenge would lag one frame behind.
        self.app.apply_edit(self.Edited({"verifier": event.value or None}))

    @on(Button.Pressed, "#regenerate")
    def regenerate(self) -> None:
        self.post_message(self.Edited({"verifier": generate_verifier()}))

    def own_values(self, state: FlowState) -> list[Copyable]:
        value = live_verifier(state)
        return [Copyable("the code_verifier", value, secret=True)] if value else []


def verifier_check(value: str) -> Text:
    """Length, validity with the failing position, and entropy of a typed verifier."""
    if not value:
        return Text("a fresh 64-character verifier will be generated", style="dim")
    problems = verifier_problems(value)
    entropy = f"{len(value)} chars, {verifier_entropy_bits(value)} bits"
    if problems:
        return render.inert(f"✘ {'; '.join(problems)} ({entropy})", "bold red")
    return Text(f"✔ valid: {entropy}", style="green")
