"""The authorize pane: the authorization URL and its parameters, editable and live."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.widgets import Button, DataTable, Input
from textual.widgets.data_table import ColumnKey, RowKey

from pkce_tui.core.authorize import NAMED_PARAMS, AuthorizeRequest
from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.flow import FlowState
from pkce_tui.core.pkce import make_challenge
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.panes.base import (
    Copyable,
    PaneInput,
    StepPane,
    fresh_result,
    http_details,
    live_verifier,
)


class ParamsTable(DataTable):
    """The parameters table, whose changed value repaints its own cell only.

    `DataTable.update_cell` repaints the whole table, and typing a verifier changes the
    challenge cell on every key. This sets the cell as `update_cell` does (Textual is pinned)
    and refreshes the region of that one cell.
    """

    def set_value(self, name: str, value: Text) -> None:
        row_key, column_key = RowKey(name), ColumnKey("value")
        self._data[row_key][column_key] = value
        self._update_count += 1  # the render caches are keyed on it
        self.refresh_coordinate(Coordinate(self.get_row_index(row_key),
                                           self.get_column_index(column_key)))


class AuthorizePane(StepPane):
    """The authorization URL and a table of every parameter it carries; editable, live.

    Before the step runs (or when it is stale) the table is the request the step would build
    now, made by the core from the config and the live challenge; after, what was sent.
    """

    STEPS = ("par", "authorize")  # the push (RFC 9126) only when the flow asks for it
    LABEL = "4 authorize"
    CONFIG_FIELDS = ("client_id", "redirect_uri", "scope", "state", "nonce", "extra_params",
                     "verifier", "method", "authorize_endpoint", "par")
    #: Table rows that are configuration fields; the others are derived or extra.
    FIELD_OF_PARAM = {"client_id": "client_id", "redirect_uri": "redirect_uri",
                      "scope": "scope", "state": "state", "nonce": "nonce"}
    _params: list[tuple[str, Text]] = []
    _lines: list[int] = []

    def compose_inputs(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield PaneInput(placeholder="name=value, Enter sets", id="param-edit", compact=True)
            yield Button("Remove", id="remove-param", compact=True)
            yield Button("Open", id="open-browser", compact=True)
        yield ParamsTable(id="params", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#params", DataTable)
        table.add_column("parameter", key="name")
        table.add_column("value", key="value", width=self.value_width())

    def value_width(self) -> int:
        """The value column fills the pane beside the longest name (`code_challenge_method`);
        longer values wrap onto more lines instead of running off the pane's edge."""
        return max(12, self.scrollable_content_region.width - len("code_challenge_method") - 5)

    def on_resize(self) -> None:
        table = self.query_one("#params", DataTable)
        column = table.columns.get(ColumnKey("value"))
        if column is not None and column.width != self.value_width():
            column.width = self.value_width()
            self.show_params(self._params, rebuild=True)

    def show(self, state: FlowState, *, reveal: bool, running: str | None) -> None:
        self.show_params(authorize_params(state))
        super().show(state, reveal=reveal, running=running)

    def show_params(self, params: list[tuple[str, Text]], *, rebuild: bool = False) -> None:
        """Change only the cells that changed: typing a verifier rewrites one challenge cell.

        Rows are as tall as their wrapped value; a value needing another number of lines
        rebuilds the table so every row gets its height again.
        """
        self._params = params
        table = self.query_one("#params", ParamsTable)
        width = table.columns[ColumnKey("value")].width
        lines = [-(-max(1, len(str(value))) // width) for _, value in params]
        names = [name for name, _ in params]
        if rebuild or [key.value for key in table.rows] != names or lines != self._lines:
            self._lines = lines
            row = table.cursor_row
            table.clear()
            for (name, value), height in zip(params, lines, strict=True):
                table.add_row(render.inert(name), value, key=name, height=height)
            table.move_cursor(row=min(row, len(params) - 1), animate=False)
            return
        for name, value in params:
            if str(table.get_cell(name, "value")) != str(value):
                table.set_value(name, value)

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        if result.name == "par":
            rows = [(k, result.data.get(k)) for k in ("request_uri", "expires_in")]
            return [render.fields_table([(k, v) for k, v in rows if v is not None]),
                    *http_details(result, reveal=reveal)]
        url = result.data.get("url", "")
        return [render.inert(url, "underline")] if url and url != result.summary else []

    def body(self, state: FlowState, *, reveal: bool) -> RenderableType:
        preview = [] if fresh_result(state, "authorize") else preview_url(state)
        return Group(*preview, super().body(state, reveal=reveal))

    @on(DataTable.RowSelected, "#params")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        name = event.row_key.value
        value = str(event.data_table.get_cell(event.row_key, "value"))
        field = self.query_one("#param-edit", Input)
        field.value = f"{name}={'' if value.startswith('(') else value}"
        field.focus()

    @on(Input.Submitted, "#param-edit")
    def param_submitted(self, event: Input.Submitted) -> None:
        name, _, value = event.value.partition("=")
        name, value = name.strip(), value.strip()
        if not name:
            return
        changes = param_edit(self.app.flow.config, name, value)
        if changes is None:
            self.notify(f"{name} is derived: change it in the verifier or challenge pane",
                        severity="warning")
            return
        self.post_message(self.Edited(changes))
        event.input.clear()

    @on(Button.Pressed, "#remove-param")
    def remove_param(self) -> None:
        table = self.query_one("#params", DataTable)
        if not table.row_count:
            return
        name = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        extras = self.app.flow.config.extra_params
        if name not in dict(extras):
            self.notify(f"{name} is not an extra parameter: edit it instead", severity="warning")
            return
        self.post_message(self.Edited({"extra_params": tuple(p for p in extras if p[0] != name)}))

    @on(Button.Pressed, "#open-browser")
    def open_url(self) -> None:
        found = self.own_values(self.app.flow)
        if not found:
            self.notify("no authorize URL yet: run the discovery step first", severity="warning")
            return
        self.app.open_in_browser(found[0].text)

    def own_values(self, state: FlowState) -> list[Copyable]:
        """The URL sent with its state and nonce, else the live preview of the URL."""
        result = fresh_result(state, "authorize")
        if result is not None and result.data.get("url"):
            sent = [("the authorize URL", result.data["url"]), ("the state", result.data["state"]),
                    ("the nonce", result.data.get("nonce"))]
            return [Copyable(label, text) for label, text in sent if text]
        try:
            request = preview_request(state)
        except PkceTuiError:
            return []
        return [Copyable("the authorize URL (preview)", request.url())] if request.endpoint else []


def preview_request(state: FlowState) -> AuthorizeRequest:
    """The request the authorize step would build now (the core's AuthorizeRequest).

    state and nonce are left out when the config has none: the step makes them fresh.
    """
    config, verifier = state.config, live_verifier(state)
    derived = (make_challenge(verifier, config.method)
               if verifier and config.method != "none" else None)
    discovered = state.value("discovery")
    endpoint = (discovered.authorization_endpoint if discovered else
                config.authorize_endpoint) or ""
    return AuthorizeRequest(
        endpoint=endpoint, client_id=config.client_id, redirect_uri=config.redirect_uri,
        scope=config.scope, state=config.state, nonce=config.nonce,
        code_challenge=derived.code_challenge if derived else None,
        code_challenge_method=derived.method if derived else None,
        extra=config.extra_params)


def authorize_params(state: FlowState) -> list[tuple[str, Text]]:
    """The table's rows: what was sent, or the live preview with placeholders for the rest."""
    result = fresh_result(state, "authorize")
    if result is not None and result.data.get("params"):
        return [(name, render.inert(str(value))) for name, value in result.data["params"].items()]
    config = state.config
    try:
        params = dict(preview_request(state).params())
    except PkceTuiError as exc:
        return [("error", render.inert(str(exc), "bold red"))]
    pending = {"state": "(fresh when the step runs)",
               "nonce": "(fresh when the step runs)" if "openid" in config.scope.split()
               else None}
    if config.method != "none" and "code_challenge" not in params:
        pending["code_challenge"] = "(from the verifier when the step runs)"
        pending["code_challenge_method"] = config.method
    rows = []
    for name in (*NAMED_PARAMS, *(n for n, _ in config.extra_params)):
        if name in params:
            rows.append((name, render.inert(params[name])))
        elif pending.get(name):
            rows.append((name, Text(pending[name], style="dim italic")))
    return rows


def preview_url(state: FlowState) -> list:
    """The URL the step would open now, when the endpoint is known."""
    try:
        request = preview_request(state)
        url = request.url() if request.endpoint else None
    except PkceTuiError:
        return []
    if url is None:
        return [Text("authorize endpoint: known after discovery", style="dim")]
    return [Text("preview (state and nonce are added when the step runs)", style="dim"),
            render.inert(url, "underline")]


def param_edit(config, name: str, value: str) -> dict | None:
    """The config change for `name=value` typed in the table's editor; None for derived ones.

    Named parameters map to their config field (an empty state or nonce: made fresh again);
    any other name is an extra parameter, replaced in place or added at the end.
    """
    if name in AuthorizePane.FIELD_OF_PARAM:
        field = AuthorizePane.FIELD_OF_PARAM[name]
        return {field: value or (None if field in ("state", "nonce") else "")}
    if name in NAMED_PARAMS:
        return None
    extras = dict(config.extra_params)
    extras[name] = value
    return {"extra_params": tuple(extras.items())}


def split_params(text: str) -> tuple[tuple[str, str], ...]:
    """`k=v&k2=v2` as typed by the user; a name without `=` gets an empty value."""
    pairs = []
    for item in filter(None, (part.strip() for part in text.split("&"))):
        name, _, value = item.partition("=")
        pairs.append((name.strip(), value.strip()))
    return tuple(pairs)
