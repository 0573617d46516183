"""What every command writes: one strict JSON document on stdout with `--json`, and errors on
stderr as one line each, control characters escaped so a server's words cannot forge extra
lines or drive the terminal (DESIGN.md §3)."""

from __future__ import annotations

import json
import math
import os
import re
import sys

from pkce_tui.core.inert import is_unprinted, visible

#: What may need a \\u escape in JSON text json.dumps wrote with ensure_ascii=False: DEL and
#: everything outside ASCII (C0 controls inside strings are escaped by json.dumps already).
_JSON_CANDIDATE = re.compile(r"[^\x00-\x7e]")
_NON_FINITE_NAMES = {math.inf: "Infinity", -math.inf: "-Infinity"}


_emitted = 0


def emitted_count() -> int:
    """How many JSON documents this process has written: a command that failed after writing
    its own need not write an error document too."""
    return _emitted


def emit_json(document: dict) -> None:
    """Print `document` as one strict JSON text (RFC 8259), strings kept verbatim except
    control, C1, bidi and other format characters and lone surrogates, written as `\\uXXXX`
    escapes (RFC 8259 §7) so the text is valid UTF-8 and inert in a terminal."""
    text = json.dumps(finite(document), indent=2, ensure_ascii=False, allow_nan=False)
    sys.stdout.write(json_inert(text) + "\n")
    global _emitted
    _emitted += 1


def json_inert(text: str) -> str:
    """JSON text with every character a terminal could act on as a `\\u` escape.

    Outside strings, JSON text holds only ASCII, so only characters inside strings change.
    """
    return _JSON_CANDIDATE.sub(_json_escape, text)


def _json_escape(match: re.Match) -> str:
    char = match.group()
    if not is_unprinted(char):
        return char
    if ord(char) > 0xFFFF:  # outside the BMP: a UTF-16 surrogate pair (RFC 8259 §7)
        units = char.encode("utf-16-be")
        return "".join(f"\\u{int.from_bytes(units[i:i + 2], 'big'):04x}" for i in (0, 2))
    return f"\\u{ord(char):04x}"


def finite(document: object) -> object:
    """A copy of `document` with every non-finite float named as a string ("Infinity").

    RFC 8259 §6 has no number for them, yet a JSON text holding `1e400` decodes to one; naming
    it keeps the output strict JSON while the checks say the number is not finite. The walk
    keeps its own stack, so a document nested as deep as the JSON reader allows is copied too.
    """
    root = [document]
    pending: list[tuple[list | dict, object]] = [(root, 0)]
    while pending:
        parent, key = pending.pop()
        value = parent[key]
        if isinstance(value, float) and not math.isfinite(value):
            parent[key] = _NON_FINITE_NAMES.get(value, "NaN")
        elif isinstance(value, dict):
            parent[key] = copy = dict(value)
            pending.extend((copy, name) for name in copy)
        elif isinstance(value, list | tuple):
            parent[key] = copy = list(value)
            pending.extend((copy, index) for index in range(len(copy)))
    return root[0]


def silence_stdout() -> None:
    """Point stdout at os.devnull once its reader has gone (the Python docs' "Note on
    SIGPIPE"), so later writes and the flush at interpreter exit are dropped quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def one_line(text: str) -> str:
    """`text` on one line, every control or format character written as its escape (`\\n`,
    `\\x1b`, `\\u202e`), so a server's words cannot add lines or send terminal sequences."""
    return visible(text)


def print_error(message: str) -> None:
    """An error or warning on stderr: one line, named after the program."""
    print(f"pkce-tui: {one_line(message)}", file=sys.stderr)


def print_checks(checks: list[dict]) -> None:
    marks = {True: "pass", False: "FAIL", None: "  ? "}
    for check in checks:
        print(f"  [{marks[check['ok']]}] {check['name']:<10} {one_line(check['detail'])}")
