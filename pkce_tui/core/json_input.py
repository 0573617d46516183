"""JSON objects read from what a user hands over (a session file, a JWKS file or stdin)."""

from __future__ import annotations

import json

from pkce_tui.core.errors import InputError


def json_object(text: str, source: str) -> dict:
    """`text` parsed as a JSON object (RFC 8259 §4), else an InputError naming `source`.

    Nesting past the parser's recursion limit raises RecursionError, not ValueError; it is
    bad input like any other and gets its own line.
    """
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{source} is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise InputError(f"{source} is JSON nested too deeply to read") from exc
    if not isinstance(document, dict):
        raise InputError(f"{source} is not a JSON object")
    return document
