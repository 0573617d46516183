"""The session document an export is made from: checked, and masked unless revealed."""

from __future__ import annotations

import json

from pkce_tui.core.redaction import redact
from pkce_tui.core.session import parse_session


def exported_document(text: str, source: str, *, reveal: bool) -> dict:
    """The session in `text`, validated (a malformed or newer one is an InputError), with
    every secret and personal claim masked unless `reveal` (a session saved with `--reveal`
    holds them in clear)."""
    parse_session(text, source)
    document = json.loads(text)
    if reveal:
        return document
    return {**redact(document, personal=True), "masked": True}  # type: ignore[dict-item]
