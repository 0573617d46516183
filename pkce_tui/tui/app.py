"""The flow debugger: every step in its own pane, one FlowState as the source of truth.

The app keeps the current `FlowState` in one reactive. Panes render from it and post small
messages when the user edits; the app computes the next state with the core (`edit`,
`override_token`) and runs steps in an exclusive worker through `FlowRunner`.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.geometry import Size
from textual.reactive import var
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static
from textual.widgets._footer import FooterKey
from textual.worker import Worker, WorkerState

from pkce_tui.core.errors import InputError
from pkce_tui.core.flow import (
    FlowConfig,
    FlowState,
    edit,
    mark_stale,
    masked_view,
    new_flow,
    record,
)
from pkce_tui.core.flow import override_token as override_token_inputs
from pkce_tui.core.inert import visible
from pkce_tui.core.redaction import mask
from pkce_tui.tui.panes import PANE_IDS, PANES, Copyable, RedirectPane, StepPane

if TYPE_CHECKING:
    import httpx

    from pkce_tui.core.har import HarFlow
    from pkce_tui.core.profiles import Profile

ClientFactory = Callable[[FlowConfig], "httpx.AsyncClient"]
LISTEN_TIMEOUT_S = 300.0
PANE_ROWS = (("discovery", "verifier", "challenge"), ("authorize", "redirect"),
             ("token", "claims", "followups"))


def default_client(config: FlowConfig) -> httpx.AsyncClient:
    """The session's HTTP client; httpx loads on the first run, not at start-up."""
    from pkce_tui.core.client import new_client

    return new_client(insecure=config.insecure, timeout=config.timeout)


class MainScreen(Screen):
    """The default screen, styled once at start-up.

    Textual restyles every widget of a screen when it resumes, the first time too, though
    each widget was styled as it mounted and the focus styles followed the focus: with the
    panes' ~70 widgets that repeat was a quarter of the first frame's work. Later resumes
    (a dialog closed, the theme changed meanwhile) restyle as Textual does.
    """

    #: No focus as the screen is composed: the app's `on_mount` focuses the verifier (or its
    #: pane when read-only). Textual's default, the first focusable widget, moved the focus
    #: twice before the first frame, and each move restyles the rows and panes that grow with
    #: the focus.
    AUTO_FOCUS = ""

    _styled_once = False

    def _screen_resized(self, size: Size) -> None:
        """Lay the screen out again when its size changed, not for every Resize event.

        Textual sends the screen a Resize at start-up and another for the driver's own size
        report, both of the size the first frame was laid out for: each reflowed and repainted
        every pane while the demo's sandbox was starting (Textual is pinned).
        """
        if size != self._compositor.size:
            super()._screen_resized(size)

    def _update_focus_styles(self, focused: Widget | None = None,
                             blurred: Widget | None = None) -> None:
        """Restyle, for a focus change, only the nodes some rule styles by `:focus-within`.

        Textual restyles the whole subtree under the outermost ancestor with such a rule: for
        the verifier's input focused at start-up, its row of panes and every widget in them
        (~10 ms, before the first frame), and as much again for each focus moving between
        panes. A node's rules are known when it is styled (`_has_focus_within`), and what the
        `:focus-within` rules of app.tcss set (borders, titles, sizes) is inherited by no
        descendant, so the others would be styled the same again (Textual is pinned).
        """
        nodes: set[DOMNode] = set()
        for widget in (focused, blurred):
            top = next((node for node in reversed(widget.ancestors_with_self)
                        if node._has_focus_within), None) if widget is not None else None
            if top is not None:
                nodes.update(node for node in top.walk_children(with_self=True)
                             if node._has_focus_within)
        if nodes:
            self.app.stylesheet.update_nodes(nodes, animate=True)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._styled_once:
            self._styled_once = True
            event.refresh_styles = False
            # runs once this resume has drawn the first frame, before the screen settles
            self.call_next(self.app.first_frame_shown)


class PkceTuiApp(App):
    """Run, edit and replay an authorization code flow with PKCE, one pane per step."""

    CSS_PATH = "app.tcss"
    TITLE = "pkce-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("f10", "run_next", "Step", tooltip="Run the next step of the flow"),
        Binding("f5", "run_all", "Run all", tooltip="Run every remaining step"),
        Binding("ctrl+r", "replay", "Replay", tooltip="Replay from the focused pane's step"),
        Binding("f1", "explain", "Explain", tooltip="Show what this step does, with its RFC"),
        Binding("f2", "reveal", "Reveal", tooltip="Show or mask secrets and tokens"),
        Binding("f3", "copy", "Copy", tooltip="Copy a value from the focused pane"),
        Binding("f4", "maximize_pane", "Max", tooltip="Maximise or restore the focused pane "
                "(the current step's pane when none is focused)"),
        Binding("f6", "profiles", "Profiles", tooltip="Open, create or edit a profile"),
        Binding("f7", "lab", "Lab", tooltip="Tamper lab: attack the sandbox, see what protects"),
        Binding("ctrl+t", "jwt_workbench", "JWT", show=False,
                tooltip="JWT workbench: decode and validate any pasted token"),
        Binding("f9", "flow_map", "Map", tooltip="The flow as a sequence of exchanges; Enter "
                "focuses a step's pane"),
        Binding("f8", "compare", "Compare", tooltip="Compare this run with the previous one"),
        Binding("escape", "cancel", "Cancel", tooltip="Stop the running step"),
        Binding("ctrl+s", "save_session", "Save", show=False,
                tooltip="Save this flow as a session file (masked unless F2 reveals)"),
        Binding("ctrl+q", "quit", "Quit", tooltip="Leave pkce-tui"),
    ]
    #: Textual's own palette entries that ours replace (F4 maximises a pane, not a widget).
    REPLACED_SYSTEM_COMMANDS = ("Maximize", "Minimize", "Quit")

    # `var`, not `reactive`: the panes repaint what changed; an app repaint redraws the screen
    flow: var[FlowState] = var(new_flow(FlowConfig()), init=False)
    running: var[str | None] = var(None, bindings=True, init=False)
    reveal: var[bool] = var(False, init=False)
    sandbox_pending: var[bool] = var(False, bindings=True, init=False)

    def __init__(self, config: FlowConfig, *, client_factory: ClientFactory = default_client,
                 clock: Callable[[], float] = time.time, verifier: str | None = None,
                 state: str | None = None, nonce: str | None = None,
                 profile_name: str | None = None, redirect_mode: str | None = None,
                 sandbox_base_url: str | None = None,
                 open_browser: Callable[[str], object] | None = None,
                 pick_profile: bool = False, insecure: bool = False,
                 har: HarFlow | None = None, har_source: str = "") -> None:
        super().__init__()
        self.insecure = insecure
        fixed = {k: v for k, v in (("verifier", verifier), ("state", state), ("nonce", nonce)) if v}
        self.set_reactive(PkceTuiApp.flow, new_flow(self.session_config(replace(config, **fixed))))
        self.client_factory = client_factory
        self.clock = clock
        self.profile_name = profile_name
        self.sandbox_base_url = sandbox_base_url
        self.open_browser = open_browser or open_in_browser
        self.redirect_mode = redirect_mode or ("api" if config.login == "api" else "loopback")
        self.history: list[FlowState] = []
        self.owned_sandbox = None
        self.pick_profile = pick_profile
        self.paste_waiter: asyncio.Future[str] | None = None
        self.jwks_cache = None  # the flow's JWKS, kept from one run of steps to the next
        self.har, self.har_source = har, har_source
        self.saved: FlowState | None = None  # a saved session opened, read-only until replayed
        if har is not None:
            self.set_reactive(PkceTuiApp.flow, har.state)

    def notify(self, message: str, *, title: str = "", markup: bool = False, **kwargs) -> None:
        """Every notification as inert text: messages quote servers, pages and files, so
        control and bidi characters are escaped and square brackets are never markup."""
        super().notify(visible(message), title=visible(title), markup=False, **kwargs)

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        """Restyle `node` after a class change, unless it is not mounted yet.

        Widgets set classes as they are built (`compact=True` on an Input, Button or Select
        toggles one), and Textual restyles each at once, though registering the widget styles
        it again from scratch: at start-up that was a restyle per compact widget and per
        component class (an Input has four), all thrown away.
        """
        if node is self or node.is_attached:
            super().update_styles(node, animate)

    def get_default_screen(self) -> Screen:
        """The main screen with its width class already set: Textual sets it on the first
        resize, after mounting, and a class change on the screen restyles every widget."""
        width = self.size.width
        classes = [name for least, name in sorted(self.HORIZONTAL_BREAKPOINTS, reverse=True)
                   if width >= least][:1]
        return MainScreen(id="_default", classes=" ".join(classes))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("⚠ TLS certificate verification is OFF (--insecure): anyone on the path "
                     "can read and change this traffic", id="insecure")
        yield Static(id="har-marker")
        yield Static(id="lab-verdict")
        pane_classes = dict(zip(PANE_IDS, PANES, strict=True))
        with Vertical(id="panes"):  # rows of panes; the focused one's row and column grow (CSS)
            for row in PANE_ROWS:
                with Horizontal(classes="pane-row"):
                    for pane_id in row:
                        yield pane_classes[pane_id](self.flow, id=pane_id)
        yield KeysFooter()

    def on_load(self) -> None:
        """Pause the cyclic garbage collector until the first frame is shown.

        Building the screen allocates tens of thousands of objects; each collection it
        triggers walks every object alive, the imported modules included, and together they
        were a quarter of the first frame's CPU time. Nothing cyclic worth freeing is made
        before the first frame; the collector resumes right after it (and on exit).
        """
        if gc.isenabled():
            gc.disable()
            self._gc_paused = True

    def resume_gc(self) -> None:
        """Resume the collector; in a terminal, what start-up built is frozen first.

        The modules, the screen and its widgets live as long as the session, yet every full
        collection would walk them again, and the first collections after the pause would
        walk all of them at once: tens of milliseconds while the demo's sandbox starts or a
        key is handled. Frozen (`gc.freeze`), they are skipped until the app exits. Headless
        runs (tests: many apps in one process) freeze nothing, so earlier apps are freed.
        """
        if getattr(self, "_gc_paused", False):
            self._gc_paused = False
            if not self.is_headless:
                gc.freeze()
                self._gc_frozen = True
            gc.enable()

    def unfreeze_gc(self) -> None:
        if getattr(self, "_gc_frozen", False):
            self._gc_frozen = False
            gc.unfreeze()

    def on_mount(self) -> None:
        self.call_after_refresh(self.resume_gc)
        self.panes = list(self.query(StepPane))  # queried once: show_flow runs per keystroke
        self.query_one(RedirectPane).set_mode(self.redirect_mode)
        self.show_read_only()
        self.show_flow()
        if self.pick_profile:
            self.action_profiles()
        if self.har is not None:
            self.notify(har_opened(self.har, self.har_source), timeout=10)

    def first_frame_shown(self) -> None:
        """Start the demo's sandbox as soon as the first frame is on screen.

        After the first frame the screen settles (the parameters table measures its rows, a
        relayout follows); a callback after refresh waited for that, and so did the sandbox.
        """
        if self.sandbox_pending:
            self.start_sandbox()

    @classmethod
    def for_profile(cls, profile: Profile | None, *, insecure: bool = False) -> PkceTuiApp:
        """The app on `profile` (a built-in one starts the sandbox), or on the profile picker.

        `insecure` (`--insecure`) holds for every profile opened in this session.
        """
        if profile is None:
            return cls(FlowConfig(), pick_profile=True, insecure=insecure)
        app = cls(FlowConfig(), profile_name=profile.name, insecure=insecure)
        base_url = app.ensure_sandbox() if profile.sandbox else None
        config = app.session_config(FlowConfig(**profile.config_fields(base_url)))
        app.set_reactive(PkceTuiApp.flow, new_flow(config))
        app.redirect_mode = "api" if config.login == "api" else "loopback"
        return app

    @classmethod
    def for_file(cls, path: str, *, insecure: bool = False) -> PkceTuiApp:
        """`--open FILE`: a saved session (`flow --save`, ctrl+s) or a browser's HAR export,
        read-only until replayed; anything else is an InputError before the screen opens."""
        from pkce_tui.core.session import is_session_text, parse_session

        text = read_text(path)
        if not is_session_text(text):
            return cls.for_har(path, insecure=insecure)
        state = parse_session(text, path).state
        app = cls(state.config, insecure=insecure)
        app.set_reactive(PkceTuiApp.flow, state)
        app.saved, app.har_source = state, path
        return app

    @classmethod
    def for_har(cls, path: str, *, insecure: bool = False) -> PkceTuiApp:
        """The app on the flow rebuilt from the HAR file at `path`, read-only until replayed."""
        from pkce_tui.core.har import load_flow, looks_like_har

        text = read_text(path)
        if not looks_like_har(text):
            raise InputError(f"--open {path}: not a HAR file nor a saved session (a browser's "
                             "HAR 1.2 export is a JSON object with a log)")
        har = load_flow(text)
        return cls(har.state.config, insecure=insecure, har=har, har_source=path)

    def session_config(self, config: FlowConfig) -> FlowConfig:
        """`config` with this session's command-line choices (`--insecure`) applied."""
        return replace(config, insecure=True) if self.insecure else config

    # -- the one source of truth -------------------------------------------------------

    def watch_flow(self) -> None:
        self.show_flow()
        if hasattr(self.screen, "show_state"):  # the flow map follows the run (F9)
            self.screen.show_state(self.flow)
        self.refresh_bindings_if_changed()

    def watch_running(self) -> None:
        self.show_flow()

    def watch_reveal(self) -> None:
        self.show_flow()
        outcome = getattr(self, "lab_outcome", None)
        banner = self.query_one("#lab-verdict", Static)
        if outcome is not None and banner.display:
            from pkce_tui.tui.lab import verdict_view

            banner.update(verdict_view(outcome, reveal=self.reveal))

    def watch_sandbox_pending(self) -> None:
        self.show_flow()

    def show_flow(self) -> None:
        """Every pane re-renders from the current state; header and warning follow it."""
        config = self.flow.config
        source = (" · from HAR, read-only" if self.har is not None else
                  " · saved session, read-only" if self.saved is not None else "")
        target = "starting sandbox…" if self.sandbox_pending else target_of(config)
        self.sub_title = visible(f"{self.profile_name or config.dialect} · {target}{source}")
        self.query_one("#insecure").display = config.insecure
        shown = self.shown_flow()
        for pane in self.panes:
            pane.show(shown, reveal=self.reveal, running=self.running)

    def shown_flow(self) -> FlowState:
        """The flow as the panes show it: as it is after F2, else masked (`masked_view`),
        remade only when a result or the diagnosis changed, so typing stays fast and a pane
        repaints only when what it shows did."""
        if self.reveal or not self.flow.results:
            return self.flow
        key = (tuple(map(id, self.flow.results.values())), self.flow.diagnosis)
        if getattr(self, "_masked_key", None) != key:
            self._masked_key, self._masked = key, masked_view(self.flow)
        return replace(self.flow, results=self._masked.results,
                       diagnosis=self._masked.diagnosis)

    def refresh_bindings_if_changed(self) -> None:
        """Refresh the footer only when what it offers changed, not on every keystroke.

        `flow` is deliberately not `bindings=True`: a binding refresh recomposes the footer,
        which costs more than the rest of a keystroke together.
        """
        offered = tuple(self.check_action(b.action, ()) for b in self.BINDINGS)
        if offered != getattr(self, "_offered", None):
            self._offered = offered
            self.refresh_bindings()

    # -- a flow opened from a HAR: read-only until replayed ----------------------------

    @property
    def read_only(self) -> bool:
        """A flow rebuilt from a HAR shows what the browser recorded, a saved session what was
        saved; neither is edited."""
        return self.har is not None or self.saved is not None

    def show_read_only(self) -> None:
        """The "from HAR" marker, and every input of the panes disabled while read-only."""
        marker = self.query_one("#har-marker", Static)
        marker.display = self.read_only
        if self.har is not None:
            marker.update(Text(visible(har_marker(self.har, self.har_source))))
        elif self.saved is not None:
            marker.update(Text(visible(f"⛁ saved session {self.har_source} · read-only: ctrl+r "
                                       "replays it as an editable flow")))
        for widget in self.query("#panes Input, #panes Select, #panes TextArea, #panes Button"):
            widget.disabled = self.read_only
        focus = "#verifier" if self.read_only else "#verifier-input"
        self.query_one(focus).focus()

    def open_har(self, har: HarFlow, source: str) -> None:
        """Show a flow rebuilt from a HAR, read-only; the current run stays for F8."""
        self.action_cancel()
        self.remember(self.flow)
        self.har, self.har_source, self.profile_name = har, source, None
        self.flow = har.state
        self.show_read_only()
        self.refresh_bindings_if_changed()
        self.notify(har_opened(har, source), timeout=10)

    def replay_from_har(self) -> None:
        """Copy the HAR flow's configuration into an editable flow for the live tenant."""
        from pkce_tui.core.har import replay_config
        from pkce_tui.core.session import replayable_config

        self.remember(self.flow)
        if self.saved is not None:  # masked values (secret, password, verifier) to type again
            config, dropped = replayable_config(self.saved.config)
            what = "the saved session's configuration"
            if dropped:
                self.notify(f"masked in the file, to enter again: {', '.join(dropped)}",
                            severity="warning")
        else:
            config, what = replay_config(self.flow), "the HAR's configuration"
        self.har, self.har_source, self.saved = None, "", None
        self.redirect_mode = "api" if config.login == "api" else "loopback"
        self.query_one(RedirectPane).set_mode(self.redirect_mode)
        self.flow = new_flow(self.session_config(config))
        self.show_read_only()
        self.refresh_bindings_if_changed()
        self.notify(f"{what} is copied into an editable flow: F10 or F5 runs it against the "
                    "live tenant; F8 compares with the file's flow")

    def refuse_edit(self, changes: dict | None = None) -> bool:
        """True when the flow is read-only; said unless the edit changes nothing (a widget
        reporting the value it was given)."""
        unchanged = changes is not None and all(
            getattr(self.flow.config, name, None) == value for name, value in changes.items())
        if self.read_only and not unchanged:
            self.notify("read-only: this flow was opened from a file; ctrl+r replays it against "
                        "the live tenant as an editable flow", severity="warning")
        return self.read_only

    def action_open_har(self) -> None:
        from pkce_tui.tui.screens import HarPathDialog

        self.push_screen(HarPathDialog(), self.load_har_file)

    def load_har_file(self, path: str | None, flow_index: int | None = None) -> None:
        if path:
            self.run_worker(partial(self.read_har_file, path, flow_index), thread=True,
                            group="har", exclusive=True, exit_on_error=False)

    def read_har_file(self, path: str, flow_index: int | None = None) -> None:
        """Read and rebuild off the event loop: a HAR can be large."""
        from pkce_tui.core.errors import PkceTuiError
        from pkce_tui.core.har import load_flow

        try:
            har = load_flow(read_text(path), flow_index=flow_index)
        except PkceTuiError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.call_from_thread(self.open_har, har, path)

    @on(StepPane.Edited)
    def apply_edit(self, event: StepPane.Edited) -> None:
        if self.refuse_edit(event.changes):
            return
        self.flow = edit(self.flow, **event.changes)

    @on(StepPane.Overridden)
    def apply_override(self, event: StepPane.Overridden) -> None:
        if self.refuse_edit():
            return
        self.flow = override_token_inputs(self.flow, **event.overrides)
        self.notify(f"token step input overridden: {', '.join(event.overrides)}")

    @on(RedirectPane.ModeChosen)
    def choose_redirect_mode(self, event: RedirectPane.ModeChosen) -> None:
        if event.mode == self.redirect_mode or self.refuse_edit():
            return
        self.redirect_mode = event.mode
        self.flow = edit(self.flow, login="api" if event.mode == "api" else "browser")

    @on(RedirectPane.PasteUsed)
    def use_paste(self, event: RedirectPane.PasteUsed) -> None:
        if self.refuse_edit():
            return
        if self.paste_waiter is not None and not self.paste_waiter.done():
            self.paste_waiter.set_result(event.text)
            return
        start = "login" if self.flow.result("login") else None
        self.run_flow(start=start, stop_after="redirect")

    def load_config(self, config: FlowConfig, profile_name: str | None) -> None:
        """Start over on another target; the old run stays in the history for comparing."""
        self.action_cancel()  # a step still running belongs to the old target
        self.remember(self.flow)
        if self.read_only:
            self.har, self.har_source, self.saved = None, "", None
            self.show_read_only()
        self.profile_name = profile_name
        self.redirect_mode = "api" if config.login == "api" else "loopback"
        self.query_one(RedirectPane).set_mode(self.redirect_mode)
        self.query_one("#lab-verdict").display = False
        self.flow = new_flow(self.session_config(config))

    # -- the flow map and the tamper lab ----------------------------------------------------

    def action_flow_map(self) -> None:
        from pkce_tui.tui.flowmap import FlowMap

        self.push_screen(FlowMap(self.flow), self.focus_step)

    def action_jwt_workbench(self) -> None:
        """Open the JWT workbench, its JWKS URL and issuer taken from the flow when known."""
        from pkce_tui.tui.workbench import JwtWorkbench

        endpoints = self.flow.value("discovery")
        jwks = endpoints.jwks_uri if endpoints else self.flow.config.jwks_uri
        issuer = endpoints.issuer if endpoints else self.flow.config.issuer
        self.push_screen(JwtWorkbench(jwks, issuer))

    def focus_step(self, step: str | None) -> None:
        """Focus the pane that shows `step` (an arrow chosen on the flow map)."""
        pane = next((p for p in self.panes if step in p.STEPS), None)
        if pane is not None:
            pane.focus()
            pane.scroll_visible(animate=False)

    def action_lab(self) -> None:
        from pkce_tui.tui.lab import LabMenu

        self.push_screen(LabMenu(), self.lab_chosen)

    def lab_chosen(self, experiment_id: str | None) -> None:
        if experiment_id is not None:
            self.run_lab(experiment_id)

    @work(exclusive=True, group="flow", exit_on_error=False)
    async def run_lab(self, experiment_id: str) -> None:
        """Run one experiment through the core on the embedded sandbox; its flow becomes the
        shown flow (the previous one stays in the history for F8) with the verdict above."""
        from pkce_tui.core.lab import experiment, lab_config, run_experiment

        chosen = experiment(experiment_id)
        base_url = self.ensure_sandbox()
        self.running = chosen.decisive
        self.notify(f"lab: {chosen.title}…")
        config = self.session_config(lab_config(base_url, chosen.profile))
        async with self.client_factory(config) as client:
            outcome = await run_experiment(chosen, client=client, base_url=base_url,
                                           clock=self.clock)
        self.running = None
        self.show_lab(outcome)

    def show_lab(self, outcome) -> None:
        from pkce_tui.tui.lab import verdict_view

        self.remember(self.flow)
        state = outcome.state
        self.profile_name = f"lab · {outcome.experiment.title}"
        self.redirect_mode = "api" if state.config.login == "api" else "paste"
        self.query_one(RedirectPane).set_mode(self.redirect_mode)
        self.flow = state
        banner = self.query_one("#lab-verdict", Static)
        self.lab_outcome = outcome
        banner.update(verdict_view(outcome, reveal=self.reveal))
        banner.set_class(outcome.blocked, "-blocked")
        banner.display = True
        decisive = next((p for p in self.panes if outcome.experiment.decisive in p.STEPS), None)
        if decisive is not None:
            decisive.focus()

    def start_sandbox_then(self, configure: Callable[[str], FlowConfig]) -> None:
        """Start the embedded sandbox after the first frame, then run on `configure(base URL)`.

        Making its RSA key and starting its server take longer than the app's first frame:
        meanwhile the header says "starting sandbox…" and no step can run.
        """
        self.set_reactive(PkceTuiApp.sandbox_pending, True)  # before mounting: no watcher
        self._configure_for_sandbox = configure

    @work(thread=True, exclusive=True, group="sandbox", exit_on_error=False)
    def start_sandbox(self) -> None:
        try:
            config = self._configure_for_sandbox(self.ensure_sandbox())
        except (OSError, InputError) as exc:
            self.call_from_thread(self.sandbox_failed, str(exc))
            return
        self.call_from_thread(self.sandbox_ready, config)

    def sandbox_ready(self, config: FlowConfig) -> None:
        self.sandbox_pending = False
        self.flow = new_flow(self.session_config(config))

    def sandbox_failed(self, reason: str) -> None:
        self.sandbox_pending = False
        self.notify(f"the sandbox did not start: {reason}", severity="error", timeout=30)

    def ensure_sandbox(self) -> str:
        """The embedded sandbox's base URL, started on first use of a built-in profile."""
        if self.sandbox_base_url is None:
            from pkce_tui.sandbox import Sandbox

            self.owned_sandbox = Sandbox()
            self.owned_sandbox.start()
            self.sandbox_base_url = self.owned_sandbox.base_url
        return self.sandbox_base_url

    def on_unmount(self) -> None:
        self.resume_gc()
        self.unfreeze_gc()
        if self.owned_sandbox is not None:
            self.owned_sandbox.stop()

    # -- running steps ------------------------------------------------------------------

    @work(exclusive=True, group="flow", exit_on_error=False)
    async def run_flow(self, start: str | None = None, stop_after: str | None = None) -> None:
        """Run steps one by one so each pane fills in as its step finishes."""
        if start is not None:
            self.remember(self.flow)
            self.flow = mark_stale(self.flow, start)
        elif self.flow.stale:
            self.remember(self.flow)
        from pkce_tui.core.runner import FlowRunner  # steps, JOSE and HTML parsing: ~170 ms

        # a run from discovery is a new flow and fetches the JWKS anew; later runs reuse it
        jwks = None if self.flow.next_step() == "discovery" else self.jwks_cache
        async with self.client_factory(self.flow.config) as client:
            # the discovery step's authorize probe gets a client of its own: no shared cookies
            runner = FlowRunner(client, redirect_source=self.receive_redirect, clock=self.clock,
                                jwks=jwks, probe_client=self.client_factory)
            self.jwks_cache = runner.jwks
            while (step := self.flow.next_step()) is not None:
                self.running = step
                started = self.flow
                result = await runner.result_of(started, step)
                edited = self.flow is not started
                self.flow = record(self.flow, step, result, ran_on=started)  # keeps the edits
                if edited:
                    self.notify(f"inputs edited while {step} ran: stopped here; F5 runs the "
                                "stale steps again")
                if edited or step == stop_after:
                    break
        self.running = None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state in (WorkerState.CANCELLED, WorkerState.ERROR):
            self.running = None
        if event.state == WorkerState.ERROR:
            error = str(event.worker.error)
            shown = error if self.reveal else self.flow.redactor().text(error)
            self.notify(f"step failed unexpectedly: {shown}", severity="error")

    def remember(self, state: FlowState) -> None:
        """Keep a run with results for F8, once."""
        if state.results and (not self.history or self.history[-1] is not state):
            self.history.append(state)

    async def receive_redirect(self, authorize_url: str) -> str:
        """The runner's redirect source: a pasted URL or page, or the loopback listener."""
        if self.redirect_mode == "paste":
            return await self.wait_for_paste()
        return await self.listen_for_callback(authorize_url)

    async def wait_for_paste(self) -> str:
        pasted = self.query_one(RedirectPane).pasted_text()
        if pasted.strip():
            return pasted
        self.paste_waiter = asyncio.get_running_loop().create_future()
        self.notify("Open the authorize URL, log in, then paste the redirect URL or page "
                    "into the login / redirect pane and press Use pasted")
        try:
            return await self.paste_waiter
        finally:
            self.paste_waiter = None

    async def listen_for_callback(self, authorize_url: str) -> str:
        """Listen on the redirect URI's loopback port (RFC 8252 §7.3), then open the browser."""
        from pkce_tui.core.loopback import LoopbackListener  # h11: loaded when first listening

        authorize = self.flow.result("authorize")
        expected_state = authorize.data.get("state") if authorize else None
        async with LoopbackListener(self.flow.config.redirect_uri, expected_state=expected_state,
                                    timeout=LISTEN_TIMEOUT_S) as listener:
            self.run_worker(partial(self.open_browser, authorize_url), thread=True,
                            exit_on_error=False)
            self.notify(f"Waiting for the browser on {self.flow.config.redirect_uri}")
            return await listener.wait()

    # -- actions ------------------------------------------------------------------------

    def action_run_next(self) -> None:
        self.run_flow(stop_after=self.flow.next_step())

    def action_run_all(self) -> None:
        self.run_flow()

    def action_replay(self) -> None:
        if self.read_only:
            self.replay_from_har()
            return
        pane = self.focused_pane()
        if pane is not None:
            self.replay_from(pane.shown_steps(self.flow)[0])

    def replay_from(self, step: str) -> None:
        """Replay from `step`; from the token step with a spent code, offer authorize instead.

        A server accepts a code once (RFC 6749 §4.1.2): sending it again fails with
        invalid_grant, which teaches nothing unless that is the experiment.
        """
        if step == "token" and code_spent(self.flow) and not self.flow.overrides.active():
            from pkce_tui.tui.screens import SpentCodeChoice

            self.push_screen(SpentCodeChoice(), self.replay_chosen)
        else:
            self.run_flow(start=step)

    def replay_chosen(self, step: str | None) -> None:
        if step is not None:
            self.run_flow(start=step)

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "flow")

    def action_explain(self) -> None:
        for pane in self.panes_to_explain():
            pane.toggle_explanation()
            if pane.has_class("-explain"):  # the text is at the top: bring it into view
                pane.scroll_home(animate=False)

    def action_save_session(self) -> None:
        """Save the flow in the current directory: masked, or with its secrets (mode 0600)
        when F2 reveals them."""
        from pkce_tui.core.session import default_session_path, save_session

        path = default_session_path()
        try:
            save_session(path, self.flow, reveal=self.reveal)
        except InputError as exc:
            self.notify(str(exc), severity="error")
            return
        kept = ("with its secrets and tokens (F2 is on): mode 0600, keep it safe"
                if self.reveal else "secrets masked")
        self.notify(f"saved {path}, {kept}", severity="warning" if self.reveal else "information")

    def action_reveal(self) -> None:
        self.reveal = not self.reveal
        self.notify("secrets and tokens shown" if self.reveal else "secrets and tokens masked")

    def action_copy(self) -> None:
        """Copy the focused pane's value, or pick one when the pane has several."""
        pane = self.focused_pane()
        values = self.shown_copies(pane.copy_values(self.flow)) if pane else []
        if not values:
            self.notify("nothing to copy in this pane yet", severity="warning")
        elif len(values) == 1:
            self.copy_chosen(values[0])
        else:
            from pkce_tui.tui.screens import CopyPicker

            self.push_screen(CopyPicker(values), self.copy_chosen)

    def shown_copies(self, values: list[Copyable]) -> list[Copyable]:
        """The values as F3 offers and copies them: as they are after F2, else masked by the
        flow's redactor (a secret one whole), so nothing secret reaches the clipboard unasked."""
        if self.reveal or not values:
            return values
        redactor = self.flow.redactor()
        return [value._replace(text=mask(value.text) if value.secret
                               else redactor.text(value.text)) for value in values]

    def copy_chosen(self, value: Copyable | None) -> None:
        from pkce_tui.tui.clipboard import copy_value  # pyperclip: loaded on the first copy

        if value is not None:
            masked = "" if self.reveal or not value.secret else " (masked: F2 reveals it)"
            self.notify(copy_value(self, value.text, value.label) + masked)

    def open_in_browser(self, url: str) -> None:
        """Open `url` off the event loop: the browser command may block until it exits."""
        self.run_worker(partial(self.open_browser, url), thread=True, exit_on_error=False)
        self.notify("Opening the authorize URL in the browser")

    def action_maximize_pane(self) -> None:
        """Maximise the focused pane; with none focused (after F5, say), the current step's."""
        if self.screen.maximized is not None:
            self.screen.minimize()
            return
        pane = self.focused_pane() or self.current_pane()
        if pane is None:
            self.notify("no pane to maximise on this screen", severity="warning")
            return
        if self.focused_pane() is None:
            pane.focus()
        self.screen.maximize(pane, container=False)

    def current_pane(self) -> StepPane | None:
        """The pane of the step that failed, else of the next step to run, else the last."""
        steps = [s for s, r in self.flow.results.items() if r.status == "error"]
        step = steps[0] if steps else self.flow.next_step() or next(reversed(self.flow.results),
                                                                      None)
        return next((p for p in self.panes if step in p.STEPS), self.panes[0] if self.panes
                    else None)

    def action_profiles(self) -> None:
        from pkce_tui.tui.screens import ProfilePicker

        self.push_screen(ProfilePicker(), self.open_profile)

    def open_profile(self, config_and_name: tuple[FlowConfig, str] | None) -> None:
        if config_and_name is not None:
            self.load_config(*config_and_name)

    def action_compare(self) -> None:
        from pkce_tui.tui.screens import CompareScreen

        self.push_screen(CompareScreen(self.history[-1], self.flow))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Footer and palette show only what applies now; greyed while a step runs."""
        if action in ("run_next", "run_all"):
            blocked = self.running or self.flow.done or self.read_only or self.sandbox_pending
            return None if blocked else True
        if action == "replay":
            return True if self.read_only or self.replayable(self.screen) else None
        if action == "cancel":
            return self.running is not None
        if action == "compare":
            return bool(self.history)
        return True

    # -- focus and layout ---------------------------------------------------------------

    def replayable(self, screen: Screen) -> bool:
        """Whether ctrl+r applies: nothing running, and the pane focused on `screen` has run."""
        pane = self.focused_pane(screen)
        return (self.running is None and pane is not None
                and self.flow.result(pane.shown_steps(self.flow)[0]) is not None)

    def focused_pane(self, screen: Screen | None = None) -> StepPane | None:
        """The pane holding the focus on `screen` (default: the active one)."""
        widget = (screen or self.screen).focused
        while widget is not None and not isinstance(widget, StepPane):
            widget = widget.parent
        return widget

    def panes_to_explain(self) -> Iterable[StepPane]:
        pane = self.focused_pane()
        return [pane] if pane is not None else self.query(StepPane)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action that applies in the command palette, its tooltip as the help line.

        `screen` is the one the palette was opened on: while the palette is open it is itself
        the active screen, and holds no pane.
        """
        for command in super().get_system_commands(screen):
            if command.title not in self.REPLACED_SYSTEM_COMMANDS:
                yield command
        yield SystemCommand("Open HAR file", "Rebuild a flow from a browser's HAR export and "
                            "show it read-only", self.action_open_har)
        if self.har is not None and len(self.har.flows) > 1:
            for found in self.har.flows:
                if found.index != self.har.index:
                    yield SystemCommand(
                        visible(f"HAR flow {found.index}: {found.outcome}"),
                        visible(f"Show flow {found.index} of this HAR ({found.client_id}, "
                                f"started {found.started})"),
                        partial(self.load_har_file, self.har_source, found.index))
        if self.read_only:
            yield SystemCommand("Replay from here", "Copy the HAR flow's configuration into an "
                                "editable flow for the live tenant", self.replay_from_har)
        yield from self.lab_commands()
        for binding in self.BINDINGS:
            if binding.action == "replay":
                if self.read_only:
                    continue
                if (pane := self.focused_pane(screen)) is not None and self.replayable(screen):
                    yield SystemCommand(binding.description, binding.tooltip,
                                        partial(self.replay_from,
                                                pane.shown_steps(self.flow)[0]))
            elif self.check_action(binding.action, ()):
                yield SystemCommand(binding.description, binding.tooltip,
                                    partial(self.run_action, binding.action))


    def lab_commands(self) -> Iterable[SystemCommand]:
        """One palette entry per tamper-lab experiment."""
        from pkce_tui.core.lab import EXPERIMENTS

        for chosen in EXPERIMENTS:
            yield SystemCommand(f"Lab: {chosen.title}", chosen.attack,
                                partial(self.run_lab, chosen.id))


class KeysFooter(Footer):
    """The footer, built with the screen and rebuilt only when the keys it offers change.

    Textual's Footer composes empty, then rebuilds on every binding refresh (focus, screen
    resume, ours): a rebuild mounts a widget per key and lays the screen out again, and at
    start-up several arrive with the same keys. (`_bindings_ready` is Footer's own flag.)

    Each FooterKey starts compact, then its data binding makes it match the footer: two class
    changes, each restyling the key after it was styled on mounting. The bound keys are given
    the footer's value before they mount, so the binding changes nothing (the palette key is
    not bound, and keeps its own).
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_reactive(Footer._bindings_ready, True)

    def offered_keys(self) -> tuple:
        return tuple((binding.key, self.app.get_key_display(binding), binding.description,
                      enabled, tooltip)
                     for _, binding, enabled, tooltip in self.screen.active_bindings.values()
                     if binding.show)

    def compose(self) -> ComposeResult:
        self._offered = self.offered_keys()
        for widget in super().compose():
            if isinstance(widget, FooterKey) and "compact" in (widget._reactive_connect or {}):
                widget.set_reactive(FooterKey.compact, self.compact)  # its bound value, now
            yield widget
        # Footer pins its grid to one row of every key; app.tcss wraps them on narrow screens
        self.styles.clear_rule("grid_size_columns")

    async def recompose(self) -> None:
        if self.offered_keys() != self._offered:
            await super().recompose()


def open_in_browser(url: str) -> bool:
    """Python's `webbrowser` (so `$BROWSER` is honoured), loaded when a page is first opened:
    start-up does not pay for it."""
    import webbrowser

    return webbrowser.open(url)


def code_spent(state: FlowState) -> bool:
    """Whether the token step already sent the code the redirect brought (no override).

    With another token input overridden the user is running an experiment: no offer then."""
    redirect = state.result("redirect")
    code = redirect.data.get("code") if redirect else None
    return (code is not None and not state.overrides.code and "redirect" not in state.stale
            and any(attempt.request is not None and ("code", code) in (attempt.request.form or ())
                    for attempt in state.token_attempts))


def har_marker(har: HarFlow, source: str) -> str:
    """The one-line banner over a flow opened from a HAR: where from, which flow, what to do."""
    return (f"⛁ from HAR {source} · flow {har.index} of {len(har.flows)} · read-only: ctrl+r "
            "replays it against the live tenant")


def har_opened(har: HarFlow, source: str) -> str:
    """What opening a HAR says once: which flow was chosen, and what the HAR cannot show."""
    lacking = "; ".join(gap.split(":", 1)[0] for gap in har.missing)
    gaps = f"; not in the HAR: {lacking} (pkce-tui har FILE says why)" if lacking else ""
    return f"opened {source}: {har.chosen}{gaps}"


def read_text(path: str) -> str:
    """A file's text for the TUI, bounded like every input; unreadable is an InputError."""
    from pkce_tui.commands import read_input

    return read_input(path, "HAR file")


def target_of(config: FlowConfig) -> str:
    return (config.issuer or config.tenant_url or config.base_url or config.authorize_endpoint
            or "no target")
