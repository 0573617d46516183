"""Where a provider's endpoints are: OIDC Discovery, a dialect's URL template, or given outright.

The templates follow each provider's published layout (DIALECTS.md), and the sandbox mounts
the same layout (DESIGN.md §5), so a template fed the sandbox's base URL reaches the sandbox.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from urllib.parse import quote, urlsplit

from pkce_tui.core.errors import InputError, ProtocolError
from pkce_tui.core.http import HttpRequest, HttpResponse

DIALECTS = ("generic", "cyberark", "pingone", "cloudentity")
WELL_KNOWN = "/.well-known/openid-configuration"
#: DIALECTS.md: all three providers document both methods.
_BOTH_METHODS = ("plain", "S256")


@dataclass(frozen=True)
class Endpoints:
    """One provider's endpoints; `issuer` is "" when unknown (then no iss check can be made)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str | None = None
    userinfo_endpoint: str | None = None
    revocation_endpoint: str | None = None
    end_session_endpoint: str | None = None
    whoami_endpoint: str | None = None
    dialect: str = "generic"
    code_challenge_methods_supported: tuple[str, ...] = ()
    introspection_endpoint: str | None = None
    pushed_authorization_request_endpoint: str | None = None
    require_pushed_authorization_requests: bool = False
    dpop_signing_alg_values_supported: tuple[str, ...] = ()  # RFC 9449 §5.1

    def to_json(self) -> dict:
        data = asdict(self)
        data["code_challenge_methods_supported"] = list(self.code_challenge_methods_supported)
        if not self.require_pushed_authorization_requests:
            del data["require_pushed_authorization_requests"]  # shown only when it matters
        if self.dpop_signing_alg_values_supported:
            data["dpop_signing_alg_values_supported"] = list(
                self.dpop_signing_alg_values_supported)
        else:
            del data["dpop_signing_alg_values_supported"]
        return data


# --- dialect templates ------------------------------------------------------------------------


def dialect_endpoints(dialect: str, *, tenant_url: str | None = None, app_id: str | None = None,
                      base_url: str | None = None, env_id: str | None = None,
                      tenant: str | None = None, workspace: str | None = None,
                      issuer: str | None = None) -> Endpoints:
    """The endpoints a dialect's tenant settings imply, without asking the server.

    Each dialect reads only its own options (`issuer` is the generic dialect's); the others
    are ignored, so one set of command-line options serves every dialect.
    """
    _require_dialect(dialect)
    if dialect == "cyberark":
        _require_options(f"{dialect} needs", tenant_url=tenant_url, app_id=app_id)
        return cyberark_endpoints(tenant_url, app_id)
    if dialect == "pingone":
        _require_options(f"{dialect} needs", base_url=base_url, env_id=env_id)
        return pingone_endpoints(base_url, env_id)
    if dialect == "cloudentity":
        _require_options(f"{dialect} needs", base_url=base_url, tenant=tenant, workspace=workspace)
        return cloudentity_endpoints(base_url, tenant, workspace)
    _require_options(f"{dialect} needs", issuer=issuer)
    return generic_endpoints(issuer)


def cyberark_endpoints(tenant_url: str, app_id: str) -> Endpoints:
    """CyberArk Identity: `/OAuth2/{Verb}/{app}` under the tenant; the issuer ends with "/"."""
    tenant = _base(tenant_url, "--tenant-url")
    app = _segment(app_id, "--app-id")
    return Endpoints(
        issuer=f"{tenant}/{app}/",
        authorization_endpoint=f"{tenant}/OAuth2/Authorize/{app}",
        token_endpoint=f"{tenant}/OAuth2/Token/{app}",
        jwks_uri=f"{tenant}/OAuth2/Keys/{app}",
        userinfo_endpoint=f"{tenant}/OAuth2/UserInfo/{app}",
        revocation_endpoint=f"{tenant}/OAuth2/Revoke/{app}",
        end_session_endpoint=f"{tenant}/OAuth2/EndSession/{app}",
        whoami_endpoint=f"{tenant}/Security/Whoami",
        dialect="cyberark",
        code_challenge_methods_supported=_BOTH_METHODS,
    )


def pingone_endpoints(base_url: str, env_id: str) -> Endpoints:
    """PingOne: the issuer is `{auth path}/{environment id}/as`, every endpoint under it."""
    issuer = f"{_base(base_url, '--base-url')}/{_segment(env_id, '--env-id')}/as"
    return Endpoints(
        issuer=issuer,
        authorization_endpoint=f"{issuer}/authorize",
        token_endpoint=f"{issuer}/token",
        jwks_uri=f"{issuer}/jwks",
        userinfo_endpoint=f"{issuer}/userinfo",
        revocation_endpoint=f"{issuer}/revoke",
        introspection_endpoint=f"{issuer}/introspect",
        pushed_authorization_request_endpoint=f"{issuer}/par",
        end_session_endpoint=f"{issuer}/signoff",
        dialect="pingone",
        code_challenge_methods_supported=_BOTH_METHODS,
    )


def cloudentity_endpoints(base_url: str, tenant: str, workspace: str) -> Endpoints:
    """Cloudentity: the issuer is `{base}/{tenant}/{workspace}`; userinfo is not under /oauth2."""
    issuer = (f"{_base(base_url, '--base-url')}/{_segment(tenant, '--tenant')}"
              f"/{_segment(workspace, '--workspace')}")
    return Endpoints(
        issuer=issuer,
        authorization_endpoint=f"{issuer}/oauth2/authorize",
        token_endpoint=f"{issuer}/oauth2/token",
        jwks_uri=f"{issuer}/.well-known/jwks.json",
        userinfo_endpoint=f"{issuer}/userinfo",
        revocation_endpoint=f"{issuer}/oauth2/revoke",
        introspection_endpoint=f"{issuer}/oauth2/introspect",
        pushed_authorization_request_endpoint=f"{issuer}/par",
        end_session_endpoint=f"{issuer}/oidc/logout",
        dialect="cloudentity",
        code_challenge_methods_supported=_BOTH_METHODS,
    )


def generic_endpoints(issuer: str) -> Endpoints:
    """A guess for a server without discovery: `/authorize`, `/token`, `/jwks`, `/userinfo`."""
    issuer = _issuer(issuer)
    root = issuer.rstrip("/")
    return Endpoints(
        issuer=issuer,
        authorization_endpoint=f"{root}/authorize",
        token_endpoint=f"{root}/token",
        jwks_uri=f"{root}/jwks",
        userinfo_endpoint=f"{root}/userinfo",
    )


def _require_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise InputError(f"unknown dialect {dialect!r}: use {', '.join(DIALECTS)}")


def _require_options(who: str, **options: str | None) -> None:
    """Refuse a template whose options are missing, naming them as the command line does."""
    missing = [f"--{name.replace('_', '-')}" for name, value in options.items() if not value]
    if len(missing) > 1:
        raise InputError(f"{who} {', '.join(missing[:-1])} and {missing[-1]}")
    if missing:
        raise InputError(f"{who} {missing[0]}")


def _base(url: str, option: str) -> str:
    """An absolute http(s) URL without query or fragment, trailing slashes dropped."""
    _require_url(url, option)
    return url.rstrip("/")


def _segment(value: str, option: str) -> str:
    """One path segment, percent-encoded so it cannot add path levels."""
    if not value.strip():
        raise InputError(f"{option} is empty")
    return quote(value.strip(), safe="")


def _issuer(issuer: str) -> str:
    """OIDC Discovery §2: an https URL (http allowed here, for loopback labs), no query/fragment."""
    _require_url(issuer, "--issuer")
    return issuer


def _require_url(url: str, option: str, *, allow_query: bool = False) -> None:
    """Refuse anything but an absolute http(s) URL; a fragment never, a query unless allowed."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        raise InputError(f"{option} {url!r} is not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        raise InputError(f"{option} {url!r} is not an absolute http(s) URL")
    if parts.fragment or (parts.query and not allow_query):
        refused = "a fragment" if allow_query else "a query or fragment"
        raise InputError(f"{option} {url!r} must not have {refused}")


# --- OIDC Discovery ---------------------------------------------------------------------------


def discovery_url(issuer: str) -> str:
    """OIDC Discovery §4: the issuer without its terminating "/" plus the well-known path."""
    return _issuer(issuer).rstrip("/") + WELL_KNOWN


def discovery_request(issuer: str) -> HttpRequest:
    """The GET of the issuer's OpenID Provider Configuration (OIDC Discovery §4.1)."""
    return HttpRequest("GET", discovery_url(issuer), headers=(("Accept", "application/json"),))


def parse_discovery(issuer: str, response: HttpResponse, dialect: str = "generic") -> Endpoints:
    """The endpoints a discovery response names (OIDC Discovery §4.2, §4.3).

    The document's `issuer` must equal the configured issuer exactly, else an attacker's
    document could point the client anywhere (§4.3); CyberArk's trailing slash counts.
    """
    _require_dialect(dialect)
    where = f"discovery document {discovery_url(issuer)}"
    document = _discovery_document(where, response)
    _require_same_issuer(issuer, document.get("issuer"), where)
    return Endpoints(
        issuer=issuer,
        authorization_endpoint=_endpoint(document, "authorization_endpoint", where, True),
        token_endpoint=_endpoint(document, "token_endpoint", where, True),
        jwks_uri=_endpoint(document, "jwks_uri", where),
        userinfo_endpoint=_endpoint(document, "userinfo_endpoint", where),
        revocation_endpoint=_endpoint(document, "revocation_endpoint", where),
        introspection_endpoint=_endpoint(document, "introspection_endpoint", where),
        pushed_authorization_request_endpoint=_endpoint(
            document, "pushed_authorization_request_endpoint", where),
        require_pushed_authorization_requests=document.get(
            "require_pushed_authorization_requests") is True,
        dpop_signing_alg_values_supported=_strings(document,
                                                   "dpop_signing_alg_values_supported"),
        end_session_endpoint=_endpoint(document, "end_session_endpoint", where),
        whoami_endpoint=_whoami(issuer) if dialect == "cyberark" else None,
        dialect=dialect,
        code_challenge_methods_supported=_methods(document),
    )


def _discovery_document(where: str, response: HttpResponse) -> dict:
    if response.status != 200:
        raise ProtocolError(f"{where} answered HTTP {response.status}, not 200")
    document = response.json()
    if document is None:
        raise ProtocolError(f"{where} is not a JSON object")
    return document


def _require_same_issuer(configured: str, discovered: object, where: str) -> None:
    if discovered == configured:
        return
    if not isinstance(discovered, str):
        raise ProtocolError(f"{where} names no issuer (configured {configured!r})")
    slash = " (they differ only by a trailing slash)" if (
        discovered.rstrip("/") == configured.rstrip("/")) else ""
    raise ProtocolError(f"{where} names issuer {discovered!r}, "
                        f"not the configured {configured!r}{slash}")


def _endpoint(document: dict, name: str, where: str, required: bool = False) -> str | None:
    """One endpoint URL of the document; a required one missing, or any malformed, is refused."""
    value = document.get(name)
    if value is None and not required:
        return None
    if value is None:
        raise ProtocolError(f"{where} has no {name}")
    if not isinstance(value, str):
        raise ProtocolError(f"{where} has a {name} that is not a string: {value!r}")
    try:
        _require_url(value, name, allow_query=True)
    except InputError as exc:
        raise ProtocolError(f"{where}: {exc}") from exc
    return value


def _strings(document: dict, name: str) -> tuple[str, ...]:
    values = document.get(name)
    return tuple(v for v in values if isinstance(v, str)) if isinstance(values, list) else ()


def _methods(document: dict) -> tuple[str, ...]:
    methods = document.get("code_challenge_methods_supported")
    if not isinstance(methods, list):
        return ()
    return tuple(method for method in methods if isinstance(method, str))


def _whoami(issuer: str) -> str:
    """CyberArk's `/Security/Whoami` sits at the tenant URL, one level above `{tenant}/{app}/`."""
    return issuer.rstrip("/").rsplit("/", 1)[0] + "/Security/Whoami"


# --- explicit endpoints -------------------------------------------------------------------------


def endpoints_from_options(*, authorize_endpoint: str | None, token_endpoint: str | None,
                           jwks_uri: str | None = None, userinfo_endpoint: str | None = None,
                           issuer: str | None = None) -> Endpoints:
    """Endpoints given one by one on the command line; without `issuer` no iss check is made."""
    _require_options("explicit endpoints need", authorize_endpoint=authorize_endpoint,
                     token_endpoint=token_endpoint)
    given = {"--authorize-endpoint": authorize_endpoint, "--token-endpoint": token_endpoint,
             "--jwks-uri": jwks_uri, "--userinfo-endpoint": userinfo_endpoint}
    for option, url in given.items():
        if url is not None:
            _require_url(url, option, allow_query=True)  # RFC 6749 §3.1 allows a query
    return Endpoints(
        issuer=_issuer(issuer) if issuer else "",
        authorization_endpoint=authorize_endpoint,
        token_endpoint=token_endpoint,
        jwks_uri=jwks_uri,
        userinfo_endpoint=userinfo_endpoint,
    )
