"""A session as a Markdown report for a support ticket: the target, the diagnosis with its
fixes, each step with its status and summary, and every exchange as a curl command with the
answer's status and body.

Server text is quoted, never trusted: table cells have `|` and line breaks escaped, code
blocks are fenced with more backticks than their content holds.
"""

from __future__ import annotations

import json
import re

from pkce_tui.core.redaction import curl_command

MAX_BODY_CHARS = 4000
_TARGET_FIELDS = ("dialect", "issuer", "tenant_url", "base_url", "authorize_endpoint",
                  "token_endpoint", "client_id", "auth_method", "redirect_uri", "scope",
                  "method")


def to_markdown(session: dict) -> str:
    """The report; values are shown as the session holds them (masked unless revealed)."""
    parts = [_heading(session), _target(session.get("config") or {}),
             _diagnosis(session.get("diagnosis") or []), _steps(session.get("steps") or []),
             _exchanges(session.get("exchanges") or [])]
    return "\n\n".join(part for part in parts if part) + "\n"


def _heading(session: dict) -> str:
    outcome = "succeeded" if session.get("ok") else "did not succeed"
    secrets = ("secrets, tokens and personal claims are masked (length·SHA-256 prefix)"
               if session.get("masked", True) else "secrets are shown (saved with --reveal)")
    saved = f"Saved {_inline(session.get('created'))} by {_inline(session.get('tool'))}"
    return f"# pkce-tui session report\n\nThe flow {outcome}. {saved}; {secrets}."


def _target(config: dict) -> str:
    rows = [(name, config[name]) for name in _TARGET_FIELDS if config.get(name)]
    if not rows:
        return ""
    return "## Target\n\n" + _table(("setting", "value"), rows)


def _diagnosis(diagnoses: list) -> str:
    if not diagnoses:
        return "## Diagnosis\n\nNo likely cause found: every step the flow ran agrees."
    lines = ["## Diagnosis", ""]
    for d in diagnoses:
        lines.append(f"- **{_inline(d.get('severity'))}** `{_code(d.get('id'))}` "
                     f"({_inline(d.get('step'))}): {_inline(d.get('summary'))}")
        if d.get("fix"):
            lines.append(f"  - Fix: {_inline(d.get('fix'))}")
    return "\n".join(lines)


def _steps(steps: list) -> str:
    rows = [(s.get("step"), s.get("status"), s.get("summary")) for s in steps]
    return "## Steps\n\n" + _table(("step", "status", "summary"), rows) if rows else ""


def _exchanges(exchanges: list) -> str:
    if not exchanges:
        return ""
    sections = ["## Exchanges"]
    for number, record in enumerate(exchanges, 1):
        sections.append(_exchange(number, record))
    return "\n\n".join(sections)


def _exchange(number: int, record: dict) -> str:
    request, response = record["request"], record.get("response")
    outcome = (f"HTTP {response['status']}" if response
               else f"no answer: {record.get('error') or 'unknown'}")
    labels = f" ({', '.join(map(str, record.get('labels') or []))})" if record.get("labels") else ""
    lines = [f"### {number}. {_inline(request['method'])} {_inline(request['url'])} → "
             f"{_inline(outcome)}{_inline(labels)}", "", _fenced(_curl(record), "sh")]
    if response and response.get("body"):
        lines += ["", "Response body:", "", _fenced(_body(str(response["body"])), "")]
    return "\n".join(lines)


def _curl(record: dict) -> str:
    """The exchange as curl, its values as the session holds them (already masked)."""
    request = record["request"]
    headers = [(str(h["name"]), str(h["value"])) for h in request.get("headers") or []]
    body = request.get("body")
    return curl_command(str(request["method"]), str(request["url"]), headers,
                        None if body is None else str(body))


def _body(text: str) -> str:
    """A body pretty-printed when JSON, cut at MAX_BODY_CHARS."""
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        pass
    return text if len(text) <= MAX_BODY_CHARS else text[:MAX_BODY_CHARS] + "\n… (cut)"


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_inline(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _inline(value: object) -> str:
    """A value on one line, with Markdown's and HTML's active characters escaped."""
    text = value if isinstance(value, str) else "" if value is None else json.dumps(value)
    text = re.sub(r"[\r\n\t]+", " ", text)
    return re.sub(r"([\\`*\[\]<>|])", r"\\\1", text)


def _code(value: object) -> str:
    return str(value or "").replace("`", "'")


def _fenced(text: str, language: str) -> str:
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}{language}\n{text}\n{fence}"
