"""What one step of a flow produced, and its `flow --json` form (DESIGN.md §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pkce_tui.core.http import Exchange, HttpRequest, HttpResponse
from pkce_tui.core.redaction import exchange_json, request_json, response_json

if TYPE_CHECKING:
    from pkce_tui.core.server_says import ServerSays


@dataclass(frozen=True)
class StepResult:
    """A status, a one-line summary, the step's JSON fields and its HTTP traffic.

    `value` holds the typed output (Endpoints, Challenge, RedirectResult, TokenResponse,
    JwtReport, ...) that later steps read; it is not part of the JSON. `server_says` is the
    server's own words about a refusal, by field (`core/server_says.py`).
    """

    name: str
    status: str
    summary: str
    data: dict = field(default_factory=dict)
    request: HttpRequest | None = None
    response: HttpResponse | None = None
    error: str | None = None
    exchanges: tuple[Exchange, ...] = ()
    value: Any = None
    at: float = 0.0
    server_says: ServerSays | None = None

    @property
    def failed(self) -> bool:
        return self.status == "error"

    def to_json(self) -> dict:
        """The step's `flow --json` fields with nothing masked: `FlowState.to_json` masks the
        whole document at once, so a secret seen in one step is hidden in every other."""
        document: dict[str, Any] = {"step": self.name, "status": self.status,
                                    "summary": self.summary, **self.data}
        if self.request is not None:
            document["request"] = request_json(self.request)
        if self.response is not None:
            document["response"] = response_json(self.response)
        if self.exchanges:
            document["exchanges"] = [_exchange_json(e) for e in self.exchanges]
        if self.server_says is not None or self.request or self.response or self.exchanges:
            words = self.server_says or _words_of(self.response)
            document["server_says"] = words.to_json() if words else None
        # The redirect step's own `error` is the OAuth error code (parse-redirect's shape);
        # every other step's `error` is its one-line failure reason.
        document.setdefault("error", self.error)
        return document


def _words_of(response: HttpResponse | None) -> ServerSays | None:
    """What a response says, for steps that did not keep it (follow-ups, rebuilt HAR steps).
    Loaded here, not at import: the flow model starts without the HTML parser."""
    from pkce_tui.core.server_says import from_response

    return from_response(response)


def _exchange_json(exchange: Exchange) -> dict:
    shown = exchange_json(exchange)
    del shown["labels"]
    return shown
