"""Masking: the one list of what is secret and the one walk that hides it (DESIGN.md §3, §7).

Every output of the tool goes through `redact` (or `Redactor`, which it builds): `flow --json`,
the transcript and its curl commands, saved sessions, HAR and Markdown exports, sanitized HARs,
copies made in the TUI without F2. A secret is found by where it stands (a field, header,
cookie or parameter named in the lists below, a JWT anywhere) and then by its value: once seen,
the same value is hidden wherever else it turns up (a code echoed in a page, a token in a
summary). A masked value keeps its length and the first 6 hex digits of its SHA-256, e.g.
`••••••(43·a1b2c3)`, so two masked values can still be compared; masking is idempotent.

Personal claims (`sub`, `email`, `name`...) are hidden only when `personal` is asked for
(exports): the flow's own JSON shows the decoded claims, which the engineer needs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
from collections.abc import Iterable
from functools import partial
from urllib.parse import unquote_plus

from pkce_tui.core.http import Exchange, Headers, HttpRequest, HttpResponse

MASK = "••••••"
#: Fields (form, query, fragment, JSON) whose values are secrets, compared lowercased.
#: `answer` is CyberArk's password field; `auth`/`token` its login answer's session values.
SECRET_FIELDS = frozenset({
    "client_secret", "password", "answer", "client_assertion", "assertion",
    "code", "code_verifier", "verifier", "verifier_bytes_hex", "device_code",
    "access_token", "refresh_token", "id_token", "id_token_hint", "logout_token", "token",
    "subject_token", "actor_token", "auth",
})
#: Headers whose values are credentials or session cookies.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
#: Claims about the person, hidden in exports (`personal`); found in claim sets (below).
PERSONAL_CLAIMS = frozenset({
    "sub", "email", "name", "given_name", "family_name", "middle_name", "nickname",
    "preferred_username", "phone_number", "address", "birthdate", "picture", "profile",
    "website", "upn", "unique_name", "oid", "user", "userid", "displayname", "username",
    "emailaddress",
})
#: Fields naming the person wherever they stand, hidden with the personal claims.
PERSONAL_FIELDS = frozenset({"username", "login_hint"})
#: A JSON object holding one of these is a set of claims about a user (ID token payload,
#: userinfo, CyberArk's Whoami and login `Result`).
CLAIM_SET_MARKERS = frozenset({"sub", "user", "userid"})
#: Headers curl works out itself; copying them would break an edited or masked body.
CURL_OWN_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding"})
#: Known values shorter than this are hidden where they stand, but not searched for elsewhere.
MIN_SEARCHED_LENGTH = 4

_MASKED = re.compile(r"•+\(\d+(?:·[0-9a-f]{6})?\)")
_ERROR_CODE = re.compile(r"[A-Z0-9_.\- ]+")  # PingOne's {"code": "INVALID_DATA"} is no secret
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){2,4}")
_NAMES = "|".join(sorted((re.escape(name) for name in SECRET_FIELDS), key=len, reverse=True))
_PARAM = re.compile(rf"(?<![A-Za-z0-9_.-])({_NAMES})=([^&#;\s\"'<>]+)", re.IGNORECASE)
_JSON_FIELD = re.compile(rf"\"({_NAMES})\"(\s*:\s*)\"((?:[^\"\\]|\\.)*)\"", re.IGNORECASE)
#: Personal fields found in JSON text (a HAR's bodies) when personal claims are hidden.
PERSONAL_TEXT_FIELDS = PERSONAL_FIELDS | {"email", "preferred_username", "user", "given_name",
                                          "family_name", "phone_number", "sub"}
_PERSONAL_JSON_FIELD = re.compile(
    rf"\"({'|'.join(sorted(PERSONAL_TEXT_FIELDS, key=len, reverse=True))})\"(\s*:\s*)"
    r"\"((?:[^\"\\]|\\.)*)\"", re.IGNORECASE)
_HEADER_LINE = re.compile(r"^(authorization|proxy-authorization|cookie|set-cookie)([ \t]*:[ \t]*)"
                          r"([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
#: Where joined Set-Cookie values part: a comma before `name=` (not the one in an Expires date).
_SET_COOKIES = re.compile(r",\s*(?=[^;=\s,]+=)")
_PAIR_LISTS = frozenset({"headers", "cookies", "querystring", "params"})


def mask(value: str) -> str:
    """The stand-in for a secret: its length and a short fingerprint, `••••••(8·1a2b3c)`."""
    if is_masked(value):
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{MASK}({len(value)}·{digest})"


def is_masked(value: str) -> bool:
    return bool(_MASKED.fullmatch(value))


def redact(document: object, *, secrets: Iterable[str | None] = (), reveal: bool = False,
           personal: bool = False) -> object:
    """`document` (JSON values, or a string) with every secret masked; as is when `reveal`.

    `secrets` are values known to be secret already (the flow's verifier, code, tokens);
    more are learnt from the document itself before anything is masked, so a value is hidden
    everywhere once it is secret anywhere. `personal` also hides personal claims (exports).
    """
    if reveal:
        return document
    redactor = Redactor(secrets, personal=personal)
    redactor.learn(document)
    return redactor.redact(document)


class Redactor:
    """Masks secrets in JSON values and text, learning values to hide as it goes.

    `learn` walks a document recording every secret it finds without changing it; `redact`
    returns a masked copy. Use `redact()` (the function) unless several documents share what
    is known (a transcript and its curl commands).
    """

    def __init__(self, secrets: Iterable[str | None] = (), *, personal: bool = False) -> None:
        self.personal = personal
        self.known: set[str] = {s for s in secrets if s and not is_masked(s)}
        self._learning = False
        self._pattern: re.Pattern | None = None
        #: What was masked, as (kind, name): kind is field, header, cookie, jwt, personal or
        #: repeated (a value secret elsewhere), name the field, header or cookie it was under.
        self.masked: list[tuple[str, str]] = []

    def learn(self, document: object) -> None:
        """Record the secrets `document` holds (by field, header, cookie and JWT)."""
        self._learning = True
        try:
            self._walk(document, None)
        finally:
            self._learning = False
            self._pattern = None

    def redact(self, document: object) -> object:
        return self._walk(document, None)

    def text(self, value: str) -> str:
        """Free text (URL, form body, page, JSON text, curl line) with its secrets masked."""
        if value in self.known or not value:
            return self._hide(value, "repeated") if value else value
        if self._learning and value[:1] in "{[":
            self._learn_json_text(value)
        value = _HEADER_LINE.sub(lambda m: m[1] + m[2] + self.header(m[1], m[3]), value)
        value = _JWT.sub(self._jwt, value)
        value = _PARAM.sub(lambda m: f"{m[1]}={self._param(m[1], m[2])}", value)
        value = _JSON_FIELD.sub(self._json_field, value)
        if self.personal:
            value = _PERSONAL_JSON_FIELD.sub(partial(self._json_field, kind="personal"), value)
        return self._searched(value)

    def header(self, name: str, value: str) -> str:
        """A header's value with credentials and cookie values masked; scheme, cookie names
        and cookie attributes stay readable."""
        lowered = name.lower()
        if lowered == "set-cookie":  # may be several, joined with ", " (RFC 9110 §5.3)
            return ", ".join(self._set_cookie(one) for one in _SET_COOKIES.split(value))
        if lowered == "cookie":
            return self._cookie_pairs(value)
        if lowered in SECRET_HEADERS:
            scheme, space, credentials = value.strip().partition(" ")
            hidden = self._hide(credentials if space else value, "header", name)
            return f"{scheme} {hidden}" if space else hidden
        return self.text(value)

    def field(self, name: str, value: object) -> object:
        """The value of field `name` (form, query, JSON): hidden when the name is secret."""
        if isinstance(value, str) and _secret_field(name, value):
            return self._hide(value, "field", name)
        return self._walk(value, name)

    # -- the walk ------------------------------------------------------------------------

    def _walk(self, value: object, key: str | None) -> object:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self._walk(item, key) for item in value]
        if not isinstance(value, dict):
            return value
        context = (key or "").lower()
        if context in _PAIR_LISTS and _is_pair(value):
            return self._pair(value, context)
        if context == "headers":
            return {name: self._header_value(name, item) for name, item in value.items()}
        personal = self._personal_names(value)
        return {name: self._hide_all(item, str(name)) if str(name).lower() in personal
                else self.field(str(name), item) for name, item in value.items()}

    def _personal_names(self, value: dict) -> frozenset[str]:
        """The keys of `value` that name the person, when personal claims are hidden."""
        if not self.personal:
            return frozenset()
        if any(str(key).lower() in CLAIM_SET_MARKERS for key in value):
            return PERSONAL_CLAIMS | PERSONAL_FIELDS
        return PERSONAL_FIELDS

    def _pair(self, pair: dict, kind: str) -> dict:
        """HAR's `{"name", "value", ...}` objects in headers, cookies, queryString, params."""
        name, value = str(pair["name"]), pair["value"]
        if not isinstance(value, str):
            shown = self._walk(value, name)
        elif kind == "headers":
            shown = self.header(name, value)
        elif kind == "cookies":
            shown = self._hide(value, "cookie", name)
        else:
            shown = self.field(name, value)
        return {k: shown if k == "value" else v if k == "name" else self._walk(v, k)
                for k, v in pair.items()}

    def _header_value(self, name: str, value: object) -> object:
        return self.header(name, value) if isinstance(value, str) else self._walk(value, name)

    def _hide_all(self, value: object, name: str) -> object:
        """Every string inside `value` hidden (a personal claim may be an object: address)."""
        if isinstance(value, str):
            return self._hide(value, "personal", name)
        if isinstance(value, list):
            return [self._hide_all(item, name) for item in value]
        if isinstance(value, dict):
            return {k: self._hide_all(v, name) for k, v in value.items()}
        return value

    # -- one value -------------------------------------------------------------------------

    def _hide(self, value: str, kind: str, name: str = "") -> str:
        """`value` masked, recorded in `masked` as (kind, name); learnt while learning."""
        if not value or is_masked(value):
            return value
        if self._learning:
            self.known.add(value)
            return value
        self.masked.append((kind, name))
        return mask(value)

    def _jwt(self, match: re.Match) -> str:
        """A JWT masked whole; while learning, the personal claims it carries are learnt."""
        if self._learning and self.personal:
            self._walk(_jwt_payload(match[0]), None)
        return self._hide(match[0], "jwt")

    def _learn_json_text(self, text: str) -> None:
        """A body that is JSON text is learnt as the values it holds (claims, tokens)."""
        try:
            self._walk(json.loads(text), None)
        except (ValueError, RecursionError):
            pass

    def _param(self, name: str, raw: str) -> str:
        """A `name=value` value as written (percent-encoded): masked as its decoded value."""
        value = unquote_plus(raw)
        if is_masked(raw) or _exempt(name, value):
            return raw
        hidden = self._hide(value, "field", name)
        return raw if self._learning else hidden

    def _json_field(self, match: re.Match, kind: str = "field") -> str:
        try:
            value = json.loads(f'"{match[3]}"')
        except ValueError:
            return match[0]
        if not value or is_masked(value) or _exempt(match[1], value):
            return match[0]
        hidden = json.dumps(self._hide(value, kind, match[1]), ensure_ascii=False)
        return f'"{match[1]}"{match[2]}{hidden}'

    def _set_cookie(self, value: str) -> str:
        """One Set-Cookie: the first pair is the cookie, its attributes follow (RFC 6265 §4.1)."""
        cookie, separator, attributes = value.partition(";")
        return self._cookie_pairs(cookie) + separator + attributes

    def _cookie_pairs(self, value: str) -> str:
        """`a=1; b=2` as `a=••••••(1·…); b=••••••(1·…)`: which cookies were sent stays readable."""
        pairs = (part.partition("=") for part in value.split(";"))
        return ";".join(f"{name}={self._hide(secret, 'cookie', name.strip())}" if sep
                        else self._hide(name, "cookie") for name, sep, secret in pairs)

    def _searched(self, value: str) -> str:
        """Known secrets inside `value`, where they stand apart from other letters and digits."""
        pattern = self._known_pattern()
        return pattern.sub(lambda m: self._hide(m[0], "repeated"), value) if pattern else value

    def _known_pattern(self) -> re.Pattern | None:
        if self._learning:
            return None
        if self._pattern is None:
            searched = sorted((s for s in self.known if len(s) >= MIN_SEARCHED_LENGTH),
                              key=len, reverse=True)
            if not searched:
                return None
            alternatives = "|".join(re.escape(s) for s in searched)
            self._pattern = re.compile(f"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")
        return self._pattern


def _jwt_payload(token: str) -> object:
    """The claims of a JWT, or None when its second part is not base64url JSON."""
    try:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, IndexError, RecursionError):
        return None


def _secret_field(name: str, value: str) -> bool:
    return name.lower() in SECRET_FIELDS and not _exempt(name, value)


def _exempt(name: str, value: str) -> bool:
    """`code` that names an error (`INVALID_DATA`) rather than carrying a grant."""
    return name.lower() == "code" and bool(_ERROR_CODE.fullmatch(value))


def _is_pair(value: dict) -> bool:
    return isinstance(value.get("name"), str) and "value" in value


# -- requests, responses and exchanges as shown ----------------------------------------------


def _header_dict(headers: Headers) -> dict[str, str]:
    """Headers by name; a repeated header's values are joined with ", " (RFC 9110 §5.3)."""
    joined: dict[str, str] = {}
    for name, value in headers:
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


def request_json(request: HttpRequest) -> dict:
    """`{"method", "url", "headers", "body"}` as sent, nothing masked: `redact` it to show it.

    The body is a dict for form and JSON bodies and None when there is none.
    """
    body = dict(request.form) if request.form is not None else request.json_body
    return {"method": request.method, "url": request.url,
            "headers": _header_dict(request.all_headers()), "body": body}


def response_json(response: HttpResponse) -> dict:
    """`{"status", "headers", "body", "elapsed_ms"}` as received, nothing masked: body parsed
    when JSON, else text; how long the server took, for slow-endpoint debugging."""
    return {"status": response.status, "headers": _header_dict(response.headers),
            "body": response.body_for_display(), "elapsed_ms": response.elapsed_ms}


def exchange_json(exchange: Exchange) -> dict:
    """One exchange, nothing masked: `redact` it (or `Transcript.redacted`) to show it."""
    return {"request": request_json(exchange.request),
            "response": response_json(exchange.response) if exchange.response else None,
            "error": exchange.error, "labels": list(exchange.labels)}


def masked_request(request: HttpRequest, *, reveal: bool = False,
                   secrets: Iterable[str | None] = ()) -> dict:
    """`request_json` with secrets masked unless `reveal`."""
    return redact(request_json(request), secrets=secrets, reveal=reveal)  # type: ignore[return-value]


def to_curl(request: HttpRequest, *, reveal: bool = False,
            redactor: Redactor | None = None) -> str:
    """A shell-quoted curl command that sends `request`; secrets masked unless `reveal`.

    `redactor` brings what the flow already knows to be secret.
    """
    if reveal:
        return curl_command(request.method, request.url, request.all_headers(), request.body)
    if redactor is None:
        redactor = Redactor()
        redactor.learn(request_json(request))
    headers = [(name, redactor.header(name, value)) for name, value in request.all_headers()]
    body = redactor.text(request.body) if request.body is not None else None
    return curl_command(request.method, redactor.text(request.url), headers, body)


def curl_command(method: str, url: str, headers: Iterable[tuple[str, str]],
                 body: str | None) -> str:
    """curl sending exactly these values, shell-quoted, one option per line; curl's own
    headers (Host, Content-Length...) are left to curl."""
    quote = shlex.quote
    lines = ["curl"]
    if method != ("GET" if body is None else "POST"):
        lines.append(f"--request {quote(method)}")
    if any(char in url for char in "[]{}"):
        lines.append("--globoff")  # IPv6 literals are not curl URL globs
    lines.append(quote(url))
    for name, value in headers:
        if name.lower() not in CURL_OWN_HEADERS:
            lines.append(f"--header {quote(f'{name}: {value}')}")
    if body is not None:
        lines.append(f"--data-raw {quote(body)}")
    return " \\\n  ".join(lines)


def redacted_exchange(exchange: Exchange, *, secrets: Iterable[str | None] = ()) -> dict:
    """One exchange for export: secrets and tokens masked in the request and the response."""
    return redact(exchange_json(exchange), secrets=secrets)  # type: ignore[return-value]


def mask_header(name: str, value: str) -> str:
    """One header's value as shown: credentials and cookie values masked."""
    return Redactor().header(name, value)
