"""The tamper lab in the TUI: the menu of experiments and the verdict over the panes.

The experiments and their evaluation are the core's (`pkce_tui.core.lab`); this module only
lists them and shows an outcome.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from pkce_tui.core.lab import EXPERIMENTS, LabOutcome
from pkce_tui.tui import render


class LabMenu(ModalScreen[str | None]):
    """Pick an experiment (F7); each runs against the embedded sandbox."""

    BINDINGS = [Binding("escape,f7", "dismiss(None)", "Close", tooltip="Back to the flow")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Label("Tamper lab: attack the sandbox and see what protects the user",
                        classes="dialog-title")
            yield OptionList(*(Option(menu_line(e.title, e.attack), id=e.id)
                               for e in EXPERIMENTS), id="lab-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


def menu_line(title: str, attack: str) -> Text:
    return Text.assemble((title, "bold"), "\n  ", (attack, "dim"))


def verdict_view(outcome: LabOutcome, *, reveal: bool = False) -> Text:
    """The experiment, what happened (the run's own words, inert, its secrets masked unless
    `reveal`), and the rule with its RFC."""
    e = outcome.experiment
    mark, style = ("✔ protected", "bold green") if outcome.blocked else ("✘ not protected",
                                                                        "bold red")
    lesson = "as the lesson expects" if outcome.as_expected else "NOT what the lesson expects"
    text = Text.assemble(("lab · ", "bold"), (e.title, "bold"), "  ", (mark, style),
                         (f" ({lesson})", "dim"), "\n")
    verdict = outcome.verdict if reveal else outcome.state.redactor().text(outcome.verdict)
    text.append_text(render.inert(verdict))
    text.append("\n")
    text.append_text(render.inert(f"why: {e.rule}", "italic"))
    return text
