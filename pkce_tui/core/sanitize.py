"""A customer's HAR with every secret masked (`pkce-tui har sanitize`), still a valid HAR.

Everything goes through the one redactor (`redaction.Redactor`, personal claims included): it
first learns every secret in the whole file (so a code seen in a Location is hidden in the
page that repeats it), then masks each entry part by part, so the report can say what was
masked where. Base64 bodies are decoded, masked and encoded again.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from collections import Counter
from dataclasses import dataclass

from pkce_tui.core.errors import InputError
from pkce_tui.core.redaction import Redactor

MAX_HAR_BYTES = 64 * 1024 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
#: The parts of an entry, in the order the report names them.
REQUEST_PARTS = ("url", "headers", "cookies", "queryString", "postData")
RESPONSE_PARTS = ("headers", "cookies", "content", "redirectURL")


@dataclass(frozen=True)
class Masked:
    """Values masked in one place: entry index (None outside entries), where, name, kind."""

    entry: int | None
    where: str
    name: str
    kind: str
    count: int

    def to_json(self) -> dict:
        return {"entry": self.entry, "where": self.where, "name": self.name, "kind": self.kind,
                "count": self.count}


@dataclass(frozen=True)
class Sanitized:
    har: dict
    masked: tuple[Masked, ...]

    def counts(self) -> dict[str, int]:
        """Masked values per kind."""
        totals: Counter[str] = Counter()
        for item in self.masked:
            totals[item.kind] += item.count
        return dict(totals)


def sanitize_har(text: str) -> Sanitized:
    """The HAR in `text` with every secret masked; malformed HAR is an InputError."""
    document = _har_document(text)
    redactor = Redactor(personal=True)
    redactor.learn(_decoded(document))
    found: list[Masked] = []
    log = document["log"]
    entries = [_entry(redactor, index, entry, found) for index, entry in enumerate(log["entries"])]
    rest = {key: _part(redactor, None, f"log.{key}", value, found)
            for key, value in log.items() if key != "entries"}
    har = {**{k: v for k, v in document.items() if k != "log"},
           "log": {**rest, "entries": entries}}
    return Sanitized(_ordered_like(document, har), tuple(found))


def _har_document(text: str) -> dict:
    if len(text) > MAX_HAR_BYTES:
        raise InputError(f"HAR file too large: over {MAX_HAR_BYTES // 1024 // 1024} MB")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InputError(f"the HAR file is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise InputError("the HAR file's JSON is nested too deeply to read") from exc
    log = document.get("log") if isinstance(document, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise InputError("the HAR file has no log.entries list")
    if not all(isinstance(entry, dict) for entry in log["entries"]):
        raise InputError("the HAR file's log.entries holds something that is not an entry")
    return document


def _entry(redactor: Redactor, index: int, entry: dict, found: list[Masked]) -> dict:
    """One entry with its request and response masked part by part."""
    shown = {}
    for key, value in entry.items():
        if key in ("request", "response") and isinstance(value, dict):
            shown[key] = {part: _part(redactor, index, f"{key}.{part}", item, found)
                          for part, item in value.items()}
        else:
            shown[key] = _part(redactor, index, key, value, found)
    return shown


def _part(redactor: Redactor, index: int | None, where: str, value: object,
          found: list[Masked]) -> object:
    """`value` masked, and what was masked in it added to `found`."""
    before = len(redactor.masked)
    key = where.rsplit(".", 1)[-1]
    if where.endswith("content") and isinstance(value, dict):
        shown = _content(redactor, value)
    else:
        shown = redactor.redact({key: value})[key]  # type: ignore[index]
    counted = Counter(redactor.masked[before:])
    found.extend(Masked(index, where, name, kind, count)
                 for (kind, name), count in counted.items())
    return shown


def _content(redactor: Redactor, content: dict) -> dict:
    """A response body: a base64 one (gzip inside or not) is decoded, masked and encoded
    again the same way; a binary one holds no text secret and is kept."""
    text = content.get("text")
    if not isinstance(text, str) or content.get("encoding") != "base64":
        return redactor.redact({"content": content})["content"]  # type: ignore[index]
    decoded = _base64_text(text)
    rest = {k: redactor.redact({k: v})[k] for k, v in content.items() if k != "text"}  # type: ignore[index]
    if decoded is None:
        return {**rest, "text": text}
    body, zipped = decoded
    masked = redactor.text(body).encode("utf-8")
    packed = gzip.compress(masked, mtime=0) if zipped else masked
    return {**rest, "text": base64.b64encode(packed).decode("ascii")}


def _decoded(document: dict) -> dict:
    """The document with base64 text bodies decoded, for learning the secrets they hold."""
    entries = []
    for entry in document["log"]["entries"]:
        response = entry.get("response")
        content = response.get("content") if isinstance(response, dict) else None
        if isinstance(content, dict) and content.get("encoding") == "base64" \
                and isinstance(content.get("text"), str):
            decoded = _base64_text(content["text"])
            body = decoded[0] if decoded else ""
            entry = {**entry, "response": {**response, "content": {**content, "text": body}}}
        entries.append(entry)
    return {**document, "log": {**document["log"], "entries": entries}}


def _base64_text(text: str) -> tuple[str, bool] | None:
    """The text a base64 body holds and whether it was gzipped; None for binary bodies."""
    try:
        data = base64.b64decode(text, validate=False)
        zipped = data[:2] == GZIP_MAGIC
        if zipped:
            inflater = zlib.decompressobj(wbits=31)
            data = inflater.decompress(data, MAX_BODY_BYTES)
            if inflater.unconsumed_tail:
                return None  # larger than any page: left as it is
        return data.decode("utf-8"), zipped
    except (binascii.Error, ValueError, zlib.error):
        return None


def _ordered_like(original: dict, sanitized: dict) -> dict:
    """`sanitized` with the top-level and log keys in the original's order."""
    log = sanitized["log"]
    ordered_log = {key: log[key] for key in original["log"]}
    return {key: ordered_log if key == "log" else sanitized[key] for key in original}
