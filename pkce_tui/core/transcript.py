"""Every HTTP exchange of a flow as sent and received, shown with secrets masked, and as curl.

Masking hides what lets someone act as the client or the user: client secrets, passwords,
client assertions, the Authorization, Cookie and Set-Cookie values. The code and the
code_verifier stay visible because users debug them. Exports (`Transcript.redacted`) also hide
tokens, which the flow's own JSON shows in full (DESIGN.md §3, §7).
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import replace
from urllib.parse import parse_qsl, quote_plus, urlsplit

import httpx

from pkce_tui.core import http
from pkce_tui.core.errors import NetworkError
from pkce_tui.core.http import Exchange, Headers, HttpRequest, HttpResponse

#: Form and JSON fields whose values are secrets (`Answer` is CyberArk's password field).
SECRET_FORM_FIELDS = frozenset({"client_secret", "password", "client_assertion", "answer"})
#: Fields that carry tokens; hidden only in exports.
TOKEN_FIELDS = frozenset({"access_token", "refresh_token", "id_token", "token"})
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
#: Headers curl works out itself; copying them would break an edited or masked body.
CURL_OWN_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding"})
MASK = "••••••"


def mask(value: str) -> str:
    """A stand-in that keeps only the length, e.g. `••••••(8)`."""
    return f"{MASK}({len(value)})"


def _mask_cookie_pairs(value: str) -> str:
    """`a=1; b=2` as `a=••••••(1); b=••••••(1)`: which cookies were sent stays readable."""
    pairs = (part.partition("=") for part in value.split(";"))
    return ";".join(f"{name}={mask(secret)}" if sep else mask(name) for name, sep, secret in pairs)


def mask_header(name: str, value: str) -> str:
    """A secret header's value masked: the auth scheme, cookie names and attributes stay."""
    lowered = name.lower()
    if lowered not in SECRET_HEADERS:
        return value
    if lowered == "set-cookie":  # only the first pair is the cookie; attributes follow
        cookie, separator, attributes = value.partition(";")
        return _mask_cookie_pairs(cookie) + separator + attributes
    if lowered == "cookie":
        return _mask_cookie_pairs(value)
    scheme, space, credentials = value.partition(" ")
    return f"{scheme} {mask(credentials)}" if space else mask(value)


def _shown_headers(headers: Headers, reveal: bool) -> list[tuple[str, str]]:
    return [(name, value if reveal else mask_header(name, value)) for name, value in headers]


def _header_dict(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers by name; a repeated header's values are joined with ", " (RFC 9110 §5.3)."""
    joined: dict[str, str] = {}
    for name, value in headers:
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


def _masked_value(name: str, value: object, names: frozenset[str]) -> object:
    """`value` masked when `name` is one of `names` (any case), recursing into JSON values."""
    if name.lower() in names and isinstance(value, str):
        return mask(value)
    return _masked_json(value, names)


def _masked_json(value: object, names: frozenset[str]) -> object:
    if isinstance(value, dict):
        return {key: _masked_value(str(key), item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_json(item, names) for item in value]
    return value


def _masked_pairs(pairs, names: frozenset[str]) -> list[tuple[str, str]]:
    return [(name, mask(value) if name.lower() in names else value) for name, value in pairs]


def _encoded_form(pairs, names: frozenset[str]) -> str:
    """Form-urlencoded like `urlencode`, with the values of `names` masked and left readable."""
    return "&".join(
        f"{quote_plus(name)}={mask(value) if name.lower() in names else quote_plus(value)}"
        for name, value in pairs
    )


def _masked_url(url: str, names: frozenset[str]) -> str:
    """The URL with secret query parameters masked (CyberArk examples put client_secret there)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(name.lower() in names for name, _ in pairs):
        return url
    return parts._replace(query=_encoded_form(pairs, names)).geturl()


def _shown_body(request: HttpRequest, names: frozenset[str]) -> dict | None:
    if request.form is not None:
        return dict(_masked_pairs(request.form, names))
    if request.json_body is not None:
        return _masked_json(request.json_body, names)  # type: ignore[return-value]
    return None


def masked_request(request: HttpRequest, *, reveal: bool = False) -> dict:
    """`{"method", "url", "headers", "body"}` as sent; secrets masked unless `reveal`.

    The body is a dict for form and JSON bodies and None when there is none.
    """
    return _request_json(request, frozenset() if reveal else SECRET_FORM_FIELDS, reveal)


def _request_json(request: HttpRequest, names: frozenset[str], reveal: bool) -> dict:
    return {
        "method": request.method,
        "url": _masked_url(request.url, names),
        "headers": _header_dict(_shown_headers(request.all_headers(), reveal)),
        "body": _shown_body(request, names),
    }


def response_json(response: HttpResponse) -> dict:
    """`{"status", "headers", "body", "elapsed_ms"}`: body parsed when JSON, else text;
    Set-Cookie masked; how long the server took, for slow-endpoint debugging."""
    return {
        "status": response.status,
        "headers": _header_dict(_shown_headers(response.headers, reveal=False)),
        "body": response.body_for_display(),
        "elapsed_ms": response.elapsed_ms,
    }


def _curl_body(request: HttpRequest, reveal: bool) -> str | None:
    """The body for `--data-raw`: the wire text, or the same with secret values masked."""
    if reveal or request.body is None:
        return request.body
    if request.form is not None:
        return _encoded_form(request.form, SECRET_FORM_FIELDS)
    return json.dumps(_masked_json(request.json_body, SECRET_FORM_FIELDS), ensure_ascii=False)


def to_curl(request: HttpRequest, *, reveal: bool = False) -> str:
    """A shell-quoted curl command that sends `request`; secrets masked unless `reveal`.

    One option per line; curl's own headers (Host, Content-Length...) are left to curl.
    """
    quote = shlex.quote
    body = _curl_body(request, reveal)
    lines = ["curl"]
    if request.method != ("GET" if body is None else "POST"):
        lines.append(f"--request {quote(request.method)}")
    if any(char in request.url for char in "[]{}"):
        lines.append("--globoff")  # IPv6 literals are not curl URL globs
    lines.append(quote(_masked_url(request.url, frozenset() if reveal else SECRET_FORM_FIELDS)))
    for name, value in _shown_headers(request.all_headers(), reveal):
        if name.lower() not in CURL_OWN_HEADERS:
            lines.append(f"--header {quote(f'{name}: {value}')}")
    if body is not None:
        lines.append(f"--data-raw {quote(body)}")
    return " \\\n  ".join(lines)


def _request_value(request: httpx.Request) -> HttpRequest:
    """An httpx request as the value it went out as: real headers, form or JSON object body."""
    text = request.content.decode("utf-8", "replace")
    content_type = request.headers.get("content-type", "").lower()
    form = json_body = None
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = tuple(parse_qsl(text, keep_blank_values=True))
    elif "json" in content_type:
        json_body = _json_object(text)
    return HttpRequest(method=request.method, url=str(request.url),
                       headers=tuple(request.headers.multi_items()), form=form,
                       json_body=json_body)


def _json_object(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _response_value(response: httpx.Response, elapsed_ms: float) -> HttpResponse:
    """An httpx response kept verbatim, decoded and bounded the way `http.send` does."""
    body = response.content[:http.MAX_BODY_BYTES]
    return HttpResponse(
        status=response.status_code, headers=tuple(response.headers.multi_items()),
        body=body.decode(response.encoding or "utf-8", "replace"),
        elapsed_ms=round(elapsed_ms, 1), url=str(response.url),
    )


def redacted_exchange(exchange: Exchange) -> dict:
    """One exchange for export: secrets and tokens masked in the request and the response."""
    names = SECRET_FORM_FIELDS | TOKEN_FIELDS
    response = response_json(exchange.response) if exchange.response else None
    if response is not None:
        response["body"] = _masked_json(response["body"], names)
    return {"request": _request_json(exchange.request, names, reveal=False),
            "response": response, "error": exchange.error, "labels": list(exchange.labels)}


class Transcript:
    """Every HTTP exchange of a flow, as sent and received, recorded by httpx event hooks.

    Pass `event_hooks()` to `new_client`; each request is recorded when it leaves, and its
    response fills it in. A request that gets no answer stays recorded without a response until
    `record_error` (or `send`, which calls it) says what stopped it.
    """

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._pending: dict[int, tuple[httpx.Request, int, float]] = {}

    def event_hooks(self) -> dict:
        """`{"request": [...], "response": [...]}` for `httpx.AsyncClient(event_hooks=...)`."""
        return {"request": [self._on_request], "response": [self._on_response]}

    async def _on_request(self, request: httpx.Request) -> None:
        self._pending[id(request)] = (request, len(self.exchanges), time.perf_counter())
        self.exchanges.append(Exchange(request=_request_value(request)))

    async def _on_response(self, response: httpx.Response) -> None:
        await response.aread()
        _, index, started = self._pending.pop(id(response.request))
        value = _response_value(response, (time.perf_counter() - started) * 1000)
        self.exchanges[index] = replace(self.exchanges[index], response=value)

    def record_error(self, request: HttpRequest, error_text: str) -> None:
        """Mark the newest unanswered exchange to `request`'s URL as failed, or add one.

        A request can fail before the hooks see it (an invalid URL), hence the fallback.
        """
        for entry, (_, index, _) in reversed(list(self._pending.items())):
            recorded = self.exchanges[index]
            if (recorded.request.method, recorded.request.url) == _target(request):
                del self._pending[entry]
                self.exchanges[index] = replace(recorded, error=error_text)
                return
        self.exchanges.append(Exchange(request=request, error=error_text))

    async def send(self, client: httpx.AsyncClient, request: HttpRequest) -> HttpResponse:
        """`http.send`, with a failure recorded before the `NetworkError` goes on up."""
        try:
            return await http.send(client, request)
        except NetworkError as exc:
            self.record_error(request, str(exc))
            raise

    def redacted(self) -> list[dict]:
        """Every exchange for export, with secrets and tokens masked (DESIGN.md §7)."""
        return [redacted_exchange(exchange) for exchange in self.exchanges]


def _target(request: HttpRequest) -> tuple[str, str]:
    """Method and URL as httpx writes them, so a recorded request can be matched."""
    try:
        return request.method.upper(), str(httpx.URL(request.url))
    except httpx.InvalidURL:
        return request.method.upper(), request.url
