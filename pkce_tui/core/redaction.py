"""HTTP exchanges shown with secrets masked, exported redacted, and as curl commands.

Masking hides what lets someone act as the client or the user: client secrets, passwords,
client assertions, the Authorization, Cookie and Set-Cookie values. The code and the
code_verifier stay visible because users debug them. Exports (`Transcript.redacted`) also hide
tokens, which the flow's own JSON shows in full (DESIGN.md §3, §7). Recording exchanges off the wire
is `transcript.py`'s job.
"""

from __future__ import annotations

import json
import shlex
from urllib.parse import parse_qsl, quote_plus, urlsplit

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


def redacted_exchange(exchange: Exchange) -> dict:
    """One exchange for export: secrets and tokens masked in the request and the response."""
    names = SECRET_FORM_FIELDS | TOKEN_FIELDS
    response = response_json(exchange.response) if exchange.response else None
    if response is not None:
        response["body"] = _masked_json(response["body"], names)
    return {"request": _request_json(exchange.request, names, reveal=False),
            "response": response, "error": exchange.error, "labels": list(exchange.labels)}
