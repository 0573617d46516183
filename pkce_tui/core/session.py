"""Saved sessions: a flow's configuration, every step, the diagnosis and every exchange, as a
versioned JSON file (`flow --save`, the TUI's save key; read by `--open` and `export`).

A session is masked (`redaction.redact`, personal claims included) unless the user asks to keep
the secrets; then the file is written mode 0600. The format carries its version under
`pkce_tui_session`: a file from a newer version, or one that is not a session, is refused with
one line naming why.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path

from pkce_tui import __version__
from pkce_tui.core.diagnose import Diagnosis
from pkce_tui.core.errors import InputError
from pkce_tui.core.flow import FlowConfig, FlowState
from pkce_tui.core.http import Exchange, HttpRequest, HttpResponse
from pkce_tui.core.json_input import json_object
from pkce_tui.core.redaction import is_masked
from pkce_tui.core.server_says import ServerSays
from pkce_tui.core.step_result import StepResult

SESSION_VERSION = 1
VERSION_KEY = "pkce_tui_session"
MAX_SESSION_BYTES = 64 * 1024 * 1024
REVEALED_WARNING = "the session file holds live secrets and tokens (--reveal): written mode 0600"
#: Step JSON keys that are not the step's own data fields.
_STEP_KEYS = ("step", "status", "summary", "request", "response", "exchanges", "error",
              "server_says")
_OAUTH_ERROR_FIELDS = ("error", "error_description", "error_uri")


@dataclass(frozen=True)
class Session:
    """A loaded session: the flow as it was saved, its exchanges, and whether it is masked."""

    state: FlowState
    exchanges: tuple[Exchange, ...]
    masked: bool
    created: str


# -- writing -----------------------------------------------------------------------------------


def session_document(state: FlowState, exchanges: list[Exchange] | None = None, *,
                     reveal: bool = False, created: datetime | None = None) -> dict:
    """The session as a JSON object; masked, personal claims included, unless `reveal`.

    `exchanges` is every exchange on the wire (the transcript); without one, the steps' own
    requests and responses in flow order.
    """
    moment = (created or datetime.now(UTC)).isoformat(timespec="milliseconds")
    raw = {VERSION_KEY: SESSION_VERSION, "created": moment, "tool": f"pkce-tui {__version__}",
           "masked": not reveal, "config": _config_json(state.config),
           "overrides": state.overrides.active(), **state.raw_json(),
           "exchanges": [exchange_record(e) for e in (exchanges or state_exchanges(state))]}
    if reveal:
        return raw
    redactor = state.redactor(personal=True)
    redactor.learn(raw)
    return redactor.redact(raw)  # type: ignore[return-value]


def state_exchanges(state: FlowState) -> list[Exchange]:
    """The exchanges the steps made, in flow order: each step's hops, then its own request."""
    found: list[Exchange] = []
    for step in state.steps:
        result = state.result(step)
        if result is None:
            continue
        found.extend(result.exchanges)
        if result.request is not None:
            found.append(Exchange(result.request, result.response, result.error, (step,)))
    return found


def exchange_record(exchange: Exchange) -> dict:
    """One exchange as stored: headers as HAR's name/value pairs, bodies as the text sent."""
    request, response = exchange.request, exchange.response
    record = {"request": {"method": request.method, "url": request.url,
                          "headers": _pairs(request.all_headers()), "body": request.body},
              "response": None, "error": exchange.error, "labels": list(exchange.labels)}
    if response is not None:
        record["response"] = {"status": response.status, "headers": _pairs(response.headers),
                              "body": response.body, "elapsed_ms": response.elapsed_ms,
                              "url": response.url}
    return record


def write_private_or_plain(path: str, text: str, *, private: bool) -> None:
    """Write `text` to `path`; a file holding secrets (`private`) is created mode 0600.

    An existing file is replaced, never widened: the mode is set before any byte is written.
    """
    target = Path(path)
    try:
        if private:
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from exc


def save_session(path: str, state: FlowState, exchanges: list[Exchange] | None = None, *,
                 reveal: bool = False) -> None:
    """Write the session to `path`: masked, or with its secrets and mode 0600 (`reveal`)."""
    document = session_document(state, exchanges, reveal=reveal)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_private_or_plain(path, text, private=reveal)


def _config_json(config: FlowConfig) -> dict:
    return {name: list(map(list, value)) if name in ("extra_params", "token_params") else value
            for name, value in asdict(config).items()}


def _pairs(headers) -> list[dict]:
    return [{"name": name, "value": value} for name, value in headers]


def default_session_path(now: datetime | None = None) -> str:
    """`pkce-tui-session-YYYYMMDD-HHMMSS.json` in the current directory (the TUI's save key)."""
    return f"pkce-tui-session-{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}.json"


# -- reading -----------------------------------------------------------------------------------


def replayable_config(config: FlowConfig) -> tuple[FlowConfig, tuple[str, ...]]:
    """`config` made ready to run again: masked values (a masked session's secret, password or
    verifier) are dropped, to be typed again; also says which were dropped."""
    dropped = tuple(f.name for f in fields(config)
                    if isinstance(getattr(config, f.name), str)
                    and is_masked(getattr(config, f.name)))
    return replace(config, **{name: None for name in dropped}), dropped


def is_session_text(text: str) -> bool:
    """Whether `text` is a JSON object naming the session format (a HAR is not)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and VERSION_KEY in document


def parse_session(text: str, source: str = "the session file") -> Session:
    """A session from its JSON text; anything else is an InputError in one line."""
    document = json_object(text, source)
    version = document.get(VERSION_KEY)
    if version is None:
        raise InputError(f"{source} is not a pkce-tui session (no {VERSION_KEY!r} key)")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError(f"{source} has an invalid session version {version!r}")
    if version > SESSION_VERSION:
        raise InputError(f"{source} was saved by a newer pkce-tui (session format {version}; "
                         f"this one reads up to {SESSION_VERSION})")
    try:
        return _session(document)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{source} is a malformed session: {_what(exc)}") from exc


def read_session(path: str) -> Session:
    return parse_session(read_text(path, "session file"), path)


def read_text(path: str, what: str) -> str:
    """A file's text, bounded; an unreadable or oversized one is an InputError."""
    try:
        with Path(path).open(encoding="utf-8", errors="replace") as handle:
            text = handle.read(MAX_SESSION_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the {what} {path}: {exc.strerror}") from exc
    if len(text) > MAX_SESSION_BYTES:
        raise InputError(f"the {what} {path} is larger than {MAX_SESSION_BYTES} bytes")
    return text


def _what(exc: Exception) -> str:
    return f"missing {exc}" if isinstance(exc, KeyError) else str(exc)


def _session(document: dict) -> Session:
    config = _config(document["config"])
    results = {}
    for step in _list(document.get("steps", []), "steps"):
        result = step_from_json(step)
        results[result.name] = result
    diagnosis = tuple(Diagnosis(**{k: str(d[k]) for k in ("id", "step", "severity", "summary",
                                                          "fix")})
                      for d in _list(document.get("diagnosis", []), "diagnosis"))
    state = FlowState(config=config, results=results, diagnosis=diagnosis)
    exchanges = tuple(_exchange(e) for e in _list(document.get("exchanges", []), "exchanges"))
    return Session(state, exchanges, bool(document.get("masked", True)),
                   str(document.get("created", "")))


def _config(value: object) -> FlowConfig:
    if not isinstance(value, dict):
        raise TypeError("config is not an object")
    known = {f.name: f for f in fields(FlowConfig)}
    chosen = {}
    for name, item in value.items():
        if name not in known:
            continue  # a field a later version added: left out, the rest still opens
        if name in ("extra_params", "token_params"):
            item = tuple((str(k), str(v)) for k, v in _list(item, name))
        chosen[name] = item
    return FlowConfig(**chosen)


def step_from_json(step: dict) -> StepResult:
    """A step as `flow --json` wrote it, back as a result the panes can show."""
    if not isinstance(step, dict) or not isinstance(step.get("step"), str):
        raise TypeError("a step is not an object with a step name")
    name = step["step"]
    data = {k: v for k, v in step.items() if k not in _STEP_KEYS}
    error = step.get("error")
    if name == "redirect" and "error" in step:  # its `error` is the OAuth error code
        data["error"] = error
        error = step["summary"] if step.get("status") == "error" else None
    exchanges = tuple(_exchange_from_step_json(e) for e in _list(step.get("exchanges", []),
                                                                 "exchanges"))
    return StepResult(name, str(step["status"]), str(step.get("summary", "")), data,
                      request=_request(step.get("request")),
                      response=_response(step.get("response")), error=error,
                      exchanges=exchanges, server_says=_server_says(step.get("server_says")))


def _server_says(value: object) -> ServerSays | None:
    """`server_says` as `flow --json` wrote it, back as the value (DESIGN.md §3)."""
    if not isinstance(value, dict):
        return None
    oauth = {name: value.get(name) for name in _OAUTH_ERROR_FIELDS}
    extras = {k: v for k, v in value.items() if k not in (*_OAUTH_ERROR_FIELDS, "source")}
    return ServerSays(str(value.get("source", "")), **oauth, extras=extras)


def _request(value: object) -> HttpRequest | None:
    """A request as `flow --json` shows it: headers by name, body a dict or None."""
    if value is None:
        return None
    headers = _header_pairs(value.get("headers"))
    body = value.get("body")
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    form = json_body = None
    if isinstance(body, dict) and "json" in content_type.lower():
        json_body = body
    elif isinstance(body, dict):
        form = tuple((str(k), str(v)) for k, v in body.items())
    return HttpRequest(str(value["method"]), str(value["url"]), headers, form, json_body)


def _response(value: object) -> HttpResponse | None:
    if value is None:
        return None
    body = value.get("body")
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return HttpResponse(int(value["status"]), _header_pairs(value.get("headers")), text,
                        float(value.get("elapsed_ms") or 0.0), str(value.get("url") or ""))


def _exchange_from_step_json(value: dict) -> Exchange:
    return Exchange(_request(value["request"]), _response(value.get("response")),  # type: ignore[arg-type]
                    value.get("error"))


def _exchange(value: dict) -> Exchange:
    """An exchange as the session stores it (`exchange_record`)."""
    request, response = value["request"], value.get("response")
    headers = _header_pairs(request.get("headers"))
    body = request.get("body")
    wire = HttpRequest(str(request["method"]), str(request["url"]), headers)
    if isinstance(body, str):
        wire = _with_body(wire, body)
    answer = None
    if response is not None:
        answer = HttpResponse(int(response["status"]), _header_pairs(response.get("headers")),
                              str(response.get("body") or ""),
                              float(response.get("elapsed_ms") or 0.0),
                              str(response.get("url") or ""))
    labels = tuple(str(label) for label in _list(value.get("labels", []), "labels"))
    return Exchange(wire, answer, value.get("error"), labels)


def _with_body(request: HttpRequest, body: str) -> HttpRequest:
    """The stored body text back as a form or JSON body, by the request's Content-Type."""
    from urllib.parse import parse_qsl

    content_type = (request.header("Content-Type") or "").lower()
    if "json" in content_type:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return HttpRequest(request.method, request.url, request.headers, json_body=parsed)
    return HttpRequest(request.method, request.url, request.headers,
                       form=tuple(parse_qsl(body, keep_blank_values=True)))


def _header_pairs(value: object) -> tuple[tuple[str, str], ...]:
    """Headers stored by name (`flow --json`) or as HAR's name/value pairs (exchanges)."""
    if value is None:
        return ()
    if isinstance(value, dict):
        return tuple((str(k), str(v)) for k, v in value.items())
    return tuple((str(pair["name"]), str(pair["value"])) for pair in _list(value, "headers"))


def _list(value: object, what: str) -> list:
    if not isinstance(value, list):
        raise TypeError(f"{what} is not a list")
    return value
