"""Authorization request <-> URL: order, encoding, round trips and precise refusals."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pkce_tui.core.authorize import (
    AuthorizeRequest,
    leaked_secrets,
    new_nonce,
    new_state,
    parse_authorize_url,
)
from pkce_tui.core.errors import InputError

CALLBACK = "http://127.0.0.1:8765/callback"


def full_request(**changes) -> AuthorizeRequest:
    values = dict(
        endpoint="https://tenant.example/OAuth2/Authorize/app",
        client_id="demo-public",
        redirect_uri=CALLBACK,
        scope="openid profile",
        state="st",
        nonce="no",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
        extra=(("prompt", "login"),),
    )
    return AuthorizeRequest(**(values | changes))


@pytest.mark.parametrize("make", [new_state, new_nonce])
def test_random_values_are_url_safe_and_carry_at_least_128_bits(make):
    value = make()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", value)
    assert len(value) * 6 >= 128
    assert make() != value


def test_params_come_in_the_documented_order_with_extra_last():
    names = [name for name, _ in full_request().params()]
    assert names == [
        "response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
        "code_challenge", "code_challenge_method", "prompt",
    ]


def test_none_values_are_left_out():
    request = AuthorizeRequest("https://as.example/authorize", "c", CALLBACK)
    assert request.params() == [
        ("response_type", "code"), ("client_id", "c"), ("redirect_uri", CALLBACK),
        ("scope", "openid"),
    ]


def test_empty_scope_is_left_out():
    request = AuthorizeRequest("https://as.example/authorize", "c", CALLBACK, scope="")
    assert "scope" not in dict(request.params())


def test_url_encodes_per_rfc3986_space_as_percent_20_and_redirect_uri_fully():
    url = full_request().url()
    assert "scope=openid%20profile" in url
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback" in url
    assert "+" not in url


def test_unreserved_characters_stay_unencoded():
    url = full_request(state="a-b.c_d~e").url()
    assert "state=a-b.c_d~e&" in url


def test_url_keeps_the_endpoints_own_query_first():
    url = full_request(endpoint="https://as.example/authorize?tenant=t1").url()
    assert url.startswith("https://as.example/authorize?tenant=t1&response_type=code&")


def test_url_decodes_back_to_the_params():
    request = full_request(state="a b&c=d/é")
    assert parse_qsl(urlsplit(request.url()).query) == request.params()


def test_parse_round_trips_a_built_url():
    request = full_request()
    assert parse_authorize_url(request.url()) == request


def test_parse_puts_the_endpoints_own_query_into_extra():
    parsed = parse_authorize_url(full_request(endpoint="https://as.example/a?tenant=t1").url())
    assert parsed.endpoint == "https://as.example/a"
    assert parsed.extra == (("tenant", "t1"), ("prompt", "login"))


def test_parse_keeps_unknown_params_in_url_order():
    url = (
        "https://as.example/authorize?response_type=code&client_id=c&redirect_uri=x"
        "&b=2&a=1&client_secret=s"
    )
    assert parse_authorize_url(url).extra == (("b", "2"), ("a", "1"), ("client_secret", "s"))


def test_parse_without_scope_gives_an_empty_scope_and_no_scope_param():
    url = "https://as.example/authorize?response_type=code&client_id=c&redirect_uri=x"
    parsed = parse_authorize_url(url)
    assert parsed.scope == ""
    assert parsed.url() == url


def test_parse_without_challenge_method_keeps_it_absent():
    url = full_request(code_challenge_method=None).url()
    assert parse_authorize_url(url).code_challenge_method is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://as.example/a?client_id=c", "is not http(s)"),
        ("as.example/authorize", "is not http(s)"),
        ("https:///authorize?client_id=c", "has no host"),
        ("https://[::1/authorize", "malformed authorization URL"),
        ("https://as.example:99999/a", "malformed authorization URL"),
        ("https://as.example/a?response_type=code&redirect_uri=x", "has no client_id"),
        ("https://as.example/a?response_type=code&client_id=c", "has no redirect_uri"),
        ("https://as.example/a?client_id=c&redirect_uri=x", "has no response_type"),
        ("https://as.example/a?client_id=c&client_id=d", "repeats parameter 'client_id'"),
        ("https://as.example/a?response_type=code#frag", "has a fragment"),
    ],
)
def test_parse_names_what_is_wrong(url, message):
    with pytest.raises(InputError, match=re.escape(message)):
        parse_authorize_url(url)


def test_url_refuses_an_endpoint_without_host():
    with pytest.raises(InputError, match="has no host"):
        AuthorizeRequest("https://", "c", CALLBACK).url()


def test_extra_may_not_override_a_named_param():
    with pytest.raises(InputError, match="extra parameter 'state' repeats a named parameter"):
        full_request(extra=(("state", "other"),))


def test_leaked_secrets_names_client_secret_and_password_once_each():
    params = [("client_id", "c"), ("client_secret", "s"), ("password", "p"), ("password", "q")]
    assert leaked_secrets(params) == ["client_secret", "password"]


def test_leaked_secrets_accepts_a_mapping_and_ignores_case():
    assert leaked_secrets({"Client_Secret": "s", "state": "x"}) == ["Client_Secret"]


def test_leaked_secrets_of_a_clean_request_is_empty():
    assert leaked_secrets(full_request().params()) == []


def test_leaked_secrets_finds_a_secret_in_a_parsed_url():
    url = full_request(extra=(("client_secret", "s3cr3t"),)).url()
    assert leaked_secrets(parse_authorize_url(url).params()) == ["client_secret"]


values = st.text(st.characters(codec="utf-8"), max_size=30)


@given(state=values, scope=values.filter(bool), extra_value=values)
def test_any_values_round_trip(state, scope, extra_value):
    request = full_request(state=state, scope=scope, extra=(("login_hint", extra_value),))
    assert parse_authorize_url(request.url()) == request


@given(st.text(max_size=200))
def test_parse_raises_only_input_error_on_any_text(text):
    try:
        parse_authorize_url(text)
    except InputError:
        pass
