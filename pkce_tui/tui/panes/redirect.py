"""The login / redirect pane: how the code comes back (API login, loopback, paste)."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Select, Static

from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.flow import FlowState
from pkce_tui.core.redaction import mask, redact
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.panes.base import Copyable, StepPane


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
        """The paste box and its button, composed only in paste mode (a TextArea is costly,
        and so is importing it: the app's start-up does not)."""
        from textual.widgets import TextArea

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
        return self.query_one("#paste").text if self.query("#paste") else ""

    def show(self, state: FlowState, *, reveal: bool, running: str | None) -> None:
        super().show(state, reveal=reveal, running=running)
        if reveal != getattr(self, "_preview_reveal", reveal) and self.query("#paste-preview"):
            self.show_preview(reveal)
        self._preview_reveal = reveal

    def show_preview(self, reveal: bool) -> None:
        """What the paste holds, its code masked unless F2 reveals it (DESIGN.md §4)."""
        self.query_one("#paste-preview", Static).update(
            paste_preview(self.pasted_text(), reveal=reveal))

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        if result.name == "login":
            return login_details(result)
        return redirect_details(result)

    @on(Select.Changed, "#login-mode")
    def mode_chosen(self, event: Select.Changed) -> None:
        self.show_paste(event.value == "paste")
        self.post_message(self.ModeChosen(str(event.value)))

    def on_text_area_changed(self, event) -> None:
        """The paste box changed (TextArea.Changed: the class is imported with the box)."""
        if event.text_area.id == "paste":
            self.show_preview(bool(getattr(self.app, "reveal", False)))

    @on(Button.Pressed, "#use-paste")
    def use_paste(self) -> None:
        self.post_message(self.PasteUsed(self.query_one("#paste").text))

    def own_values(self, state: FlowState) -> list[Copyable]:
        result = state.result("redirect")
        data = result.data if result else {}
        found = [Copyable("the authorization code", data.get("code"), secret=True),
                 Copyable("the state", data.get("state")),
                 Copyable("the redirect URL", data.get("redirect_url"))]
        return [value for value in found if value.text]


def paste_preview(text: str, *, reveal: bool = False) -> Text:
    """What the core finds in the pasted text, before the step uses it; the code (and any
    secret an error quotes) masked unless `reveal`."""
    if not text.strip():
        return Text("")
    # Loaded on the first paste: the HTML5 tokenizer adds ~40 ms to start-up.
    from pkce_tui.core.redirect import parse_redirect

    try:
        parsed = parse_redirect(text)
    except PkceTuiError as exc:
        return render.inert(f"✘ {redact(str(exc), reveal=reveal)}", "bold red")
    if parsed.code:
        code = parsed.code if reveal else mask(parsed.code)
        return render.inert(f"found code {code} ({parsed.source})", "green")
    return Text(f"no code found: {parsed.kind}", style="yellow")


LOGIN_MODES = {"api": "the provider's login API", "form": "the provider's HTML login form",
               "browser": "a browser (loopback listener or pasted)",
               "har": "a browser, as its HAR export recorded it"}
SOURCES = {"url": "a redirect URL", "location": "the Location header",
           "html_anchor": "the page's <a href> anchor", "meta_refresh": "a meta refresh",
           "form_post": "a form_post form"}


def login_details(result: StepResult) -> list:
    """How the login went and the raw page or URL the server sent back."""
    mode = result.data.get("mode")
    rows = [("via", LOGIN_MODES.get(mode, mode))]
    if result.data.get("hops"):  # a HAR's login: each browser request, in order
        rows.append(("hops", " → ".join(result.data["hops"])))
    parts: list[RenderableType] = [render.fields_table(rows)]
    raw = result.data.get("raw") or (result.response.body if result.response else None)
    if raw:
        parts += [Text("raw answer", style="bold underline"),
                  render.inert(raw, "dim", multiline=True)]
    return parts


def anchor_view(href: str) -> Text:
    return Text.assemble(('<a href="', "dim"), render.inert(href, "underline"), ('">', "dim"))


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
    parts += [render.inert(f"! {warning}", "yellow") for warning in data.get("warnings", [])]
    return parts
