"""Where the sandbox must refuse as the real providers refuse (DIALECTS.md), so the tool
learns to read real answers: verifier length, response_type, RFC 9068 access tokens, the
revocation metadata, Cloudentity's hints, pages instead of redirects, tenant path typos."""

from __future__ import annotations

import json

import pytest
from sandbox_fixtures import (
    DIALECT_NAMES,
    authorization,
    authorization_code,
    endpoint,
    exchange_code,
    tokens,
)
from test_sandbox_flows import query_of, redirected_error

from pkce_tui.core.jwt import decode
from pkce_tui.core.server_says import from_response
from pkce_tui.sandbox.directory import EXAMPLE_REDIRECT_URI


def as_http(response):
    from pkce_tui.core.http import HttpResponse

    return HttpResponse(response.status_code, tuple(response.headers.multi_items()),
                        response.text, url=str(response.url))


@pytest.mark.parametrize(("dialect", "error"), [
    ("cyberark", "invalid_grant"), ("pingone", "invalid_grant"),
    ("cloudentity", "invalid_grant"), ("generic", "invalid_request")])
async def test_a_five_character_verifier_is_refused_in_every_dialect(sandbox, client, dialect,
                                                                     error):
    """RFC 7636 §4.1: 43-128 characters, checked before the verifier meets the challenge."""
    request = authorization()
    code = await authorization_code(client, sandbox, dialect, request)
    response = await exchange_code(client, sandbox, dialect, code, request,
                                   code_verifier="abcde")
    words = from_response(as_http(response))
    assert (response.status_code, words.error) == (400, error)
    assert "43-128" in words.specific


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
async def test_a_missing_response_type_is_an_invalid_request(sandbox, client, dialect):
    response = await client.get(authorization(response_type=None).url(sandbox, dialect))
    if dialect == "cyberark":
        assert response.status_code == 302
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_request"


async def test_jwt_access_tokens_are_typed_at_jwt(sandbox, client):
    body = await tokens(client, sandbox, "generic", authorization())
    assert decode(body["access_token"])[0]["typ"] == "at+jwt"
    assert decode(body["id_token"])[0]["typ"] == "JWT"


@pytest.mark.parametrize("dialect", DIALECT_NAMES)
async def test_discovery_names_the_revocation_auth_methods(sandbox, client, dialect):
    issuer = sandbox.issuer(dialect).rstrip("/")
    document = (await client.get(f"{issuer}/.well-known/openid-configuration")).json()
    assert "client_secret_post" in document["revocation_endpoint_auth_methods_supported"]


async def test_cloudentity_authorize_errors_put_the_detail_only_in_the_hint(sandbox, client):
    error = redirected_error(await client.get(authorization(method=None).url(sandbox,
                                                                             "cloudentity")))
    assert "code_challenge" in error["error_hint"]
    assert "code_challenge" not in error["error_description"]
    assert error["error_description"].startswith("The request is missing a required parameter")


@pytest.mark.parametrize(("dialect", "source"), [
    ("cyberark", "html_text"), ("cloudentity", "html_json"), ("generic", "html_text"),
    ("pingone", "json")])
@pytest.mark.parametrize("wrong", ["client_id", "redirect_uri"])
async def test_an_unknown_client_or_redirect_uri_gets_a_page_not_a_redirect(
        sandbox, client, dialect, source, wrong):
    value = {"client_id": "nobody", "redirect_uri": "http://127.0.0.1:9/elsewhere"}[wrong]
    response = await client.get(authorization(**{wrong: value}).url(sandbox, dialect))
    assert response.status_code in (400, 401) and "location" not in response.headers
    words = from_response(as_http(response))
    assert words.source == source
    assert ("client" if wrong == "client_id" else "redirect_uri") in words.words()


async def test_the_example_redirect_uri_is_still_registered(sandbox, client):
    page = await client.get(authorization(redirect_uri=EXAMPLE_REDIRECT_URI).url(sandbox,
                                                                                  "cloudentity"))
    assert page.status_code == 200


@pytest.mark.parametrize(("path", "shape"), [
    ("/cyberark/OAuth2/Authorize/demo-ap", "html"),
    ("/pingone/demo-envv/as/authorize", "NOT_FOUND"),
    ("/cloudentity/demo/demo-wss/oauth2/authorize", "not_found"),
    ("/cloudentity/dem/demo-ws/.well-known/openid-configuration", "not_found"),
    ("/generic-typo/.well-known/openid-configuration", "text"),
])
async def test_a_typo_in_the_tenant_path_answers_404_in_the_providers_shape(sandbox, client,
                                                                             path, shape):
    response = await client.get(sandbox.base_url + path)
    assert response.status_code == 404
    if shape == "html":
        assert "404 - File or directory not found." in response.text
    elif shape != "text":
        body = json.loads(response.text)
        assert shape in (body.get("code"), body.get("error"))


async def test_a_post_to_a_mistyped_token_endpoint_is_404(sandbox, client):
    response = await client.post(endpoint(sandbox, "pingone", "token_endpoint").replace(
        "demo-env", "demo-env2"), data={"grant_type": "authorization_code"})
    assert response.status_code == 404
