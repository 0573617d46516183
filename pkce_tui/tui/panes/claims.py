"""The claims pane: ID and access token decoded, with every validation check."""

from __future__ import annotations

import json

from rich.console import RenderableType
from rich.text import Text

from pkce_tui.core.flow import FlowState
from pkce_tui.core.jwt_times import times_for_display
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.panes.base import Copyable, StepPane

#: A claim's value is shown up to this many characters, and a token's first MAX_SHOWN_CLAIMS
#: claims: a pane cannot usefully show more, and laying out 100 KB of text takes many frames
#: (every keystroke that stales the pane would pay it again). F3 copies the whole claims.
MAX_SHOWN_CHARS = 2_000
MAX_SHOWN_CLAIMS = 200


class ClaimsPane(StepPane):
    """ID token and access token: header, payload, times, and every validation check."""

    STEPS = ("id_token", "access_token")
    LABEL = "7 claims"

    def details_key(self, state: FlowState, result: StepResult) -> tuple:
        return (self.live_times(result.data),)  # the ages count on: "(5 s ago)"

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        data = result.data
        times = ([Text("times", style="bold underline"), times_view(self.live_times(data))]
                 if data.get("times") else [])
        # the decoded token and its checks are drawn once: only the ages change with the clock
        decoded = self.frozen(f"{result.name} claims", result, (), lambda: decoded_view(data))
        checks = self.frozen(f"{result.name} checks", result, (), lambda: token_checks(data))
        return [decoded, *times, checks]

    def on_mount(self) -> None:
        self.ticker = self.set_interval(1.0, self.tick)

    def live_times(self, data: dict):
        """The token's times against the app's clock now, so "(5 s ago)" keeps counting."""
        payload = data.get("payload")
        return times_for_display(payload, self.app.clock()) if payload else data.get("times")

    def tick(self) -> None:
        """Re-render the relative times each second while they are on screen and changed
        ("4 min ago" stays for a minute: no redraw meanwhile).

        From the flow as every pane shows it (`shown_flow`: masked until F2), so a tick
        neither unmasks a claim nor leaves a picture the next keystroke would redraw.
        """
        app = self.app
        shown = app.shown_flow()
        results = [shown.result(step) for step in self.STEPS if shown.result(step)]
        ages = [self.live_times(result.data) for result in results]
        if not self.display or not results or ages == getattr(self, "_ages", None):
            return
        self._ages = ages
        self._shown = None
        self.show(shown, reveal=app.reveal, running=app.running)

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


def decoded_view(data: dict) -> list:
    """The token's header and payload, as decoded."""
    parts: list[RenderableType] = []
    for name in ("header", "payload"):
        if data.get(name):
            parts += [Text(name, style="bold underline"),
                      render.fields_table(shown_claims(data[name]))]
    return parts


def token_checks(data: dict) -> list:
    """Every validation check made on the token."""
    if not data.get("checks"):
        return []
    return [Text("checks", style="bold underline"), render.checks_view(data["checks"])]


def shown_claims(claims: dict) -> list[tuple[str, object]]:
    """The claims as the pane lists them: a long value cut at MAX_SHOWN_CHARS, at most
    MAX_SHOWN_CLAIMS of them, each cut saying how much is left out."""
    rows: list[tuple[str, object]] = []
    for name, value in list(claims.items())[:MAX_SHOWN_CLAIMS]:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if len(text) > MAX_SHOWN_CHARS:
            value = Text.assemble(render.inert(text[:MAX_SHOWN_CHARS]), left_out(
                f"{len(text) - MAX_SHOWN_CHARS:,} more characters"))
        rows.append((name, value))
    if len(claims) > MAX_SHOWN_CLAIMS:
        rows.append(("…", left_out(f"{len(claims) - MAX_SHOWN_CLAIMS:,} more claims")))
    return rows


def left_out(what: str) -> Text:
    return Text(f" … {what} (F3 copies the claims)", style="dim italic")


def times_view(times) -> RenderableType:
    """The token's times as the core formatted them (dates with relative age)."""
    if isinstance(times, dict):
        return render.fields_table(times.items())
    return render.fields_table((str(i), t) for i, t in enumerate(times))
