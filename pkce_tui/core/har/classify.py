"""What each HAR entry is to an OAuth flow: an authorize request, a pushed authorization
request, a token grant, discovery, a JWKS, userinfo, introspection, revocation, a logout, a
login hop, or noise (assets, analytics, favicons) to leave out.

Entries are recognised by the endpoints a discovery document in the HAR names, else by the
protocol's own shapes (RFC 6749 §4.1.1 and §4.1.3, OIDC Discovery §4, RFC 7517 §5, RFC 9126 §2,
RFC 7662 §2.1, RFC 7009 §2.1, RP-Initiated Logout 1.0 §2), not by host names, so any
provider's HAR reads.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from urllib.parse import parse_qsl, urlsplit

from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.har.document import HarEntry
from pkce_tui.core.har.response import carries_response
from pkce_tui.core.redirect_html import from_html

WELL_KNOWN_SUFFIXES = ("/.well-known/openid-configuration",
                       "/.well-known/oauth-authorization-server")
#: Chrome's `_resourceType` / Safari's `_fetchType` values that are never part of a login.
NOISE_TYPES = frozenset({"image", "font", "stylesheet", "script", "media", "manifest", "ping",
                         "texttrack", "websocket", "eventsource", "preflight", "beacon"})
NOISE_EXTENSIONS = (".js", ".mjs", ".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico",
                    ".webp", ".woff", ".woff2", ".ttf", ".otf", ".map", ".mp4", ".webm")
NOISE_MIME_PREFIXES = ("image/", "font/", "text/css", "text/javascript", "application/javascript",
                       "application/x-javascript", "video/", "audio/")
#: Each endpoint name of the HAR's discovery documents (RFC 8414 §2), with the URLs named.
Endpoints = Mapping[str, Collection[str]]
#: Hosts of analytics and monitoring scripts that ride along in every page's HAR.
NOISE_HOST_WORDS = ("google-analytics", "googletagmanager", "doubleclick", "analytics",
                    "segment.io", "hotjar", "sentry", "newrelic", "nr-data", "datadoghq",
                    "clarity.ms", "facebook.net", "optimizely", "fullstory", "mixpanel")


def query(url: str) -> dict[str, str]:
    """The URL's query parameters, the last of a repeated name winning."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def path(url: str) -> str:
    return urlsplit(url).path


def without_query(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl()


def is_noise(entry: HarEntry) -> bool:
    """Assets, analytics and favicons: never a step of the flow."""
    if (entry.resource_type or "").lower() in NOISE_TYPES:
        return True
    parts = urlsplit(entry.url)
    if parts.path.lower().endswith(NOISE_EXTENSIONS) or parts.scheme in ("data", "blob"):
        return True
    if any(word in (parts.hostname or "") for word in NOISE_HOST_WORDS):
        return True
    mime = (entry.response.header("Content-Type") or "").lower() if entry.response else ""
    return mime.startswith(NOISE_MIME_PREFIXES)


def authorize_params(entry: HarEntry) -> dict[str, str] | None:
    """The authorization request's parameters (query, or form for a POSTed authorize request),
    or None when the entry is not one: it names a client and asks for a response type or
    carries a PAR request_uri (RFC 6749 §4.1.1, RFC 9126 §4), and carries no code or error."""
    params = query(entry.url)
    if entry.request.method == "POST" and entry.request.form:
        params = {**params, **dict(entry.request.form)}
    if "client_id" not in params or carries_response(entry.url):
        return None
    if "response_type" in params or "request_uri" in params:
        return params
    return None


def discovery_document(entry: HarEntry) -> dict | None:
    """The OpenID Provider metadata an entry answered (OIDC Discovery §4.2), or None."""
    if not path(entry.url).endswith(WELL_KNOWN_SUFFIXES) or entry.response is None:
        return None
    document = entry.response.json()
    return document if document and "authorization_endpoint" in document else None


def jwks_document(entry: HarEntry) -> dict | None:
    """A JWK Set an entry answered (RFC 7517 §5), or None."""
    if entry.response is None or entry.request.method != "GET":
        return None
    document = entry.response.json()
    keys = document.get("keys") if document else None
    return document if isinstance(keys, list) else None


def grant_type(entry: HarEntry) -> str | None:
    """`authorization_code` or `refresh_token` for a token request (RFC 6749 §4.1.3, §6).

    A POST carrying a code and a redirect_uri without grant_type counts as a code exchange:
    clients that leave grant_type out are exactly the ones a support engineer must see.
    """
    if entry.request.method != "POST" or not entry.request.form:
        return None
    form = dict(entry.request.form)
    grant = form.get("grant_type")
    if grant in ("authorization_code", "refresh_token"):
        return grant
    if grant is None and "code" in form and ("redirect_uri" in form or "code_verifier" in form):
        return "authorization_code"
    return None


def par_request_uri(entry: HarEntry) -> str | None:
    """The request_uri a pushed authorization request answered (RFC 9126 §2.2), or None."""
    if entry.request.method != "POST" or not entry.request.form or entry.response is None:
        return None
    if not _names_client(entry):
        return None
    answer = entry.response.json() or {}
    request_uri = answer.get("request_uri")
    return request_uri if isinstance(request_uri, str) else None


def is_par(entry: HarEntry, endpoints: Endpoints) -> bool:
    """A pushed authorization request (RFC 9126 §2.1), answered or refused: a form POST to the
    endpoint discovery names, one answered with a request_uri, or one carrying an authorization
    request's response_type that a JSON error refused (§2.3; an authorization endpoint would
    answer a POSTed request with a page or a redirect)."""
    if entry.request.method != "POST" or not entry.request.form:
        return False
    if _at(entry, endpoints, "pushed_authorization_request_endpoint"):
        return True
    if entry.response is None or not _names_client(entry):
        return False
    answer = entry.response.json() or {}
    if isinstance(answer.get("request_uri"), str):
        return True
    return ("response_type" in dict(entry.request.form) and "error" in answer
            and entry.response.status >= 400)


def _names_client(entry: HarEntry) -> bool:
    """The form names a client or an authorization request, or the client authenticates."""
    form = dict(entry.request.form or ())
    return "client_id" in form or "response_type" in form or bool(
        entry.request.header("Authorization"))


def token_followup(entry: HarEntry, endpoints: Endpoints) -> str | None:
    """`introspection` (RFC 7662 §2.1) or `revocation` (RFC 7009 §2.1) for a form POST that
    carries a `token` and no grant: by the endpoint discovery names, else by the path's own
    word, else by an introspection answer's boolean `active` (§2.2); None otherwise."""
    form = dict(entry.request.form or ())
    if entry.request.method != "POST" or "token" not in form or "grant_type" in form:
        return None
    for step, name in (("introspection", "introspection_endpoint"),
                       ("revocation", "revocation_endpoint")):
        if _at(entry, endpoints, name):
            return step
    lowered = path(entry.url).lower()
    if "introspect" in lowered:
        return "introspection"
    if "revoke" in lowered or "revocation" in lowered:
        return "revocation"
    answer = entry.response.json() if entry.response is not None else None
    return "introspection" if answer and isinstance(answer.get("active"), bool) else None


def logout_params(entry: HarEntry, endpoints: Endpoints) -> dict[str, str] | None:
    """The parameters of an RP-initiated logout request (RP-Initiated Logout 1.0 §2: a GET's
    query or a POST's form) to the end-session endpoint discovery names, or, without one, a
    request carrying `id_token_hint` or `post_logout_redirect_uri`; None for anything else."""
    if entry.request.method not in ("GET", "POST"):
        return None
    params = {**query(entry.url), **dict(entry.request.form or ())}
    if _at(entry, endpoints, "end_session_endpoint"):
        return params
    shaped = "id_token_hint" in params or "post_logout_redirect_uri" in params
    return params if shaped and "grant_type" not in params else None


def _at(entry: HarEntry, endpoints: Endpoints, name: str) -> bool:
    """The entry was sent to the endpoint `name` of a discovery document in the HAR."""
    return without_query(entry.url) in endpoints.get(name, ())


def is_userinfo(entry: HarEntry, endpoint: str | None) -> bool:
    """A request with a Bearer token to the userinfo endpoint (OIDC Core §5.3.1)."""
    authorization = entry.request.header("Authorization") or ""
    if not authorization.lower().startswith("bearer "):
        return False
    if endpoint and without_query(entry.url) == endpoint:
        return True
    return path(entry.url).lower().rstrip("/").endswith("/userinfo")


def bearer(entry: HarEntry) -> str | None:
    authorization = entry.request.header("Authorization") or ""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def redirect_params(entry: HarEntry) -> dict[str, str]:
    """The authorization response parameters a server's 3xx sends back in its Location
    (RFC 6749 §4.1.2); empty when the entry is no such redirect."""
    response = entry.response
    if response is None or not 300 <= response.status < 400:
        return {}
    location = response.header("Location") or _page_link(response.body)
    return query(location or "") if carries_response(location) else {}


def _page_link(body: str) -> str | None:
    """The link of a redirect's page when its Location was not recorded: CyberArk's (IIS)
    "Object moved" anchor, a meta refresh."""
    if not body or ("code=" not in body and "error=" not in body):
        return None
    try:
        return from_html(body).url
    except PkceTuiError:
        return None


def callback_params(entry: HarEntry) -> dict[str, str]:
    """The parameters the browser brings to the redirect URI: its query, or the body of a
    form_post callback (OAuth 2.0 Form Post Response Mode §2); empty when none."""
    if carries_response(entry.url):
        return query(entry.url)
    form = dict(entry.request.form or ())
    return form if entry.request.method == "POST" and ("code" in form or "error" in form) else {}
