"""One pane per step of the flow; each renders from the app's FlowState and posts edits.

Panes hold no protocol logic: values come from the state the core computed, and the live
challenge is the core's `make_challenge` called as the user types.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import (
    Button,
    DataTable,
    Input,
    Label,
    LoadingIndicator,
    Select,
    Static,
    TextArea,
)

from pkce_tui.core.authorize import NAMED_PARAMS, AuthorizeRequest
from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.flow import FlowState
from pkce_tui.core.pkce import (
    generate_verifier,
    make_challenge,
    verifier_entropy_bits,
    verifier_problems,
)
from pkce_tui.core.redaction import to_curl
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.explain import EXPLANATIONS

#: Steps whose response bodies carry tokens.
TOKEN_STEPS = ("token", "refresh")
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
        self.border_title = f"{self.LABEL} · {status}"
        # one batch: each class change restyles the pane and everything in it
        self.update_classes({f"-{name}": name == status for name in STATUS_RANK})
        body = self.query_one(".body", Static)
        if status == "running" and not self.query(".spinner"):
            self.mount(LoadingIndicator(classes="spinner"), before=body)
        update_in_place(body, self.body(state, reveal=reveal))

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
        results = tuple((state.status(s), id(state.result(s))) for s in self.STEPS)
        return (results, config, state.overrides, state.diagnosis, reveal, running)

    def pane_status(self, state: FlowState, running: str | None) -> str:
        """The most telling status of the pane's steps (an error beats a stale beats ok)."""
        if running in self.STEPS:
            return "running"
        statuses = [state.status(step) for step in self.STEPS]
        return min(statuses, key=STATUS_RANK.index)

    def body(self, state: FlowState, *, reveal: bool) -> RenderableType:
        parts: list[RenderableType] = []
        for step in self.STEPS:
            parts += step_header(state, step)
            parts += diagnoses_for(state, (step,))
            result = state.result(step)
            if result is not None:
                parts += self.details(state, result, reveal=reveal)
        return Group(*parts)

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        return [render.fields_table(present(result.data))] if result.data else []

    def copy_values(self, state: FlowState, *, reveal: bool) -> list[Copyable]:
        """What F3 offers to copy from this pane: its own values, then each exchange's."""
        return [*self.own_values(state), *exchange_values(state, self.STEPS, reveal=reveal)]

    def own_values(self, state: FlowState) -> list[Copyable]:
        """The values this pane is about, the one F3 copies first."""
        return []


class Copyable(NamedTuple):
    """A value F3 can copy; a secret one is masked in the list until revealed."""

    label: str
    text: str
    secret: bool = False


def exchange_values(state: FlowState, steps: tuple[str, ...], *, reveal: bool) -> list[Copyable]:
    """Each step's HTTP request as curl (masked unless revealed) and its response body."""
    values = []
    for step in steps:
        result = state.result(step)
        if result is None:
            continue
        if result.request is not None:
            values.append(Copyable(f"the {step} request as curl",
                                   to_curl(result.request, reveal=reveal)))
        if result.response is not None and result.response.body:
            values.append(Copyable(f"the {step} response body", result.response.body,
                                   secret=step in TOKEN_STEPS))
    return values


def update_in_place(widget: Static, content: RenderableType) -> None:
    """Replace a Static's content; lay the screen out again only when its height changed.

    A layout pass reflows every pane, so typing (same number of lines) only repaints.
    """
    height, width = widget.content_size.height, widget.content_size.width
    widget.update(content, layout=False)
    if not width or widget.get_content_height(widget.size, widget.app.size, width) != height:
        widget.refresh(layout=True)


def show_value(field: Input, value: str | None) -> None:
    """Show the state's `value` in `field`, unless the user is typing there."""
    if field.value != (value or "") and not field.has_focus:
        with field.prevent(Input.Changed):
            field.value = value or ""


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
    result = state.result("verifier")
    return result.data.get("code_verifier") if result else None


class DiscoveryPane(StepPane):
    """The target and its endpoints (OIDC Discovery or the dialect's template)."""

    STEPS = ("discovery",)
    LABEL = "1 discovery"
    CONFIG_FIELDS = ("dialect", "issuer", "tenant_url", "base_url", "client_id")
    TARGET_FIELDS = ("issuer", "client_id")

    def compose_inputs(self) -> ComposeResult:
        for name in self.TARGET_FIELDS:
            with Horizontal(classes="labelled"):
                yield Label(name)
                yield Input(placeholder="Enter applies", id=f"target-{name}", compact=True,
                            classes="target")

    def show(self, state: FlowState, *, reveal: bool, running: str | None) -> None:
        for name in self.TARGET_FIELDS:
            show_value(self.query_one(f"#target-{name}", Input), getattr(state.config, name))
        super().show(state, reveal=reveal, running=running)

    @on(Input.Submitted, ".target")
    def retarget(self, event: Input.Submitted) -> None:
        """A new issuer or client id: discovery (or authorize) and every later step go stale."""
        name = event.input.id.removeprefix("target-")
        value = event.value.strip()
        if name == "client_id" and not value:
            self.notify("a client_id is required", severity="warning")
            return
        self.post_message(self.Edited({name: value or None}))

    def body(self, state: FlowState, *, reveal: bool) -> RenderableType:
        """The dialect, and the tenant the dialect's endpoints are built from when there is one
        (issuer and client id are in the inputs above)."""
        config = state.config
        tenant = config.tenant_url or config.base_url
        rows = [("dialect", config.dialect), *([("tenant", tenant)] if tenant else [])]
        return Group(render.fields_table(rows), super().body(state, reveal=reveal))

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        """The endpoints, the pre-flight checks the core made against the published
        metadata, then the HTTP exchange."""
        endpoints = {k: v for k, v in result.data.items() if k != "checks"}
        checks = result.data.get("checks") or []
        shown = [Text("pre-flight checks", style="bold underline"),
                 render.checks_view(checks)] if checks else []
        return [render.fields_table(present(endpoints)), *shown,
                *http_details(result, reveal=reveal)]

    def own_values(self, state: FlowState) -> list[Copyable]:
        endpoints = state.value("discovery")
        if endpoints is None:
            return []
        return [Copyable("the endpoints", json.dumps(state.result("discovery").data, indent=2)),
                Copyable("the issuer", endpoints.issuer)]


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
        value = live_verifier(state) or ""
        field = self.query_one("#verifier-input", Input)
        if field.value != value:
            with self.prevent(Input.Changed):
                field.value = value
        update_in_place(self.query_one("#verifier-check", Static), verifier_check(value))

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
        return [Copyable("the code_verifier", value)] if value else []


def verifier_check(value: str) -> Text:
    """Length, validity with the failing position, and entropy of a typed verifier."""
    if not value:
        return Text("a fresh 64-character verifier will be generated", style="dim")
    problems = verifier_problems(value)
    entropy = f"{len(value)} chars, {verifier_entropy_bits(value)} bits"
    if problems:
        return Text(f"✘ {'; '.join(problems)} ({entropy})", style="bold red")
    return Text(f"✔ valid: {entropy}", style="green")


class ChallengePane(StepPane):
    """S256 or plain, with the intermediate values, recomputed as the verifier changes."""

    STEPS = ("challenge",)
    LABEL = "3 challenge"
    CONFIG_FIELDS = ("verifier", "method")
    METHODS = (("S256", "S256"), ("plain", "plain"), ("none (no PKCE)", "none"))

    def compose_inputs(self) -> ComposeResult:
        yield Select(self.METHODS, allow_blank=False, value="S256", id="method", compact=True)

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


class AuthorizePane(StepPane):
    """The authorization URL and a table of every parameter it carries; editable, live.

    Before the step runs (or when it is stale) the table is the request the step would build
    now, made by the core from the config and the live challenge; after, what was sent.
    """

    STEPS = ("authorize",)
    LABEL = "4 authorize"
    CONFIG_FIELDS = ("client_id", "redirect_uri", "scope", "state", "nonce", "extra_params",
                     "verifier", "method", "authorize_endpoint")
    #: Table rows that are configuration fields; the others are derived or extra.
    FIELD_OF_PARAM = {"client_id": "client_id", "redirect_uri": "redirect_uri",
                      "scope": "scope", "state": "state", "nonce": "nonce"}

    def compose_inputs(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Input(placeholder="name=value, Enter: set (a new name adds an extra one)",
                        id="param-edit", compact=True)
            yield Button("Remove", id="remove-param", compact=True)
            yield Button("Open", id="open-browser", compact=True)
        yield DataTable(id="params", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#params", DataTable).add_columns(("parameter", "name"),
                                                         ("value", "value"))

    def show(self, state: FlowState, *, reveal: bool, running: str | None) -> None:
        self.show_params(authorize_params(state))
        super().show(state, reveal=reveal, running=running)

    def show_params(self, params: list[tuple[str, Text]]) -> None:
        """Change only the cells that changed: typing a verifier rewrites one challenge cell."""
        table = self.query_one("#params", DataTable)
        names = [name for name, _ in params]
        if [key.value for key in table.rows] != names:
            table.clear()
            for name, value in params:
                table.add_row(name, value, key=name)
            return
        for name, value in params:
            if str(table.get_cell(name, "value")) != str(value):
                table.update_cell(name, "value", value)

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        url = result.data.get("url", "")
        return [Text(url, style="underline")] if url and url != result.summary else []

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


def fresh_result(state: FlowState, step: str) -> StepResult | None:
    """The step's result when it ran and is not stale: what was actually sent."""
    return state.result(step) if state.status(step) not in ("stale", "pending") else None


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
        return [(name, Text(str(value))) for name, value in result.data["params"].items()]
    config = state.config
    try:
        params = dict(preview_request(state).params())
    except PkceTuiError as exc:
        return [("error", Text(str(exc), style="bold red"))]
    pending = {"state": "(fresh when the step runs)",
               "nonce": "(fresh when the step runs)" if "openid" in config.scope.split()
               else None}
    if config.method != "none" and "code_challenge" not in params:
        pending["code_challenge"] = "(from the verifier when the step runs)"
        pending["code_challenge_method"] = config.method
    rows = []
    for name in (*NAMED_PARAMS, *(n for n, _ in config.extra_params)):
        if name in params:
            rows.append((name, Text(params[name])))
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
            Text(url, style="underline")]


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


class RedirectPane(StepPane):
    """How the code comes back: API login, a loopback listener, or a pasted URL or page."""

    STEPS = ("login", "redirect")
    LABEL = "5 login / redirect"
    MODES = (("username/password (login API or form)", "api"),
             ("loopback listener + browser", "loopback"),
             ("paste a URL or page", "paste"))

    class ModeChosen(Message):
        def __init__(self, mode: str) -> None:
            super().__init__()
            self.mode = mode

    class PasteUsed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def compose_inputs(self) -> ComposeResult:
        mode = getattr(self.app, "redirect_mode", "api")
        yield Select(self.MODES, allow_blank=False, value=mode, id="login-mode", compact=True)
        if mode == "paste":
            yield from self.compose_paste()

    def compose_paste(self) -> ComposeResult:
        """The paste box and its button, composed only in paste mode (a TextArea is costly)."""
        yield TextArea(id="paste", soft_wrap=True, show_line_numbers=False)
        with Horizontal(classes="row", id="paste-row"):
            yield Button("Use pasted", id="use-paste", compact=True)
            yield Static(id="paste-preview")

    def set_mode(self, mode: str) -> None:
        select = self.query_one("#login-mode", Select)
        if select.value != mode:
            with self.prevent(Select.Changed):
                select.value = mode
        self.show_paste(mode == "paste")

    def show_paste(self, shown: bool) -> None:
        if shown and not self.query("#paste"):
            self.mount_compose(self.compose_paste(), after=self.query_one("#login-mode"))
        self.set_class(shown, "-paste")

    def pasted_text(self) -> str:
        return self.query_one("#paste", TextArea).text if self.query("#paste") else ""

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        if result.name == "login":
            return login_details(result)
        return redirect_details(result)

    @on(Select.Changed, "#login-mode")
    def mode_chosen(self, event: Select.Changed) -> None:
        self.show_paste(event.value == "paste")
        self.post_message(self.ModeChosen(str(event.value)))

    @on(TextArea.Changed, "#paste")
    def pasted(self, event: TextArea.Changed) -> None:
        self.query_one("#paste-preview", Static).update(paste_preview(event.text_area.text))

    @on(Button.Pressed, "#use-paste")
    def use_paste(self) -> None:
        self.post_message(self.PasteUsed(self.query_one("#paste", TextArea).text))

    def own_values(self, state: FlowState) -> list[Copyable]:
        result = state.result("redirect")
        data = result.data if result else {}
        found = [("the authorization code", data.get("code")), ("the state", data.get("state")),
                 ("the redirect URL", data.get("redirect_url"))]
        return [Copyable(label, text) for label, text in found if text]


def paste_preview(text: str) -> Text:
    """What the core finds in the pasted text, before the step uses it."""
    if not text.strip():
        return Text("")
    # Loaded on the first paste: the HTML5 tokenizer adds ~40 ms to start-up.
    from pkce_tui.core.redirect import parse_redirect

    try:
        parsed = parse_redirect(text)
    except PkceTuiError as exc:
        return Text(f"✘ {exc}", style="bold red")
    if parsed.code:
        return Text(f"found code {parsed.code} ({parsed.source})", style="green")
    return Text(f"no code found: {parsed.kind}", style="yellow")


LOGIN_MODES = {"api": "the provider's login API", "form": "the provider's HTML login form",
               "browser": "a browser (loopback listener or pasted)"}
SOURCES = {"url": "a redirect URL", "location": "the Location header",
           "html_anchor": "the page's <a href> anchor", "meta_refresh": "a meta refresh",
           "form_post": "a form_post form"}


def login_details(result: StepResult) -> list:
    """How the login went and the raw page or URL the server sent back."""
    mode = result.data.get("mode")
    parts: list[RenderableType] = [render.fields_table([("via", LOGIN_MODES.get(mode, mode))])]
    raw = result.data.get("raw") or (result.response.body if result.response else None)
    if raw:
        parts += [Text("raw answer", style="bold underline"), Text(raw, style="dim")]
    return parts


def anchor_view(href: str) -> Text:
    return Text.assemble(('<a href="', "dim"), (href, "underline"), ('">', "dim"))


def redirect_details(result: StepResult) -> list:
    """Where the code was found, the link of an "Object moved" page sent beside a Location
    header (the core's `page_link`) and whether they agree, then code, state, iss, checks."""
    data = result.data
    source, url, anchor = data.get("source"), data.get("redirect_url"), data.get("page_link")
    parts: list[RenderableType] = []
    if source:
        parts.append(render.fields_table([("found in", SOURCES.get(source, source))]))
    if source == "html_anchor" and url:
        parts += [Text("anchor found", style="bold underline"), anchor_view(url)]
    elif url:
        parts.append(render.fields_table([("redirect_url", url)]))
    if anchor and source != "html_anchor":
        agrees = ("✔ same URL as the Location header", "green") if anchor == url else (
            "✘ differs from the Location header", "bold red")
        parts += [Text("anchor found in the page", style="bold underline"), anchor_view(anchor),
                  Text(*agrees)]
    rows = [(name, data.get(name)) for name in ("code", "state", "iss", "error",
                                                 "error_description") if data.get(name)]
    parts.append(render.fields_table(rows))
    if data.get("checks"):
        parts.append(render.checks_view(data["checks"]))
    parts += [Text(f"! {warning}", style="yellow") for warning in data.get("warnings", [])]
    return parts


class TokenPane(StepPane):
    """The token request as sent and the response as received; inputs overridable."""

    STEPS = ("token",)
    LABEL = "6 token"
    OVERRIDES = (("code", "override code"), ("code_verifier", "override code_verifier"),
                 ("redirect_uri", "override redirect_uri"))

    def compose_inputs(self) -> ComposeResult:
        for name, placeholder in self.OVERRIDES:
            yield Input(placeholder=f"{placeholder} (Enter applies, empty: the flow's)",
                        id=f"override-{name}", compact=True, classes="override")

    def show(self, state: FlowState, *, reveal: bool, running: str | None) -> None:
        for name, _ in self.OVERRIDES:
            show_value(self.query_one(f"#override-{name}", Input), getattr(state.overrides, name))
        super().show(state, reveal=reveal, running=running)

    @on(Input.Submitted, ".override")
    def override(self, event: Input.Submitted) -> None:
        name = event.input.id.removeprefix("override-")
        self.post_message(self.Overridden({name: event.value.strip() or None}))

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        active = state.overrides.active()
        parts = [Text(f"overridden: {', '.join(active)}", style="bold magenta")] if active else []
        return parts + http_details(result, reveal=reveal)

    def own_values(self, state: FlowState) -> list[Copyable]:
        parsed = state.value("token")
        tokens = parsed.tokens if parsed is not None else {}
        return [Copyable(f"the {name.replace('_', ' ')}", tokens[name], secret=True)
                for name in ("access_token", "id_token", "refresh_token") if tokens.get(name)]


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


class FollowupsPane(StepPane):
    """What the tokens are good for: userinfo, then one refresh_token grant."""

    STEPS = ("userinfo", "refresh")
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
                                              if result.status == "error" else [])

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


PANES: tuple[type[StepPane], ...] = (DiscoveryPane, VerifierPane, ChallengePane, AuthorizePane,
                                     RedirectPane, TokenPane, ClaimsPane, FollowupsPane)
PANE_IDS = ("discovery", "verifier", "challenge", "authorize", "redirect", "token", "claims",
            "followups")
