"""The flow map: a compact sequence diagram of the flow (F9), one arrow per exchange.

Three lifelines (user agent, client, authorization server) and the core's `EXCHANGES` in
order; each arrow shows its step's status, the next step to run is marked, a failed one is
red. Selecting an arrow closes the map and focuses that step's pane.
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

from pkce_tui.core.flow import FlowState
from pkce_tui.core.sequence import EXCHANGES, PARTIES, Exchange

COLUMNS = {"user agent": 5, "client": 27, "authorization server": 52}
WIDTH = 66
STATUS_STYLE = {"ok": "green", "warning": "yellow", "error": "bold red", "stale": "dim",
                "pending": "", "skipped": "dim"}
STATUS_MARK = {"ok": "✔", "warning": "!", "error": "✘", "stale": "~", "pending": "·",
               "skipped": "–"}


class FlowMap(ModalScreen[str | None]):
    """The sequence of the flow; Enter on an arrow focuses its pane, F10 runs the next step."""

    BINDINGS = [Binding("escape,f9", "dismiss(None)", "Close", tooltip="Back to the flow"),
                Binding("f10", "step", "Step", tooltip="Run the next step, the map stays")]

    def __init__(self, state: FlowState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Label("Flow map: Enter focuses a step's pane, F10 steps", classes="dialog-title")
            yield Label(lifeline_header(), id="map-header")
            yield OptionList(id="flow-map")

    def on_mount(self) -> None:
        self.show_state(self.state)

    def show_state(self, state: FlowState) -> None:
        """Redraw the arrows for `state`, the next step highlighted."""
        self.state = state
        options = self.query_one(OptionList)
        current = state.next_step()
        options.clear_options()
        options.add_options(Option(arrow(e, state.status(e.step), e.step == current), id=e.step)
                            for e in EXCHANGES)
        steps = [e.step for e in EXCHANGES]
        failed = [s for s in steps if state.status(s) == "error"]
        focus = failed[0] if failed else current or steps[-1]
        options.highlighted = steps.index(focus)

    def action_step(self) -> None:
        self.app.action_run_next()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


def lifeline_header() -> Text:
    line = [" "] * WIDTH
    for party in PARTIES:
        start = max(0, COLUMNS[party] - len(party) // 2)
        line[start:start + len(party)] = party
    return Text("".join(line)[:WIDTH], style="bold")


def arrow(exchange: Exchange, status: str, current: bool) -> Text:
    """One row: the lifelines as │, an arrow from sender to receiver with the step's label."""
    cells = [" "] * WIDTH
    for party in PARTIES:
        cells[COLUMNS[party]] = "│"
    left, right = sorted((COLUMNS[exchange.sender], COLUMNS[exchange.receiver]))
    if left == right:  # inside the client
        body = f"↺ {exchange.step}"
        cells[left + 1:left + 1 + len(body)] = body
    else:
        for x in range(left + 1, right):
            cells[x] = "─"
        head = "▶" if COLUMNS[exchange.receiver] == right else "◀"
        cells[right - 1 if head == "▶" else left + 1] = head
        name = f" {exchange.step} "
        middle = left + (right - left - len(name)) // 2
        cells[middle:middle + len(name)] = name
    mark = STATUS_MARK.get(status, "?")
    row = Text(f"{'▸' if current else ' '}{mark} ", style="bold" if current else "")
    row.append("".join(cells), style=STATUS_STYLE.get(status, ""))
    row.append(f"\n   {exchange.label} · {status}", style="dim")
    if current:
        row.stylize("reverse", 0, 2)
    return row
