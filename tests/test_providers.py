"""Provider endpoints: dialect templates (the sandbox layout), OIDC Discovery, explicit options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pkce_tui.core import providers
from pkce_tui.core.errors import InputError, ProtocolError
from pkce_tui.core.http import HttpResponse

SANDBOX = "http://127.0.0.1:8123"
DATA = Path(__file__).parent / "data" / "jwt"


def discovery_response(document: object, status: int = 200) -> HttpResponse:
    body = document if isinstance(document, str) else json.dumps(document)
    return HttpResponse(status, (("content-type", "application/json"),), body)


# --- dialect templates: DESIGN.md §5 layout ---------------------------------------------------


def test_cyberark_template_matches_the_sandbox_layout():
    endpoints = providers.dialect_endpoints(
        "cyberark", tenant_url=f"{SANDBOX}/cyberark", app_id="demo-app")
    assert endpoints.to_json() == {
        "issuer": f"{SANDBOX}/cyberark/demo-app/",
        "authorization_endpoint": f"{SANDBOX}/cyberark/OAuth2/Authorize/demo-app",
        "token_endpoint": f"{SANDBOX}/cyberark/OAuth2/Token/demo-app",
        "jwks_uri": f"{SANDBOX}/cyberark/OAuth2/Keys/demo-app",
        "userinfo_endpoint": f"{SANDBOX}/cyberark/OAuth2/UserInfo/demo-app",
        "revocation_endpoint": f"{SANDBOX}/cyberark/OAuth2/Revoke/demo-app",
        "end_session_endpoint": f"{SANDBOX}/cyberark/OAuth2/EndSession/demo-app",
        "introspection_endpoint": None,
        "pushed_authorization_request_endpoint": None,
        "whoami_endpoint": f"{SANDBOX}/cyberark/Security/Whoami",
        "dialect": "cyberark",
        "code_challenge_methods_supported": ["plain", "S256"],
    }


def test_cyberark_tenant_url_trailing_slash_is_dropped():
    endpoints = providers.dialect_endpoints(
        "cyberark", tenant_url="https://acme.id.cyberark.cloud/",
        app_id="__idaptive_cybr_user_oidc")
    assert endpoints.issuer == "https://acme.id.cyberark.cloud/__idaptive_cybr_user_oidc/"
    assert endpoints.token_endpoint == (
        "https://acme.id.cyberark.cloud/OAuth2/Token/__idaptive_cybr_user_oidc")


def test_pingone_template_matches_the_sandbox_layout():
    endpoints = providers.dialect_endpoints(
        "pingone", base_url=f"{SANDBOX}/pingone", env_id="demo-env")
    issuer = f"{SANDBOX}/pingone/demo-env/as"
    assert endpoints.issuer == issuer
    assert (endpoints.authorization_endpoint, endpoints.token_endpoint, endpoints.jwks_uri,
            endpoints.userinfo_endpoint, endpoints.revocation_endpoint) == (
        f"{issuer}/authorize", f"{issuer}/token", f"{issuer}/jwks", f"{issuer}/userinfo",
        f"{issuer}/revoke")
    assert endpoints.dialect == "pingone"


def test_cloudentity_template_matches_the_sandbox_layout():
    endpoints = providers.dialect_endpoints(
        "cloudentity", base_url=f"{SANDBOX}/cloudentity", tenant="demo", workspace="demo-ws")
    issuer = f"{SANDBOX}/cloudentity/demo/demo-ws"
    assert endpoints.issuer == issuer
    assert (endpoints.authorization_endpoint, endpoints.token_endpoint, endpoints.jwks_uri,
            endpoints.userinfo_endpoint, endpoints.revocation_endpoint) == (
        f"{issuer}/oauth2/authorize", f"{issuer}/oauth2/token", f"{issuer}/.well-known/jwks.json",
        f"{issuer}/userinfo", f"{issuer}/oauth2/revoke")


def test_generic_template_matches_the_sandbox_layout():
    endpoints = providers.dialect_endpoints("generic", issuer=f"{SANDBOX}/generic")
    assert (endpoints.issuer, endpoints.authorization_endpoint, endpoints.token_endpoint,
            endpoints.jwks_uri, endpoints.userinfo_endpoint) == (
        f"{SANDBOX}/generic", f"{SANDBOX}/generic/authorize", f"{SANDBOX}/generic/token",
        f"{SANDBOX}/generic/jwks", f"{SANDBOX}/generic/userinfo")
    assert endpoints.whoami_endpoint is None


@pytest.mark.parametrize("dialect, options, message", [
    ("cyberark", {}, "cyberark needs --tenant-url and --app-id"),
    ("cyberark", {"tenant_url": "https://a.example.test"}, "cyberark needs --app-id"),
    ("pingone", {"env_id": "e"}, "pingone needs --base-url"),
    ("cloudentity", {}, "cloudentity needs --base-url, --tenant and --workspace"),
    ("generic", {}, "generic needs --issuer"),
])
def test_missing_options_are_named(dialect, options, message):
    with pytest.raises(InputError, match=f"^{message}$"):
        providers.dialect_endpoints(dialect, **options)


def test_unknown_dialect_is_refused():
    with pytest.raises(InputError, match="unknown dialect 'okta'"):
        providers.dialect_endpoints("okta", issuer="https://a.example.test")


@pytest.mark.parametrize("url, words", [
    ("acme.id.cyberark.cloud", "not an absolute http(s) URL"),
    ("ftp://acme.example.test", "not an absolute http(s) URL"),
    ("https://", "not an absolute http(s) URL"),
    ("https://acme .example.test", "not an absolute http(s) URL"),
    ("https://acme.example.test:99999", "not a valid URL"),
    ("https://[::1", "not a valid URL"),
    ("https://acme.example.test?x=1", "must not have a query or fragment"),
])
def test_malformed_tenant_url_is_refused(url, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        providers.dialect_endpoints("cyberark", tenant_url=url, app_id="app")


def test_path_segments_are_encoded_so_they_add_no_level():
    endpoints = providers.dialect_endpoints(
        "pingone", base_url="https://auth.pingone.eu", env_id="../admin")
    assert endpoints.issuer == "https://auth.pingone.eu/..%2Fadmin/as"


# --- OIDC Discovery -----------------------------------------------------------------------------


@pytest.mark.parametrize("issuer, url", [
    ("https://idp.example.test", "https://idp.example.test/.well-known/openid-configuration"),
    ("https://t.id.cyberark.cloud/app/",
     "https://t.id.cyberark.cloud/app/.well-known/openid-configuration"),
    ("https://auth.pingone.com/env/as",
     "https://auth.pingone.com/env/as/.well-known/openid-configuration"),
])
def test_discovery_url_has_no_double_slash(issuer, url):
    assert providers.discovery_url(issuer) == url
    request = providers.discovery_request(issuer)
    assert (request.method, request.url, request.header("Accept")) == (
        "GET", url, "application/json")


def test_parse_discovery_reads_the_document():
    document = json.loads((DATA / "discovery-generic.json").read_text())
    endpoints = providers.parse_discovery(
        "https://idp.example.test/generic", discovery_response(document))
    assert endpoints.authorization_endpoint == "https://idp.example.test/generic/authorize"
    assert endpoints.jwks_uri == "https://idp.example.test/generic/jwks"
    assert endpoints.revocation_endpoint == "https://idp.example.test/generic/revoke"
    assert endpoints.end_session_endpoint is None
    assert endpoints.code_challenge_methods_supported == ("S256",)


def test_parse_discovery_cyberark_adds_whoami():
    issuer = "https://acme.id.cyberark.cloud/demo-app/"
    document = {"issuer": issuer,
                "authorization_endpoint": "https://acme.id.cyberark.cloud/OAuth2/Authorize/demo-app",
                "token_endpoint": "https://acme.id.cyberark.cloud/OAuth2/Token/demo-app"}
    endpoints = providers.parse_discovery(issuer, discovery_response(document), "cyberark")
    assert endpoints.whoami_endpoint == "https://acme.id.cyberark.cloud/Security/Whoami"
    assert endpoints.dialect == "cyberark"


def test_discovered_issuer_must_equal_the_configured_one():
    document = {"issuer": "https://evil.example.test",
                "authorization_endpoint": "https://evil.example.test/a",
                "token_endpoint": "https://evil.example.test/t"}
    with pytest.raises(ProtocolError) as caught:
        providers.parse_discovery("https://idp.example.test", discovery_response(document))
    assert "'https://evil.example.test'" in str(caught.value)
    assert "'https://idp.example.test'" in str(caught.value)


def test_discovered_issuer_trailing_slash_is_named():
    document = {"issuer": "https://acme.id.cyberark.cloud/app/",
                "authorization_endpoint": "https://acme.id.cyberark.cloud/OAuth2/Authorize/app",
                "token_endpoint": "https://acme.id.cyberark.cloud/OAuth2/Token/app"}
    with pytest.raises(ProtocolError, match="differ only by a trailing slash"):
        providers.parse_discovery("https://acme.id.cyberark.cloud/app",
                                  discovery_response(document))


@pytest.mark.parametrize("response, words", [
    (discovery_response({}, status=404), "answered HTTP 404"),
    (discovery_response("<html>sign in</html>"), "is not a JSON object"),
    (discovery_response({"authorization_endpoint": "https://idp.example.test/a"}),
     "names no issuer"),
    (discovery_response({"issuer": "https://idp.example.test",
                         "authorization_endpoint": "https://idp.example.test/a"}),
     "has no token_endpoint"),
    (discovery_response({"issuer": "https://idp.example.test", "token_endpoint": 7,
                         "authorization_endpoint": "https://idp.example.test/a"}),
     "token_endpoint that is not a string"),
    (discovery_response({"issuer": "https://idp.example.test", "token_endpoint": "/token",
                         "authorization_endpoint": "https://idp.example.test/a"}),
     "not an absolute http"),
])
def test_bad_discovery_answers_are_one_line_protocol_errors(response, words):
    with pytest.raises(ProtocolError, match=words) as caught:
        providers.parse_discovery("https://idp.example.test", response)
    assert "\n" not in str(caught.value)


# --- explicit endpoints -------------------------------------------------------------------------


def test_endpoints_from_options():
    endpoints = providers.endpoints_from_options(
        authorize_endpoint="https://idp.example.test/authorize?tenant=acme",
        token_endpoint="https://idp.example.test/token",
        jwks_uri="https://idp.example.test/keys")
    assert endpoints.authorization_endpoint == "https://idp.example.test/authorize?tenant=acme"
    assert endpoints.jwks_uri == "https://idp.example.test/keys"
    assert endpoints.issuer == ""


def test_endpoints_from_options_keeps_the_issuer():
    endpoints = providers.endpoints_from_options(
        authorize_endpoint="https://idp.example.test/a", token_endpoint="https://idp.example.test/t",
        issuer="https://idp.example.test")
    assert endpoints.issuer == "https://idp.example.test"


def test_endpoints_from_options_names_what_is_missing_or_malformed():
    with pytest.raises(InputError, match="explicit endpoints need --authorize-endpoint$"):
        providers.endpoints_from_options(authorize_endpoint=None,
                                         token_endpoint="https://idp.example.test/t")
    with pytest.raises(InputError, match="--token-endpoint 'idp/token'"):
        providers.endpoints_from_options(authorize_endpoint="https://idp.example.test/a",
                                         token_endpoint="idp/token")
