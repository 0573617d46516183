"""Hostile text in the TUI: what servers, pages and tokens say reaches the terminal inert.

Every pane is given results whose server-supplied strings carry terminal sequences (OSC 52
clipboard, clear screen, OSC 8 link), a C1 CSI, bidi overrides and Rich markup. The whole
screen is rendered to the bytes a terminal driver would write; the only escape sequences in
them must be Textual's own colours and cursor moves, and the markup must show literally.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pkce_tui.core.diagnose import Diagnosis
from pkce_tui.core.flow import FlowConfig, new_flow
from pkce_tui.core.http import HttpRequest, HttpResponse
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui.app import PkceTuiApp

ATTACK = ("\x1b]52;c;ZXZpbA==\x07 \x1b[2J \x1b]8;;http://evil.test/\x1b\\L\x1b]8;;\x1b\\ "
          "\x9b31m \u202eevil\u202c \u2066x\u2069 \u061c")
MARKUP = "[bold]B[/bold] [link=http://evil.test/x]L[/link] oops [/nothing] here"
HOSTILE = f"{MARKUP} {ATTACK}"
#: What Textual itself writes: SGR colours and absolute cursor moves.
TEXTUAL_SEQUENCE = re.compile(r"\x1b\[[0-9;:]*m|\x1b\[\d+;\d+H")
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def hostile_response(status: int = 400) -> HttpResponse:
    return HttpResponse(status, (("X-Evil", HOSTILE),), f'{{"error_description": "{HOSTILE}"}}')


def hostile_state():
    """Every pane's results made of hostile strings, as a lying server would send them."""
    config = FlowConfig(issuer=HOSTILE, client_id=ATTACK, verifier=ATTACK,
                        authorize_endpoint="http://127.0.0.1:9/authorize")
    request = HttpRequest("POST", f"http://127.0.0.1:9/token?{HOSTILE}", (("X-Q", HOSTILE),),
                          form=(("grant_type", HOSTILE),))
    check = [{"name": "iss", "ok": False, "detail": HOSTILE}]
    results = {
        "discovery": StepResult("discovery", "error", HOSTILE, {"issuer": HOSTILE},
                                request=request, response=hostile_response(500), error=HOSTILE),
        "login": StepResult("login", "error", HOSTILE, {"mode": "form", "raw": HOSTILE}),
        "redirect": StepResult("redirect", "error", HOSTILE,
                               {"source": "html_anchor", "redirect_url": HOSTILE, "iss": HOSTILE,
                                "error": HOSTILE, "error_description": HOSTILE,
                                "checks": check, "warnings": [HOSTILE]}),
        "token": StepResult("token", "error", HOSTILE, {}, request=request,
                            response=hostile_response(), error=HOSTILE),
        "id_token": StepResult("id_token", "error", HOSTILE,
                               {"header": {"kid": HOSTILE}, "payload": {HOSTILE: HOSTILE},
                                "times": {"exp": HOSTILE}, "checks": check}),
        "userinfo": StepResult("userinfo", "ok", HOSTILE, {"claims": {"name": HOSTILE}}),
    }
    diagnosis = (Diagnosis("server_error", "token", "error", HOSTILE, HOSTILE),)
    return replace(new_flow(config), results=results, diagnosis=diagnosis)


def terminal_output(app: PkceTuiApp) -> str:
    """The characters a terminal driver would receive for the whole screen."""
    update = app.screen._compositor.render_full_update()
    return update.render_segments(app.console)


async def test_hostile_text_reaches_the_terminal_inert():
    app = PkceTuiApp(FlowConfig(issuer="http://127.0.0.1:9/generic", client_id="demo-public"))
    async with app.run_test(size=(400, 200)) as pilot:
        app.flow = hostile_state()
        app.notify(HOSTILE, title=HOSTILE)
        app.query_one("#discovery").notify(HOSTILE, severity="error")
        await pilot.pause()
        for pane in app.panes:
            pane.toggle_explanation()
        await pilot.pause()
        output = terminal_output(app)
    inert = TEXTUAL_SEQUENCE.sub("", output)
    assert "\x1b" not in inert, repr(inert[max(0, inert.find("\x1b") - 40):][:120])
    found = FORBIDDEN.search(inert)
    assert found is None, repr(inert[max(0, found.start() - 40):][:120])
    # the markup shows as typed, and the escapes show what was there
    assert "[bold]B[/bold]" in inert and "[link=http://evil.test/x]L[/link]" in inert
    assert "[/nothing]" in inert and "\\x1b]52;c;" in inert and "\\u202e" in inert
