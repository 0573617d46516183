"""The tenant and client a HAR's flow talked to, read back from the URLs the browser visited.

A HAR rarely holds the discovery document; the authorize URL's shape still names the dialect
and its tenant settings (DIALECTS.md), so the rebuilt flow gets the same endpoints, and
"replay from here" gets a configuration that reaches the same tenant.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from pkce_tui.core import providers
from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.har import classify
from pkce_tui.core.har.document import HarEntry
from pkce_tui.core.har.flows import FlowEntries
from pkce_tui.core.providers import Endpoints

_CYBERARK = re.compile(r"(?i)^(?P<tenant>.*)/oauth2/authorize/(?P<app>[^/]+)/?$")
_PINGONE = re.compile(r"^(?P<base>.*)/(?P<env>[^/]+)/as/authorize/?$")
_CLOUDENTITY = re.compile(
    r"^(?P<base>.*)/(?P<tenant>[^/]+)/(?P<workspace>[^/]+)/oauth2/authorize/?$")


def tenant_settings(authorize_endpoint: str) -> dict[str, str]:
    """The dialect and its tenant options that the authorize endpoint's path implies."""
    parts = urlsplit(authorize_endpoint)
    origin = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    for dialect, pattern in (("cyberark", _CYBERARK), ("pingone", _PINGONE),
                             ("cloudentity", _CLOUDENTITY)):
        match = pattern.match(parts.path)
        if match:
            return _settings(dialect, origin, match.groupdict())
    return {"dialect": "generic"}


def _settings(dialect: str, origin: str, found: dict[str, str]) -> dict[str, str]:
    if dialect == "cyberark":
        return {"dialect": dialect, "tenant_url": origin + found["tenant"], "app_id": found["app"]}
    if dialect == "pingone":
        return {"dialect": dialect, "base_url": origin + found["base"], "env_id": found["env"]}
    return {"dialect": dialect, "base_url": origin + found["base"], "tenant": found["tenant"],
            "workspace": found["workspace"]}


def discovered_issuer(flow: FlowEntries) -> str | None:
    """The issuer whose discovery document the browser fetched: its URL without the
    well-known suffix (OIDC Discovery §4.1), as a client configured with it would expect."""
    if flow.discovery is None:
        return None
    url = classify.without_query(flow.discovery.url)
    for suffix in classify.WELL_KNOWN_SUFFIXES:
        if url.endswith(suffix):
            base = url.removesuffix(suffix)
            named = (flow.discovery.response.json() or {}).get("issuer")
            return named if isinstance(named, str) and named.rstrip("/") == base else base
    return None


def inferred_endpoints(flow: FlowEntries, settings: dict[str, str],
                       iss: str | None) -> Endpoints:
    """Endpoints without a discovery document: the dialect's template, else what was seen."""
    authorize = flow.authorize_endpoint
    options = {k: v for k, v in settings.items() if k != "dialect"}
    if settings["dialect"] != "generic":
        try:
            return providers.dialect_endpoints(settings["dialect"], **options)
        except PkceTuiError:
            pass
    token = classify.without_query(flow.tokens[0].url) if flow.tokens else ""
    userinfo = classify.without_query(flow.userinfo[0].url) if flow.userinfo else None
    jwks = classify.without_query(flow.jwks.url) if flow.jwks else None
    return Endpoints(issuer=iss or "", authorization_endpoint=authorize, token_endpoint=token,
                     jwks_uri=jwks, userinfo_endpoint=userinfo,
                     pushed_authorization_request_endpoint=_seen([flow.par] if flow.par else []),
                     introspection_endpoint=_seen(flow.introspections),
                     revocation_endpoint=_seen(flow.revocations),
                     end_session_endpoint=_seen([hops[0] for hops in flow.logouts]))


def _seen(entries: list[HarEntry]) -> str | None:
    """The endpoint the first of `entries` was sent to, None when the HAR holds none."""
    return classify.without_query(entries[0].url) if entries else None
