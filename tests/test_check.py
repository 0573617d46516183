"""`pkce-tui check`: the pre-flight against real servers, with `flow`'s options (DESIGN.md §3).

No browser and no login: the discovery document is compared with the configuration, and one
cookie-less GET of the authorize URL says whether the tenant accepts the request.
"""

from __future__ import annotations

import json

import pytest
from conftest import LOOPBACK, free_port
from sandbox_fixtures import dialect_target

from pkce_tui.cli import main

CALLBACK = f"http://{LOOPBACK}:8765/callback"


def check(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", "--json", "--timeout", "5", *args])
    return code, json.loads(capsys.readouterr().out)


def target(base: str, dialect: str, **typo: str) -> list[str]:
    settings = {name.replace("_", "-"): value
                for name, value in dialect_target(dialect, base).items()}
    settings.update(typo)
    options = ["--dialect", dialect] if dialect != "generic" else []
    return options + [part for name, value in settings.items()
                      for part in (f"--{name}", value)]


def results(document: dict) -> dict[str, bool | None]:
    return {c["name"]: c["ok"] for c in document["checks"]}


def ids(document: dict) -> list[str]:
    return [d["id"] for d in document["diagnosis"]]


@pytest.mark.parametrize("dialect", ["cyberark", "pingone", "cloudentity", "generic"])
def test_a_good_configuration_passes_every_check(sandbox, capsys, dialect):
    code, document = check(capsys, *target(sandbox.base_url, dialect),
                           "--client-id", "demo-public", "--redirect-uri", CALLBACK)
    assert (code, document["ok"], document["diagnosis"]) == (0, True, [])
    assert results(document) == {"discovery": True, "issuer": True, "pkce_method": True,
                                 "auth_method": True, "scopes": True, "response_type": True,
                                 "authorize": True}


@pytest.mark.parametrize(("dialect", "typo"), [
    ("cyberark", {"app-id": "demo-ap"}), ("pingone", {"env-id": "demo-envv"}),
    ("cloudentity", {"workspace": "demo-wss"}), ("cloudentity", {"tenant": "dem"}),
    ("generic", {"issuer": "PLACEHOLDER"})])
def test_a_typo_in_the_tenant_path_is_tenant_not_found(sandbox, capsys, dialect, typo):
    if dialect == "generic":
        typo = {"issuer": f"{sandbox.base_url}/generc"}
    code, document = check(capsys, *target(sandbox.base_url, dialect, **typo),
                           "--client-id", "demo-public", "--redirect-uri", CALLBACK)
    assert code == 1
    assert results(document)["discovery"] is False
    assert ids(document) == ["tenant_not_found"]
    fix = document["diagnosis"][0]["fix"]
    assert f"--{next(iter(typo))}" in fix


@pytest.mark.parametrize("dialect", ["cyberark", "pingone", "cloudentity", "generic"])
@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--client-id", "nobody", "unknown_client"),
    ("--redirect-uri", "http://127.0.0.1:9/elsewhere", "redirect_uri_not_registered")])
def test_a_refused_authorize_request_is_named_before_any_browser(sandbox, capsys, dialect,
                                                                  option, value, expected):
    arguments = {"--client-id": "demo-public", "--redirect-uri": CALLBACK, option: value}
    code, document = check(capsys, *target(sandbox.base_url, dialect),
                           *[p for pair in arguments.items() for p in pair])
    assert code == 1 and results(document)["authorize"] is False
    assert ids(document) == [expected]


def test_plain_against_an_s256_only_server_and_an_unknown_scope(sandbox, capsys):
    code, document = check(capsys, *target(sandbox.base_url, "generic"), "--client-id",
                           "demo-public", "--redirect-uri", CALLBACK, "--method", "plain",
                           "--scope", "openid admin")
    assert code == 1
    assert (results(document)["pkce_method"], results(document)["scopes"]) == (False, False)
    assert ids(document)[:2] == ["s256_required", "scope_not_allowed"]


def test_a_public_client_without_pkce_is_refused_at_authorize(sandbox, capsys):
    code, document = check(capsys, *target(sandbox.base_url, "cloudentity"), "--client-id",
                           "demo-public", "--redirect-uri", CALLBACK, "--method", "none")
    assert results(document)["pkce_method"] is True and results(document)["authorize"] is False
    assert ids(document) == ["pkce_required"]


def test_an_issuer_with_a_trailing_slash_is_issuer_mismatch(sandbox, capsys):
    code, document = check(capsys, "--issuer", f"{sandbox.base_url}/generic/", "--client-id",
                           "demo-public", "--redirect-uri", CALLBACK)
    assert results(document)["issuer"] is False and "trailing slash" in \
        document["checks"][1]["detail"]
    assert ids(document) == ["issuer_mismatch"]


def test_oidc_provider_lists_the_basic_auth_method(oidc_provider, capsys):
    code, document = check(capsys, "--issuer", oidc_provider.issuer, "--client-id",
                           oidc_provider.basic_client_id, "--client-secret", "x",
                           "--auth-method", "client_secret_basic",
                           "--redirect-uri", f"http://{LOOPBACK}:{free_port()}/callback")
    assert results(document)["auth_method"] is True


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--client-id", "nobody", "unknown_client"),
    ("--redirect-uri", "http://127.0.0.1/elsewhere", "redirect_uri_not_registered")])
def test_oidc_providers_error_pages_are_read(oidc_provider, capsys, option, value, expected):
    """panva's oidc-provider answers an unknown client or redirect_uri with an HTML page."""
    arguments = {"--client-id": oidc_provider.public_client_id,
                 "--redirect-uri": f"http://{LOOPBACK}:{free_port()}/callback", option: value}
    code, document = check(capsys, "--issuer", oidc_provider.issuer,
                           *[p for pair in arguments.items() for p in pair])
    assert code == 1 and results(document)["authorize"] is False
    assert ids(document) == [expected]


def test_oidc_provider_accepts_a_good_request(oidc_provider, capsys):
    code, document = check(capsys, "--issuer", oidc_provider.issuer, "--client-id",
                           oidc_provider.public_client_id, "--redirect-uri",
                           f"http://{LOOPBACK}:{free_port()}/callback",
                           "--scope", "openid profile offline_access")
    assert (code, document["ok"]) == (0, True), document
    assert "accepted" in document["checks"][-1]["detail"]


def test_the_text_output_lists_checks_and_the_fix(sandbox, capsys):
    code = main(["check", *target(sandbox.base_url, "pingone"), "--client-id", "nobody",
                 "--redirect-uri", CALLBACK])
    out = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] authorize" in out and "unknown_client (authorize)" in out and "fix:" in out
