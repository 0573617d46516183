"""Screens over the flow: the profile picker and form, the run comparison, the copy list."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from pkce_tui.core import profiles
from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.flow import FlowConfig, FlowState, masked_view
from pkce_tui.core.profiles import Profile
from pkce_tui.tui import render
from pkce_tui.tui.panes import Copyable, split_params

#: The form's text fields in order, each with the label shown next to it.
TEXT_FIELDS = (
    ("name", "name"), ("issuer", "issuer"), ("tenant_url", "tenant URL"),
    ("app_id", "app id"), ("base_url", "base URL"), ("env_id", "environment id"),
    ("tenant", "tenant"), ("workspace", "workspace"), ("client_id", "client id"),
    ("client_secret", "client secret"), ("client_key", "client key file"),
    ("client_key_kid", "client key kid"), ("redirect_uri", "redirect URI"), ("scope", "scopes"),
    ("username", "username"), ("password", "password"),
    ("post_logout_redirect_uri", "post-logout URI"),
)
#: The optional protocol steps (DESIGN.md §3), each a checkbox: field, label.
SWITCH_FIELDS = (
    ("par", "PAR (RFC 9126)"), ("dpop", "DPoP (RFC 9449)"), ("introspect", "introspect"),
    ("revoke", "revoke"), ("logout", "logout"),
    ("allow_cross_origin_login", "cross-origin login"),
)
#: The form's choices: field, label, options.
CHOICE_FIELDS = (
    ("dialect", "dialect", profiles.DIALECTS),
    ("auth_method", "client auth", profiles.AUTH_METHODS),
    ("method", "PKCE method", ("S256", "plain", "none")),
    ("login", "login", ("auto", "api", "browser")),
)
SECRET_FIELDS = ("client_secret", "password")


class ProfilePicker(ModalScreen[tuple[FlowConfig, str] | None]):
    """Pick a profile to open (built-in sandbox clients first), or create and edit one."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close", tooltip="Back to the flow")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Profiles", classes="dialog-title")
            yield OptionList(id="profile-list")
            with Horizontal(classes="buttons"):
                yield Button("Open", id="open", variant="primary")
                yield Button("New", id="new")
                yield Button("Edit", id="edit")
                yield Button("Delete", id="delete", variant="error")

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        try:
            found = profiles.load_profiles()
        except PkceTuiError as exc:
            self.notify(str(exc), severity="error")
            found = profiles.builtin_profiles()
        self.found = found
        option_list.add_options(Option(profile_line(p), id=name) for name, p in found.items())
        option_list.highlighted = 0

    def selected(self) -> Profile | None:
        option_list = self.query_one(OptionList)
        if option_list.highlighted is None:
            return None
        return self.found[option_list.get_option_at_index(option_list.highlighted).id]

    @on(OptionList.OptionSelected)
    @on(Button.Pressed, "#open")
    def open_selected(self) -> None:
        profile = self.selected()
        if profile is None:
            return
        try:
            base_url = self.app.ensure_sandbox() if profile.sandbox else None
            config = FlowConfig(**profile.config_fields(base_url))
        except PkceTuiError as exc:
            self.notify(str(exc), severity="error")
            return
        profiles.remember_last(profile.name)
        self.dismiss((config, profile.name))

    @on(Button.Pressed, "#new")
    def new_profile(self) -> None:
        self.app.push_screen(ProfileForm(Profile(name="")), self.saved)

    @on(Button.Pressed, "#edit")
    def edit_profile(self) -> None:
        profile = self.selected()
        if profile is not None:
            self.app.push_screen(ProfileForm(profile), self.saved)

    @on(Button.Pressed, "#delete")
    def delete_profile(self) -> None:
        profile = self.selected()
        if profile is None:
            return
        try:
            profiles.delete_profile(profile.name)
        except PkceTuiError as exc:
            self.notify(str(exc), severity="error")
            return
        self.reload()

    def saved(self, profile: Profile | None) -> None:
        if profile is not None:
            self.reload()


def profile_line(profile: Profile) -> Text:
    """One line per profile that fits an 80-column picker: a built-in one's name already
    says its dialect, so it shows its client and "built-in"; long lines end in an ellipsis."""
    if profiles.is_builtin(profile.name):
        detail, origin = profile.client_id, "built-in"
    else:
        detail = f"{profile.dialect} · {profile.client_id}"
        origin = ("embedded sandbox" if profile.sandbox else
                  profile.issuer or profile.tenant_url or profile.base_url or "")
    line = Text.assemble(render.inert(profile.name, "bold"), render.inert(f"  {detail}  "),
                         render.inert(origin, "dim"))
    line.no_wrap, line.overflow = True, "ellipsis"
    return line


class ProfileForm(ModalScreen[Profile | None]):
    """Create or edit a profile; secrets are saved only when the box is ticked (0600 file)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", tooltip="Close without saving")]

    def __init__(self, profile: Profile) -> None:
        super().__init__()
        self.profile = profile

    def compose(self) -> ComposeResult:
        p = self.profile
        title = ("Built-in profile: save it under a new name to keep your changes"
                 if profiles.is_builtin(p.name) else "Profile")
        with VerticalScroll(id="dialog"):
            yield Label(title, classes="dialog-title")
            with Grid(id="profile-fields"):
                yield from self.text_row("name", "name")
                for name, label, options in CHOICE_FIELDS:
                    yield Label(label)
                    yield Select([(o, o) for o in options], value=getattr(p, name),
                                 allow_blank=False, id=name, compact=True)
                for name, label in TEXT_FIELDS[1:]:
                    yield from self.text_row(name, label)
                yield Label("extra parameters")
                yield Input(value="&".join(f"{k}={v}" for k, v in p.extra_params),
                            placeholder="k=v&k2=v2, sent on the authorize request",
                            id="extra_params", compact=True)
            with Horizontal(id="protocol-switches"):
                for name, label in SWITCH_FIELDS:
                    yield Checkbox(label, value=getattr(p, name), id=name, compact=True)
            yield Checkbox("save the client secret and password (0600 file)", id="with_secrets")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def text_row(self, name: str, label: str) -> ComposeResult:
        yield Label(label)
        yield Input(value=getattr(self.profile, name) or "", id=name, compact=True,
                    password=name in SECRET_FIELDS)

    def edited_profile(self) -> Profile:
        """The profile as the form shows it; what the form does not show is kept."""
        values = {name: self.query_one(f"#{name}", Input).value.strip() or None
                  for name, _ in TEXT_FIELDS}
        values["name"] = values["name"] or ""
        for name in ("client_id", "redirect_uri", "scope"):
            values[name] = values[name] or next(f.default for f in fields(Profile)
                                                if f.name == name)
        for name, _, _ in CHOICE_FIELDS:
            values[name] = self.query_one(f"#{name}", Select).value
        values["extra_params"] = split_params(self.query_one("#extra_params", Input).value)
        for name, _ in SWITCH_FIELDS:
            values[name] = self.query_one(f"#{name}", Checkbox).value
        return replace(self.profile, **values)

    @on(Button.Pressed, "#save")
    def save(self) -> None:
        profile = self.edited_profile()
        with_secrets = self.query_one("#with_secrets", Checkbox).value
        try:
            path = profiles.save_profile(profile, with_secrets=with_secrets)
        except PkceTuiError as exc:
            self.notify(str(exc), severity="error")
            return
        secrets_note = " (with its secrets, 0600)" if with_secrets else " (no secrets written)"
        self.notify(f"saved {profile.name} to {path}{secrets_note}")
        self.dismiss(profile)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class CompareScreen(ModalScreen[None]):
    """The previous attempt next to this one, step by step: status and one-line summary."""

    BINDINGS = [Binding("escape,f8", "dismiss(None)", "Close", tooltip="Back to the flow"),
                Binding("f2", "app.reveal", "Reveal", tooltip="Show or mask codes and tokens")]

    def __init__(self, previous: FlowState, current: FlowState) -> None:
        super().__init__()
        self.previous = previous
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Label("Previous run ↔ this run", classes="dialog-title")
            yield DataTable(id="compare", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("step", width=STEP_WIDTH)
        table.add_column("previous run", width=RUN_WIDTH)
        table.add_column("this run", width=RUN_WIDTH)
        self.watch(self.app, "reveal", self.fill)

    def fill(self, reveal: bool = False) -> None:
        """Both runs' summaries, their codes and tokens masked unless F2 reveals them."""
        table = self.query_one(DataTable)
        table.clear()
        shown = (lambda state: state) if reveal else masked_view
        before, now = shown(self.previous), shown(self.current)
        for step in self.current.steps:
            previous = run_cell(before, step, as_ended=True)
            current = run_cell(now, step, as_ended=False)
            changed = previous.plain != current.plain
            table.add_row(Text(step, style="bold yellow" if changed else ""), previous, current)


STEP_WIDTH, RUN_WIDTH = 12, 43  # with cell padding, the wide dialog's 104 columns


def run_cell(state: FlowState, step: str, *, as_ended: bool) -> Text:
    """A step's status and summary; `as_ended` ignores staleness, for a run kept in history."""
    result = state.result(step)
    if result is None:
        return render.status_text("pending", "")
    status = result.status if as_ended else state.status(step)
    text = render.status_text(status, result.summary)
    text.truncate(RUN_WIDTH, overflow="ellipsis")
    return text


class CopyPicker(ModalScreen[Copyable | None]):
    """Which of the focused pane's values F3 copies; Enter takes the first, the pane's own."""

    BINDINGS = [Binding("escape,f3", "dismiss(None)", "Close", tooltip="Copy nothing")]

    def __init__(self, values: list[Copyable]) -> None:
        super().__init__()
        self.values = values

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Label("Copy which value?", classes="dialog-title")
            yield OptionList(*(copy_line(value) for value in self.values))

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.values[event.option_index])


def copy_line(value: Copyable) -> Text:
    """The value's label and the start of its first line, as it will be copied (the app masks
    secrets before offering them)."""
    shown = value.text
    preview = shown.strip().splitlines()[0] if shown.strip() else ""
    line = Text.assemble(render.inert(value.label, "bold"), "  ", render.inert(preview, "dim"))
    line.truncate(COPY_LINE_WIDTH, overflow="ellipsis")
    return line


COPY_LINE_WIDTH = 100


class SpentCodeChoice(ModalScreen[str | None]):
    """Replaying the token step would send a code the server already took: offer a fresh one.

    RFC 6749 §4.1.2: a code is used once; a second use fails (and should revoke the tokens
    issued from it), so the useful replay starts at authorize. Sending it again stays possible:
    it is the replay experiment.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Close", tooltip="Replay nothing")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("This code was already redeemed", classes="dialog-title")
            yield Label("A server accepts an authorization code once (RFC 6749 §4.1.2): sending "
                        "it again fails with invalid_grant. Replay from authorize to get a fresh "
                        "code, or send the spent one to see the refusal.")
            with Horizontal(classes="buttons"):
                yield Button("Replay from authorize", id="authorize", variant="primary")
                yield Button("Send it again", id="token")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#authorize", Button).focus()

    @on(Button.Pressed)
    def chosen(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "cancel" else event.button.id)


class HarPathDialog(ModalScreen[str | None]):
    """Ask for the path of a HAR file to open; Enter opens it, escape closes."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", tooltip="Open nothing")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Label("Open a HAR file (a browser's network export)", classes="dialog-title")
            yield Input(placeholder="path to the .har file, Enter opens it", id="har-path")
            with Horizontal(classes="buttons"):
                yield Button("Open", id="open", variant="primary")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted, "#har-path")
    @on(Button.Pressed, "#open")
    def chosen(self) -> None:
        path = self.query_one("#har-path", Input).value.strip()
        if path:
            self.dismiss(str(Path(path).expanduser()))

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)
