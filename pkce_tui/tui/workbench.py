"""The JWT workbench (ctrl+t): paste any JWT, optionally a JWKS URL, and see it decoded and
validated check by check, as jwt.io does, by the core's `jwt` module.

The JWKS is fetched in a worker through the app's HTTP client; nothing here validates by
itself. Every decoded value is shown inert: a pasted token is untrusted text.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.jwt_times import times_for_display
from pkce_tui.tui import render

FIELDS = (("jwks", "JWKS URL", "optional: the signature is checked with its keys"),
          ("issuer", "issuer", "optional: the expected iss"),
          ("audience", "audience", "optional: your client_id"),
          ("nonce", "nonce", "optional: the nonce sent"))


class JwtWorkbench(ModalScreen[None]):
    """Decode and validate a pasted JWT; every check listed with its reason."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close", tooltip="Back to the flow")]

    def __init__(self, jwks_uri: str | None = None, issuer: str | None = None) -> None:
        super().__init__()
        self.defaults = {"jwks": jwks_uri or "", "issuer": issuer or ""}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Label("JWT workbench: paste a token (and a JWKS URL), then Validate",
                        classes="dialog-title")
            yield TextArea(id="jwt-input", soft_wrap=True, show_line_numbers=False)
            for name, label, placeholder in FIELDS:
                with Horizontal(classes="labelled"):
                    yield Label(label)
                    yield Input(self.defaults.get(name, ""), placeholder=placeholder,
                                id=f"jwt-{name}", compact=True)
            with Horizontal(classes="buttons"):
                yield Button("Validate", id="validate", variant="primary")
            with VerticalScroll(id="jwt-scroll"):
                yield Static(id="jwt-report")

    def on_mount(self) -> None:
        self.query_one("#jwt-input", TextArea).focus()

    def value(self, name: str) -> str | None:
        return self.query_one(f"#jwt-{name}", Input).value.strip() or None

    @on(Button.Pressed, "#validate")
    @on(Input.Submitted)
    def validate(self) -> None:
        token = self.query_one("#jwt-input", TextArea).text.strip()
        if not token:
            self.notify("paste a JWT first", severity="warning")
            return
        self.query_one("#jwt-report", Static).update(Text("validating…", style="dim"))
        self.run_validation(token)

    @work(exclusive=True, exit_on_error=False)
    async def run_validation(self, token: str) -> None:
        """Validate in a worker: fetching the JWKS may take a while, the screen stays live."""
        from pkce_tui.core import jwt
        from pkce_tui.core.flow import FlowConfig

        options = {"issuer": self.value("issuer"), "audience": self.value("audience"),
                   "nonce": self.value("nonce"), "now": self.app.clock()}
        url = self.value("jwks")
        if url is None:
            report = jwt.validate(token, **options)
        else:
            config = FlowConfig(insecure=getattr(self.app, "insecure", False))
            try:
                async with self.app.client_factory(config) as client:
                    report = await jwt.validate_with_jwks_uri(token, client, url, **options)
            except PkceTuiError as exc:
                report = jwt.validate_without_jwks(token, str(exc), **options)
        self.report = report
        self.query_one("#jwt-report", Static).update(report_view(report, self.app.clock()))


def report_view(report, now: float) -> Group:
    """Verdict, header, payload, the times in words, then every check."""
    verdict = (Text("✔ valid: no check failed", style="bold green") if report.valid
               else Text("✘ invalid: a check failed", style="bold red"))
    parts = [verdict]
    for name, part in (("header", report.header), ("payload", report.payload)):
        if part:
            parts += [Text(name, style="bold underline"), render.fields_table(part.items())]
    times = times_for_display(report.payload, now) if report.payload else {}
    if times:
        parts += [Text("times", style="bold underline"), render.fields_table(times.items())]
    parts += [Text("checks", style="bold underline"),
              render.checks_view([c.to_json() for c in report.checks])]
    return Group(*parts)
