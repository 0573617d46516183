"""Rich renderables for step results: summaries, HTTP traffic, checks and diagnoses.

Display only: every value shown here was computed by the core; masking hides secrets and
tokens on screen until the user reveals them (F2). `inert` is the one way text from a server,
a page, a token or a paste becomes something a widget shows (DESIGN.md §7): a `Text` with
control, C1 and bidi characters as visible escapes, never parsed as markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from pkce_tui.core.http import HttpRequest, HttpResponse
from pkce_tui.core.inert import visible
from pkce_tui.core.redaction import Redactor, masked_request, redact
from pkce_tui.core.step_result import StepResult

#: The most of one value a pane shows.
SHOWN_CHARS = 16_384
#: The most widths a `Frozen` keeps lines for.
FROZEN_WIDTHS = 4

STATUS_STYLE = {"ok": "green", "warning": "yellow", "error": "bold red", "skipped": "dim",
                "stale": "magenta", "pending": "dim", "running": "cyan"}
STATUS_ICON = {"ok": "✔", "warning": "!", "error": "✘", "skipped": "–", "stale": "↻",
               "pending": "·", "running": "…"}
CHECK_ICON = {True: ("✔", "green"), False: ("✘", "bold red"), None: ("?", "yellow")}


def inert(value: object, style: str = "", *, multiline: bool = False) -> Text:
    """`value` as text a terminal shows and never obeys: control, C1, bidi and other format
    characters as escapes (`\\x1b`, `\\u202e`), square brackets as themselves (a `Text` is
    never parsed as markup). Non-text values as compact JSON. With `multiline`, newlines and
    tabs are kept. Past SHOWN_CHARS the rest is left out and counted: a server's 2 MB body
    would take the screen seconds to lay out on every repaint (F3 copies it whole)."""
    text = _as_text(value)
    shown = Text(visible(text[:SHOWN_CHARS], multiline=multiline), style=style)
    if len(text) > SHOWN_CHARS:
        shown.append(f" … {len(text) - SHOWN_CHARS} more characters not shown", style="dim")
    return shown


class Frozen:
    """A renderable whose lines are drawn once per width and then kept.

    A pane draws its whole body again when only its status line changed (the first key typed
    after a run stales six panes) or its clock ticked; the parts made from a step's result
    give the same lines each time, and drawing them (wrapping long values, measuring tables)
    was most of that work. Textual draws a body twice, to measure its height and to paint it:
    both take the lines kept. For text, groups and grids, whose lines depend on the width
    and the console's options but not on the height offered.
    """

    def __init__(self, *renderables: RenderableType) -> None:
        self.renderable = Group(*renderables)
        self._lines: dict[tuple, list] = {}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key = tuple(value for name, value in vars(options).items()
                    if name not in ("height", "max_height"))
        lines = self._lines.get(key)
        if lines is None:
            if len(self._lines) >= FROZEN_WIDTHS:  # resized again and again: keep the latest
                self._lines.clear()
            lines = self._lines[key] = list(console.render(self.renderable, options))
        yield from lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


def status_text(status: str, summary: str) -> Text:
    """One line: an icon and word for the status, then the step's summary."""
    style = STATUS_STYLE.get(status, "")
    text = Text(f"{STATUS_ICON.get(status, '?')} {status}", style=style)
    return text.append_text(inert(f"  {summary}", "" if status != "stale" else "dim"))


def fields_table(pairs: Iterable[tuple[str, object]]) -> Group:
    """`name value` lines that wrap in narrow panes; non-text values as compact JSON.

    A value already a `Text` was made by this module's callers from known text (or `inert`).
    """
    lines = []
    for name, value in pairs:
        shown = value if isinstance(value, Text) else inert(value)
        lines.append(Text.assemble(inert(name, "bold"), " ", shown))
    return Group(*lines)


def request_view(request: HttpRequest, *, reveal: bool) -> RenderableType:
    """The request as sent: method and URL, headers, body; secrets masked unless `reveal`."""
    shown = masked_request(request, reveal=reveal)
    lines = [inert(f"{shown['method']} {shown['url']}", "bold")]
    lines += [inert(f"{name}: {value}", "dim") for name, value in _pairs(shown["headers"])]
    body = shown.get("body")
    if isinstance(body, dict):
        return Group(*lines, fields_table(body.items()))
    return Group(*lines, inert(body, multiline=True)) if body else Group(*lines)


def response_view(response: HttpResponse, *, reveal: bool) -> RenderableType:
    """The response as received: status, timing, headers, body verbatim (secrets masked)."""
    style = "green" if response.status < 400 else "bold red"
    lines = [Text(f"HTTP {response.status}  ({response.elapsed_ms:.0f} ms)", style=style)]
    shown = Redactor()
    lines += [inert(f"{name}: {value if reveal else shown.header(name, value)}", "dim")
              for name, value in response.headers]
    lines.append(inert(response.body if reveal else str(redact(response.body)), multiline=True))
    return Group(*lines)


def checks_view(checks: Iterable[dict]) -> Table:
    """One row per check: pass, fail or could-not-check, with the reason."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for check in checks:
        icon, style = CHECK_ICON.get(check.get("ok"), ("?", "yellow"))
        table.add_row(Text(icon, style=style), inert(check.get("name") or ""),
                      inert(check.get("detail") or ""))
    return table


def diagnosis_view(diagnoses: Iterable) -> RenderableType:
    """Why a step most likely failed, and what to change (the core's diagnosis)."""
    lines = []
    for diagnosis in diagnoses:
        style = "bold red" if diagnosis.severity == "error" else "yellow"
        lines.append(inert(f"⚑ {diagnosis.summary}", style))
        if diagnosis.fix:
            lines.append(inert(f"  fix: {diagnosis.fix}", "italic"))
    return Group(*lines)


def error_view(result: StepResult) -> Text:
    return inert(f"✘ {result.error}", "bold red")


def server_says_view(result: StepResult) -> RenderableType:
    """The server's own words about a refusal, field by field (`core/server_says.py`)."""
    words = result.server_says.to_json() if result.server_says else {}
    rows = [(name, value) for name, value in words.items() if name not in ("source", "success")]
    if not rows:
        return Group()
    return Group(Text(f"server says ({words['source']})", style="bold"), fields_table(rows))


def section(title: str) -> Text:
    return Text(f"── {title}", style="bold cyan")


def timestamp_view(seconds: float | None) -> str:
    """A POSIX time as a local date, for the moment a step ran."""
    if not seconds:
        return "—"
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _pairs(headers) -> Iterable[tuple[str, str]]:
    return headers.items() if isinstance(headers, dict) else headers


def _as_text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
