"""What every pane shares: the bordered StepPane, copyable values, and the small
renderers several panes use."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.widgets import Input, Label, LoadingIndicator, Static

from pkce_tui.core.flow import FlowState
from pkce_tui.core.inert import visible
from pkce_tui.core.redaction import to_curl
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.explain import EXPLANATIONS

STATUS_RANK = ("error", "running", "stale", "warning", "pending", "ok", "skipped")


class StepPane(VerticalScroll, can_focus=True):
    """A bordered pane for one or more steps: title with status, explanation, body."""

    ALLOW_MAXIMIZE = True
    STEPS: tuple[str, ...] = ()
    LABEL = ""
    CONFIG_FIELDS: tuple[str, ...] | None = ()  # None: the whole config

    class Edited(Message):
        """The user changed configuration fields (FlowConfig names) in this pane."""

        def __init__(self, changes: dict) -> None:
            super().__init__()
            self.changes = changes

    class Overridden(Message):
        """The user set token-step overrides (TokenOverrides names); None clears one."""

        def __init__(self, overrides: dict) -> None:
            super().__init__()
            self.overrides = overrides

    def __init__(self, state: FlowState, *, id: str) -> None:
        # the first status class is set before mounting, so styling happens once at start-up
        super().__init__(id=id, classes=f"-{self.pane_status(state, None)}")
        self._frozen: dict[str, tuple] = {}  # by name: the source, the key, a Frozen

    def compose(self) -> ComposeResult:
        # the explanation and the spinner are mounted on first use: start-up pays per widget
        yield from self.compose_inputs()
        yield Static(classes="body")

    def compose_inputs(self) -> ComposeResult:
        yield from ()

    def show(self, state: FlowState, *, reveal: bool, running: str | None) -> None:
        """Re-render from `state` when what this pane shows changed (typing stays fast)."""
        signature = self.signature(state, reveal=reveal, running=running)
        if signature == getattr(self, "_shown", None):
            return
        self._shown = signature
        status = self.pane_status(state, running)
        title = f"{self.LABEL} · {status}"
        if title != self.border_title:  # setting it repaints the whole pane, even unchanged
            self.border_title = title
        self.show_status(status)
        body = self.query_one(".body", Static)
        if status == "running" and not self.query(".spinner"):
            self.mount(LoadingIndicator(classes="spinner"), before=body)
        update_in_place(body, self.body(state, reveal=reveal))

    def show_status(self, status: str) -> None:
        """Set the pane's status class (`-stale`, `-ok`…) and restyle what it styles.

        A class change restyles the pane and every widget in it (~3 ms a pane with inputs),
        and the first key typed after a run stales six panes at once. The status rules of
        app.tcss style the pane itself (border, title) and its spinner, nothing inherited, so
        only those are restyled; not the pane's scrollbars either, which draw with the
        pane's own styles.
        """
        classes = {f"-{name}": name == status for name in STATUS_RANK}
        if all(self.has_class(name) == wanted for name, wanted in classes.items()):
            return
        self.update_classes(classes, update=False)
        for node in (self, *self.query(".spinner")):
            self.app.stylesheet.apply(node, animate=True)

    def toggle_explanation(self) -> None:
        """Show or hide what the step does (F1), made on first use."""
        if not self.query(".explain"):
            self.mount(Static(EXPLANATIONS[self.id], classes="explain"), before=0)
        self.toggle_class("-explain")

    def signature(self, state: FlowState, *, reveal: bool, running: str | None) -> tuple:
        """Everything the pane's picture depends on: its steps, its config fields, the mode."""
        fields = self.CONFIG_FIELDS
        config = state.config if fields is None else tuple(getattr(state.config, f)
                                                           for f in fields)
        results = tuple((state.status(s), id(state.result(s))) for s in self.shown_steps(state))
        derived = live_verifier(state) if fields is None or "verifier" in fields else None
        return (results, config, derived, state.overrides, state.diagnosis, reveal, running)

    def pane_status(self, state: FlowState, running: str | None) -> str:
        """The most telling status of the pane's steps (an error beats a stale beats ok)."""
        if running in self.STEPS:
            return "running"
        statuses = [state.status(step) for step in self.shown_steps(state)]
        return min(statuses, key=STATUS_RANK.index)

    def shown_steps(self, state: FlowState) -> tuple[str, ...]:
        """The pane's steps this flow runs: optional ones only when asked for."""
        return tuple(step for step in self.STEPS if step in state.steps)

    def body(self, state: FlowState, *, reveal: bool) -> RenderableType:
        parts: list[RenderableType] = []
        for step in self.shown_steps(state):
            parts += step_header(state, step)
            parts += diagnoses_for(state, (step,))
            result = state.result(step)
            if result is not None:
                parts.append(self.frozen_details(state, result, reveal=reveal))
        return Group(*parts)

    def frozen_details(self, state: FlowState, result: StepResult, *,
                       reveal: bool) -> render.Frozen:
        """`details`, drawn once for this result, F2 and `details_key`: a re-render for the
        pane's status (stale as the user types) or its clock reuses the lines."""
        return self.frozen(result.name, result, (reveal, *self.details_key(state, result)),
                           lambda: self.details(state, result, reveal=reveal))

    def frozen(self, name: str, source: object, key: tuple,
               build: Callable[[], list]) -> render.Frozen:
        """The renderables `build` makes, kept as `name` while `source` (a step's result,
        compared by identity) and `key` stay the same, so their lines are drawn once."""
        held = self._frozen.get(name)
        if held is None or held[0] is not source or held[1] != key:
            held = self._frozen[name] = (source, key, render.Frozen(*build()))
        return held[2]

    def details_key(self, state: FlowState, result: StepResult) -> tuple:
        """What `details` reads besides the result and F2: none, unless a pane says so."""
        return ()

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        return [render.fields_table(present(result.data))] if result.data else []

    def copy_values(self, state: FlowState) -> list[Copyable]:
        """What F3 offers to copy from this pane: its own values, then each exchange's."""
        return [*self.own_values(state), *exchange_values(state, self.STEPS)]

    def own_values(self, state: FlowState) -> list[Copyable]:
        """The values this pane is about, the one F3 copies first."""
        return []


class PaneInput(Input):
    """A pane's one-row input: a key typed in it repaints it, nothing else.

    Textual's Input sets its virtual size (the width of its text) on every change, and that
    reactive lays out the whole screen again: ~3 ms with the panes' ~70 widgets, most of the
    frame a keystroke waits for. A pane's inputs have the size app.tcss gives them (one row,
    a width that is not `auto`), so the width of the text matters only to the input's own
    horizontal scrolling, which reads the virtual size itself.
    """

    virtual_size = Reactive(Size(0, 0), layout=False)

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        """Repaint the text scrolled to follow the cursor. Unlike Textual's ScrollView, leave
        the horizontal scrollbar alone: Input's is zero cells wide, never drawn, and a
        repainted widget that is not on the screen makes the next frame map every widget
        of the screen again."""
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)


class Copyable(NamedTuple):
    """A value F3 can copy, raw; copied without F2 it goes through the flow's redactor, and a
    `secret` one (a token, the verifier, the code) is masked whole."""

    label: str
    text: str
    secret: bool = False


def exchange_values(state: FlowState, steps: tuple[str, ...]) -> list[Copyable]:
    """Each step's HTTP request as curl and its response body; the app masks them when copied
    without F2 (`PkceTuiApp.shown_copies`)."""
    values = []
    for step in steps:
        result = state.result(step)
        if result is None:
            continue
        if result.request is not None:
            values.append(Copyable(f"the {step} request as curl",
                                   to_curl(result.request, reveal=True)))
        if result.response is not None and result.response.body:
            values.append(Copyable(f"the {step} response body", result.response.body))
    return values


def update_in_place(widget: Static, content: RenderableType) -> None:
    """Replace a Static's content; lay the screen out again only when its height changed.

    A layout pass reflows every pane, so typing (same number of lines) only repaints.
    """
    height, width = widget.content_size.height, widget.content_size.width
    widget.update(content, layout=False)
    if not width or widget.get_content_height(widget.size, widget.app.size, width) != height:
        widget.refresh(layout=True)


def labelled_inputs(kind: str, names: tuple[str, ...], placeholder: str) -> ComposeResult:
    """One compact input per field name, labelled with it, with id `kind-name` and class
    `kind`, so one Input.Submitted handler serves them all.

    The labels and inputs share one grid (app.tcss `.fields`), not a row container per field:
    start-up pays for every widget, and the panes' five fields had five containers.
    """
    with Grid(classes="fields"):
        for name in names:
            yield Label(name)
            yield PaneInput(placeholder=placeholder, id=f"{kind}-{name}", compact=True,
                            classes=kind)


def show_inputs(pane: StepPane, kind: str, names: tuple[str, ...], source: object) -> None:
    """Each `labelled_inputs` field of `pane` showing the same-named attribute of `source`."""
    for name in names:
        show_value(pane.query_one(f"#{kind}-{name}", Input), getattr(source, name))


def show_value(field: Input, value: str | None) -> None:
    """Show the state's `value` in `field` (inert: it may come from a file or a server),
    unless the user is typing there."""
    shown = visible(value or "")
    if field.value != shown and not field.has_focus:
        with field.prevent(Input.Changed):
            field.value = shown


def step_header(state: FlowState, step: str) -> list:
    result = state.result(step)
    summary = result.summary if result else "not run yet"
    lines: list[RenderableType] = [render.section(step)]
    lines.append(render.status_text(state.status(step), summary))
    if result is not None and result.error and result.error != result.summary:
        lines.append(render.error_view(result))
    if result is not None and result.server_says is not None:
        lines.append(render.server_says_view(result))
    return lines


def present(data: dict) -> list[tuple[str, object]]:
    """The fields that have a value; empty ones only take room in a small pane."""
    return [(name, value) for name, value in data.items() if value not in (None, "", [], {})]


def diagnoses_for(state: FlowState, steps: tuple[str, ...]) -> list:
    found = [d for d in state.diagnosis if d.step in steps]
    return [render.diagnosis_view(found)] if found else []


def http_details(result: StepResult, *, reveal: bool) -> list:
    """The step's request as sent and response as received, when it made one."""
    parts: list[RenderableType] = []
    if result.request is not None:
        parts += [Text("request", style="bold underline"),
                  render.request_view(result.request, reveal=reveal)]
    if result.response is not None:
        parts += [Text("response", style="bold underline"),
                  render.response_view(result.response, reveal=reveal)]
    return parts


def live_verifier(state: FlowState) -> str | None:
    """The verifier the next token request will use: typed, or generated by the step."""
    if state.config.verifier:
        return state.config.verifier
    if "verifier" in state.stale:  # cleared by the user: the next run generates a fresh one
        return None
    result = state.result("verifier")
    return result.data.get("code_verifier") if result else None


def fresh_result(state: FlowState, step: str) -> StepResult | None:
    """The step's result when it ran and is not stale: what was actually sent."""
    return state.result(step) if state.status(step) not in ("stale", "pending") else None
