"""Pre-flight: the configuration against what the tenant publishes and what its authorization
endpoint answers to a cookie-less GET, before any browser opens (DESIGN.md §3, `check`).

The metadata checks read the discovery document (OIDC Discovery §3, RFC 8414 §2); the
authorize probe sends the very request the flow would send and follows no redirect: an error
redirect or an error page is the tenant refusing the request, a login page (or a redirect to
one) is the tenant accepting it. Each failed check maps to a diagnosis id (DESIGN.md §6).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urljoin, urlsplit

from pkce_tui.core.checks import Check
from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.server_says import ServerSays, from_params, from_response

if TYPE_CHECKING:
    from pkce_tui.core.diagnosis.model import Diagnosis
    from pkce_tui.core.flow import FlowConfig

#: OIDC Discovery §3: without token_endpoint_auth_methods_supported, the default is Basic.
DEFAULT_AUTH_METHODS = ("client_secret_basic",)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
#: The name of the authorize probe's check, beside the metadata checks'.
PROBE_CHECK = "authorize"


def metadata_checks(config: FlowConfig, document: dict) -> list[Check]:
    """The configuration against the published metadata: issuer, PKCE method, client auth
    method, scopes and response type."""
    return [_issuer(config, document), _pkce_method(config, document),
            _auth_method(config, document), _scopes(config, document),
            _response_type(document)]


def discovery_summary(found: str, checks: list) -> str:
    """The discovery step's one line: what it found, then what its checks found wrong (the
    metadata checks by name, the authorize probe by what the tenant answered)."""
    failed = [c for c in checks if isinstance(c, dict) and c.get("ok") is False]
    metadata = [str(c.get("name")) for c in failed if c.get("name") != PROBE_CHECK]
    probe = [c for c in failed if c.get("name") == PROBE_CHECK]
    if metadata:
        found += f"; the configuration disagrees on {', '.join(metadata)}"
    if probe:
        found += f"; the authorize probe failed: {probe[0].get('detail')}"
    return found


def _issuer(config: FlowConfig, document: dict) -> Check:
    """OIDC Discovery §4.3: the document's issuer is exactly the configured one."""
    named = document.get("issuer")
    expected = config.issuer or ""
    if not expected:
        return Check("issuer", True if isinstance(named, str) else None,
                     f"the document names {named!r}; the dialect's template builds the same "
                     "endpoints" if named else "the document names no issuer")
    if named == expected:
        return Check("issuer", True, f"{named!r} is exactly the configured issuer")
    slash = " (only a trailing slash differs)" if isinstance(named, str) and \
        named.rstrip("/") == expected.rstrip("/") else ""
    return Check("issuer", False, f"the document names {named!r}, not the configured "
                                  f"{expected!r}{slash}")


def _listed(document: dict, name: str) -> list[str] | None:
    value = document.get(name)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else None


def _pkce_method(config: FlowConfig, document: dict) -> Check:
    """RFC 8414 §2: code_challenge_methods_supported; absent means PKCE is not advertised."""
    supported = _listed(document, "code_challenge_methods_supported")
    if config.method == "none":
        told = f"; the server offers {', '.join(supported)}" if supported else ""
        return Check("pkce_method", True, f"PKCE is off{told}")
    if supported is None:
        return Check("pkce_method", None, "code_challenge_methods_supported is not published: "
                                          "the server may not support PKCE")
    if config.method in supported:
        return Check("pkce_method", True, f"{config.method} is in {supported}")
    return Check("pkce_method", False, f"{config.method} is not in code_challenge_methods_"
                                       f"supported {supported}")


def _auth_method(config: FlowConfig, document: dict) -> Check:
    """token_endpoint_auth_methods_supported; when it is not published OIDC Discovery §3
    implies client_secret_basic, but servers leave it out freely, so nothing is claimed."""
    supported = _listed(document, "token_endpoint_auth_methods_supported")
    if supported is None:
        return Check("auth_method", None, "token_endpoint_auth_methods_supported is not "
                                          "published (OIDC Discovery §3 then implies "
                                          f"{DEFAULT_AUTH_METHODS[0]})")
    if config.auth_method in supported:
        return Check("auth_method", True, f"{config.auth_method} is in "
                                          f"token_endpoint_auth_methods_supported {supported}")
    return Check("auth_method", False, f"{config.auth_method} is not in "
                                       f"token_endpoint_auth_methods_supported {supported}")


def _scopes(config: FlowConfig, document: dict) -> Check:
    supported = _listed(document, "scopes_supported")
    scopes = config.scope.split()
    if supported is None:
        return Check("scopes", None, "scopes_supported is not published")
    missing = [scope for scope in scopes if scope not in supported]
    if missing:
        return Check("scopes", False, f"{' '.join(missing)} not in scopes_supported "
                                      f"{supported}")
    return Check("scopes", True, f"{' '.join(scopes) or '(none)'} all in scopes_supported")


def _response_type(document: dict) -> Check:
    """OIDC Discovery §3: response_types_supported is REQUIRED; the flow needs `code`."""
    supported = _listed(document, "response_types_supported")
    if supported is None:
        return Check("response_type", None, "response_types_supported is not published")
    if "code" in supported:
        return Check("response_type", True, "code is in response_types_supported")
    return Check("response_type", False, f"code is not in response_types_supported "
                                         f"{supported}")


# --- the authorize probe ----------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """What a cookie-less GET of the authorize URL answered, and the check it makes."""

    check: Check
    response: HttpResponse | None = None
    words: ServerSays | None = None
    extra: dict = field(default_factory=dict)


def read_probe(response: HttpResponse, authorize_url: str, redirect_uri: str) -> Probe:
    """Classify the authorize endpoint's answer (RFC 6749 §4.1.2.1): refused (an error
    redirect, an error page, a 404) or accepted (a login page, a redirect to one, a code)."""
    if response.status in REDIRECT_STATUSES and response.header("Location"):
        return _redirected(response, urljoin(authorize_url, response.header("Location")),
                           redirect_uri)
    if response.status >= 400:
        words = from_response(response)
        what = "a 404: the path does not exist" if response.status == 404 else \
            f"a refusal: {words.summary() if words else 'no words'}"
        return Probe(Check("authorize", False, f"HTTP {response.status}, {what}"), response,
                     words)
    data = response.json()
    if data is not None and data.get("status"):
        return Probe(Check("authorize", True, f"HTTP {response.status}: a login flow in status "
                                              f"{data['status']}: the request was accepted"),
                     response)
    return _page(response)


def _redirected(response: HttpResponse, location: str, redirect_uri: str) -> Probe:
    if _same_endpoint(location, redirect_uri):
        parts = urlsplit(location)
        params = dict(parse_qsl(parts.query)) | dict(parse_qsl(parts.fragment))
        words = from_params(params)
        if words is not None:
            return Probe(Check("authorize", False, f"an error redirect: {words.summary()}"),
                         response, words)
        kind = "a code at once (the server had a session)" if "code" in params else \
            "a redirect to the client without a code or an error"
        return Probe(Check("authorize", "code" in params or None, kind), response)
    where = location.split("?", 1)[0]
    return Probe(Check("authorize", True, f"HTTP {response.status} to {where}: the request "
                                          "was accepted and the user is sent to log in"),
                 response)


def _page(response: HttpResponse) -> Probe:
    from pkce_tui.core.htmlform import parse_form

    try:
        form = parse_form(response.body, response.url or "http://localhost/")
    except PkceTuiError:
        form = None
    if form is not None:
        return Probe(Check("authorize", True, f"HTTP {response.status}: a login page: the "
                                              "request was accepted"), response)
    return Probe(Check("authorize", None, f"HTTP {response.status}: a page without a form "
                                          "(a script-driven login?): cannot tell"), response)


def _same_endpoint(url: str, redirect_uri: str) -> bool:
    def endpoint(value: str) -> tuple:
        parts = urlsplit(value)
        return parts.scheme, parts.hostname, parts.port, parts.path
    try:
        return endpoint(url) == endpoint(redirect_uri)
    except ValueError:
        return False


# --- findings as diagnoses ----------------------------------------------------------------------


def check_diagnosis(check: dict, config: FlowConfig) -> Diagnosis | None:
    """The diagnosis a failed metadata check stands for, None for a passed one."""
    from pkce_tui.core.diagnosis.model import Diagnosis

    if check.get("ok") is not False:
        return None
    name, detail = check["name"], check["detail"]
    found = {
        "issuer": ("issuer_mismatch", "error", "configure the issuer exactly as the provider "
                   "writes it (trailing slash included, OIDC Discovery §4.3)"),
        "pkce_method": ("s256_required", "error", "send code_challenge_method=S256 "
                        "(RFC 7636 §4.2)") if config.method == "plain" else None,
        "auth_method": ("auth_method_mismatch", "error", "use a client auth method the "
                        "tenant supports, the one the application is registered with"),
        "scopes": ("scope_not_allowed", "warning", "request only the scopes the tenant "
                   "offers; servers MAY leave some out of scopes_supported (OIDC Discovery "
                   "§3), so trust the authorize probe over this list"),
        "response_type": ("response_type_not_supported", "error", "this provider does not "
                          "offer the authorization code flow here"),
    }.get(name)
    if found is None:
        return None
    diagnosis_id, severity, fix = found
    return Diagnosis(diagnosis_id, "discovery", severity, f"pre-flight {name}: {detail}", fix)


def probe_diagnoses(probe: Probe, config: FlowConfig, url: str) -> Iterator[Diagnosis]:
    """The cause of a refused authorize probe, by the same rules as a refused flow."""
    from pkce_tui.core.diagnosis import tenant
    from pkce_tui.core.diagnosis.authorize import refusal

    if probe.check.ok is not False:
        return
    if probe.response is not None and probe.response.status == 404:
        yield tenant.diagnosis(config, "authorize", url)
        return
    if probe.words is not None:
        found = refusal(probe.words, config, "authorize")
        if found is not None:
            yield found
