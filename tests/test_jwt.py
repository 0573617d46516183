"""JWT decoding and validation: signatures through a JWKS, the OIDC claim checks, JWKS fetching."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from pkce_tui.core import jwt
from pkce_tui.core.errors import InputError, NetworkError, ProtocolError
from pkce_tui.core.jwt_signature import SIGNATURE_ALGORITHMS

NOW = 1_795_000_000.0  # 2026-11-18 11:06:40 UTC, a fixed clock for every test
ISSUER = "https://idp.example.test/generic"
CLIENT = "demo-public"
JWKS_URI = "https://idp.example.test/generic/jwks"
# OpenID Connect Core 1.0, Appendix A.4 (code id_token token): values and their hashes.
OIDC_ACCESS_TOKEN = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
OIDC_AT_HASH = "77QmUPtjPfzWtF2AnpK9RQ"
OIDC_CODE = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
OIDC_C_HASH = "LDktKdoQak3Pk0cnXxCltA"


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})


@pytest.fixture(scope="module")
def other_rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-2", "use": "sig"})


@pytest.fixture(scope="module")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "ec-1"})


def public_jwks(*keys) -> dict:
    return {"keys": [key.as_dict(private=False) for key in keys]}


def claims(**overrides) -> dict:
    base = {"iss": ISSUER, "sub": "alice", "aud": CLIENT, "iat": int(NOW) - 10,
            "exp": int(NOW) + 300, "nonce": "n-0S6_WzA2Mj"}
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def sign(key, payload: dict, alg: str = "RS256", **header) -> str:
    header = {"alg": alg, "kid": key.kid, **header} if key.kid else {"alg": alg, **header}
    return jose_jwt.encode({k: v for k, v in header.items() if v is not None}, payload, key,
                           algorithms=[alg])


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def check(report: jwt.JwtReport, name: str):
    found = report.check(name)
    assert found is not None, f"no {name} check in {report.checks}"
    return found


def run(token: str, **kw) -> jwt.JwtReport:
    kw.setdefault("issuer", ISSUER)
    kw.setdefault("audience", CLIENT)
    kw.setdefault("nonce", "n-0S6_WzA2Mj")
    return jwt.validate(token, now=NOW, **kw)


# --- decode -----------------------------------------------------------------------------------


def test_decode_returns_header_and_payload(rsa_key):
    header, payload = jwt.decode(sign(rsa_key, claims()))
    assert header == {"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}
    assert payload["sub"] == "alice"


def test_decode_ignores_surrounding_whitespace(rsa_key):
    assert jwt.decode("  " + sign(rsa_key, claims()) + "\n")[1]["iss"] == ISSUER


@pytest.mark.parametrize("token, words", [
    ("abc.def", "three dot-separated segments; this has 2"),
    ("a.b.c.d.e", "encrypted token (JWE)"),
    (".e30.", "header segment is empty"),
    ("e30=.e30.", "header segment is not base64url: bad character '='"),
    ("e30.e30=.", "payload segment is not base64url"),
    ("e30.e30.ab+c", "signature segment is not base64url"),
    ("e30.e30aa.", "payload segment is not valid base64url"),
    (f"{b64(b'not json')}.e30.", "header is not JSON"),
    (f"e30.{b64(b'[1, 2]')}.", "payload is JSON but not an object"),
    ("e30." + b64(b'{"exp": NaN}') + ".", "payload is not JSON"),
    ("e30." + b64(b'{"sub": "a\x1bb"}') + ".",
     "payload is not JSON: Invalid control character at character 10$"),
    (b64(b"\xff\xfe") + ".e30.", "header is not UTF-8"),
    ("e30." + "A" * (1024 * 1024) + ".", "more than the limit of 1048576 (1 MiB)"),
])
def test_decode_names_the_bad_segment(token, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        jwt.decode(token)


def test_looks_like_jwt(rsa_key):
    assert jwt.looks_like_jwt(sign(rsa_key, claims()))
    assert not jwt.looks_like_jwt("2YotnFZFEjr1zCsicMWpAA")


@given(st.text(max_size=300))
def test_decode_raises_only_input_error_on_any_text(text):
    try:
        jwt.decode(text)
    except InputError:
        pass


_segment = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.",
                   max_size=40)
_names = st.sampled_from(["alg", "kid", "iss", "aud", "azp", "exp", "nbf", "iat", "nonce",
                          "at_hash", "c_hash", "auth_time"]) | st.text(max_size=8)
_json_segment = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_names, inner, max_size=6),
    max_leaves=10,
).map(lambda value: b64(json.dumps(value).encode()))


@settings(max_examples=200)
@given(st.one_of(st.text(max_size=300), st.builds(
    lambda h, p, s: f"{h}.{p}.{s}", _json_segment | _segment, _json_segment | _segment, _segment)))
def test_validate_never_raises_on_any_text(text):
    report = jwt.validate(text, jwks={"keys": []}, issuer=ISSUER, audience=CLIENT, nonce="n",
                          access_token="at", code="c", now=NOW)
    assert {c.name for c in report.checks} <= set(jwt.CHECK_NAMES)
    json.dumps(report.to_json())


# --- signature, alg, kid ------------------------------------------------------------------------


def test_rs256_id_token_passes_every_check(rsa_key, other_rsa_key):
    report = run(sign(rsa_key, claims()), jwks=public_jwks(other_rsa_key, rsa_key))
    assert report.valid, report.checks
    assert [c.name for c in report.checks] == [
        "format", "alg", "signature", "kid", "iss", "sub", "aud", "azp",
        "exp", "nbf", "iat", "nonce", "at_hash", "c_hash"]
    assert check(report, "signature").ok is True
    assert check(report, "kid").detail == "key 'rsa-1' found in the JWKS"


def test_es256_verifies(ec_key, rsa_key):
    report = run(sign(ec_key, claims(), alg="ES256"), jwks=public_jwks(rsa_key, ec_key))
    assert check(report, "signature").ok is True
    assert report.valid


def test_without_kid_the_single_key_of_the_right_type_is_used(rsa_key, ec_key):
    token = jose_jwt.encode({"alg": "RS256"}, claims(), rsa_key)
    jwks = {"keys": [{k: v for k, v in rsa_key.as_dict(private=False).items() if k != "kid"},
                     ec_key.as_dict(private=False)]}
    report = run(token, jwks=jwks)
    assert check(report, "kid").ok is True
    assert check(report, "signature").ok is True


def test_without_kid_several_candidate_keys_fail_kid(rsa_key, other_rsa_key):
    token = jose_jwt.encode({"alg": "RS256"}, claims(), rsa_key)
    report = run(token, jwks=public_jwks(rsa_key, other_rsa_key))
    assert check(report, "kid").ok is False
    assert "2 RSA keys" in check(report, "kid").detail
    assert not report.valid


def test_tampered_payload_fails_signature(rsa_key):
    header, _, signature = sign(rsa_key, claims()).split(".")
    forged = f"{header}.{b64(claims(sub='mallory'))}.{signature}"
    report = run(forged, jwks=public_jwks(rsa_key))
    assert check(report, "signature").ok is False
    assert "does not verify with key 'rsa-1'" in check(report, "signature").detail
    assert not report.valid


def test_signature_by_another_key_with_the_same_kid_fails(rsa_key, other_rsa_key):
    impostor = RSAKey.import_key(other_rsa_key.as_dict(private=True) | {"kid": "rsa-1"})
    report = run(sign(impostor, claims()), jwks=public_jwks(rsa_key))
    assert check(report, "signature").ok is False


def test_alg_none_is_refused():
    token = f"{b64({'alg': 'none'})}.{b64(claims())}."
    report = run(token)
    assert check(report, "alg").ok is False
    assert "none refused" in check(report, "alg").detail
    assert check(report, "signature").ok is False
    assert not report.valid


def test_hs256_with_an_rsa_kid_is_algorithm_confusion(rsa_key):
    secret = OctKey.import_key(b"a-shared-secret-long-enough-for-hs256", {"kid": "rsa-1"})
    report = run(sign(secret, claims(), alg="HS256"), jwks=public_jwks(rsa_key))
    assert check(report, "alg").ok is False
    assert "algorithm confusion" in check(report, "alg").detail
    assert check(report, "signature").ok is None
    assert not report.valid


def test_hs256_without_kid_against_public_keys_is_algorithm_confusion(rsa_key):
    secret = OctKey.import_key(b"a-shared-secret-long-enough-for-hs256")
    report = run(jose_jwt.encode({"alg": "HS256"}, claims(), secret), jwks=public_jwks(rsa_key))
    assert check(report, "alg").ok is False
    assert "algorithm confusion" in check(report, "alg").detail


def test_alg_must_match_the_key_type(rsa_key, ec_key):
    impostor = ECKey.import_key(ec_key.as_dict(private=True) | {"kid": "rsa-1"})
    report = run(sign(impostor, claims(), alg="ES256"), jwks=public_jwks(rsa_key))
    assert check(report, "alg").ok is False
    assert check(report, "alg").detail == "ES256 needs a EC key, but key 'rsa-1' is RSA"


def test_unknown_kid_names_it_and_the_kids_present(rsa_key, other_rsa_key):
    report = run(sign(rsa_key, claims()), jwks=public_jwks(other_rsa_key))
    assert check(report, "kid").ok is False
    assert check(report, "kid").detail == (
        "kid 'rsa-1' is not in the JWKS (kids present: 'rsa-2')")
    assert check(report, "signature").ok is None
    assert not report.valid


def test_without_jwks_signature_and_kid_cannot_be_checked(rsa_key):
    report = run(sign(rsa_key, claims()))
    assert (check(report, "signature").ok, check(report, "signature").detail) == (
        None, "no JWKS given")
    assert check(report, "kid").ok is None
    assert report.valid


def test_unreadable_jwks_fails_kid(rsa_key):
    report = run(sign(rsa_key, claims()), jwks={"keys": [{"kty": "RSA", "n": "!"}]})
    assert check(report, "kid").ok is False
    assert check(report, "kid").detail.startswith("JWKS could not be read")
    assert run(sign(rsa_key, claims()), jwks={"nokeys": 1}).check("kid").detail == (
        'JWKS has no "keys" list')


def test_bad_format_still_yields_a_report():
    report = jwt.validate("not-a-jwt")
    assert report.to_json() == {"header": {}, "payload": {}, "valid": False, "checks": [
        {"name": "format", "ok": False,
         "detail": "a JWT has three dot-separated segments; this has 1"}]}


# --- claims -----------------------------------------------------------------------------------


def test_expired_token_says_how_long_ago(rsa_key):
    report = run(sign(rsa_key, claims(exp=int(NOW) - 180)))
    assert check(report, "exp").ok is False
    assert check(report, "exp").detail == (
        "expired 3 min ago (exp 2026-11-18 11:03:40 UTC, leeway 60 s)")


def test_expiry_within_the_leeway_passes(rsa_key):
    report = run(sign(rsa_key, claims(exp=int(NOW) - 30)))
    assert check(report, "exp").ok is True
    assert "within the leeway" in check(report, "exp").detail
    assert run(sign(rsa_key, claims(exp=int(NOW) - 30)), leeway=0).check("exp").ok is False


def test_issuer_must_match_exactly(rsa_key):
    report = run(sign(rsa_key, claims(iss="https://evil.example.test")))
    assert check(report, "iss").ok is False
    assert "is not the expected issuer" in check(report, "iss").detail


def test_issuer_trailing_slash_is_named(rsa_key):
    token = sign(rsa_key, claims(iss="https://tenant.id.cyberark.cloud/app/"))
    report = run(token, issuer="https://tenant.id.cyberark.cloud/app")
    assert check(report, "iss").ok is False
    assert "differs only by a trailing slash" in check(report, "iss").detail


def test_wrong_audience_fails(rsa_key):
    report = run(sign(rsa_key, claims(aud=["someone-else"])))
    assert check(report, "aud").ok is False
    assert check(report, "aud").detail == "['someone-else'] does not contain 'demo-public'"


def test_several_audiences_need_azp(rsa_key):
    report = run(sign(rsa_key, claims(aud=[CLIENT, "api"])))
    assert check(report, "aud").ok is True
    assert check(report, "azp").ok is False
    report = run(sign(rsa_key, claims(aud=[CLIENT, "api"], azp=CLIENT)))
    assert check(report, "azp").ok is True
    assert run(sign(rsa_key, claims(azp="other"))).check("azp").ok is False


def test_not_yet_valid_token_fails_nbf(rsa_key):
    report = run(sign(rsa_key, claims(nbf=int(NOW) + 600)))
    assert check(report, "nbf").ok is False
    assert "10 min" in check(report, "nbf").detail


def test_iat_in_the_future_hints_at_clock_skew(rsa_key):
    report = run(sign(rsa_key, claims(iat=int(NOW) + 300)))
    assert check(report, "iat").ok is False
    assert "clock skew" in check(report, "iat").detail
    assert "300 s ahead" in check(report, "iat").detail


def test_missing_iat_fails_for_an_id_token(rsa_key):
    report = run(sign(rsa_key, claims(iat=None)))
    assert check(report, "iat").ok is False


def test_non_numeric_exp_fails(rsa_key):
    report = run(sign(rsa_key, claims(exp="tomorrow")))
    assert check(report, "exp").ok is False


@pytest.mark.parametrize("sent, carried, ok", [
    ("n-1", "n-1", True), ("n-1", "n-2", False), ("n-1", None, False), (None, "n-1", None),
    (None, None, True)])
def test_nonce(rsa_key, sent, carried, ok):
    report = run(sign(rsa_key, claims(nonce=carried)), nonce=sent)
    assert check(report, "nonce").ok is ok


def test_at_hash_and_c_hash_match_the_oidc_core_example(rsa_key):
    token = sign(rsa_key, claims(at_hash=OIDC_AT_HASH, c_hash=OIDC_C_HASH))
    report = run(token, access_token=OIDC_ACCESS_TOKEN, code=OIDC_CODE)
    assert check(report, "at_hash").ok is True
    assert check(report, "c_hash").ok is True
    assert jwt.half_hash(OIDC_ACCESS_TOKEN, "RS256") == OIDC_AT_HASH


def test_at_hash_and_c_hash_mismatch_fails(rsa_key):
    token = sign(rsa_key, claims(at_hash=OIDC_AT_HASH, c_hash=OIDC_C_HASH))
    report = run(token, access_token="another-token", code="another-code")
    assert check(report, "at_hash").ok is False
    assert check(report, "c_hash").ok is False


def test_at_hash_uses_the_hash_the_alg_names():
    assert jwt.half_hash(OIDC_ACCESS_TOKEN, "RS384") != OIDC_AT_HASH
    assert len(jwt.half_hash(OIDC_ACCESS_TOKEN, "RS512")) == 43


def test_at_hash_cannot_be_checked_without_the_access_token(rsa_key):
    report = run(sign(rsa_key, claims(at_hash=OIDC_AT_HASH)))
    assert check(report, "at_hash").ok is None


def test_absent_optional_claims_pass(rsa_key):
    """No nbf, no azp with one audience, no at_hash/c_hash: each "if present" rule holds."""
    report = run(sign(rsa_key, claims()), access_token="at", code="c")
    assert [(name, check(report, name).ok) for name in ("nbf", "azp", "at_hash", "c_hash")] == [
        ("nbf", True), ("azp", True), ("at_hash", True), ("c_hash", True)]


def test_access_token_mode_skips_id_token_checks(rsa_key):
    token = sign(rsa_key, claims(aud="https://api.example.test", nonce=None, iat=None))
    report = jwt.validate(token, jwks=public_jwks(rsa_key), issuer=ISSUER, now=NOW,
                          access_token="x", id_token=False)
    names = [c.name for c in report.checks]
    assert not {"nonce", "at_hash", "c_hash", "azp"} & set(names)
    assert check(report, "aud").ok is None
    assert check(report, "iat").ok is None
    assert report.valid


# --- times ------------------------------------------------------------------------------------


def test_times_for_display():
    payload = {"exp": NOW + 240, "iat": NOW - 3 * 3600, "nbf": NOW, "auth_time": "x", "sub": 1}
    assert jwt.times_for_display(payload, now=NOW) == {
        "exp": "2026-11-18 11:10:40 UTC (in 4 min)",
        "iat": "2026-11-18 08:06:40 UTC (3 h ago)",
        "nbf": "2026-11-18 11:06:40 UTC (now)",
        "auth_time": "not a date: 'x'",
    }


def test_times_for_display_survives_absurd_values():
    shown = jwt.times_for_display({"exp": 10**30, "iat": True}, now=NOW)
    assert shown == {"exp": "not a date: " + repr(10**30), "iat": "not a date: True"}


# --- JWKS fetching ----------------------------------------------------------------------------


def jwks_client(*bodies) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    """A client whose JWKS endpoint answers each body in turn (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = bodies[min(len(seen), len(bodies)) - 1]
        if isinstance(body, httpx.Response):
            return body
        return httpx.Response(200, json=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), seen


async def test_fetch_jwks(rsa_key):
    client, seen = jwks_client(public_jwks(rsa_key))
    async with client:
        assert await jwt.fetch_jwks(client, JWKS_URI) == public_jwks(rsa_key)
    assert seen[0].method == "GET"


@pytest.mark.parametrize("answer, words", [
    (httpx.Response(200, text="<html>oops</html>"), "did not answer a JSON object"),
    (httpx.Response(200, json={"issuer": ISSUER}), 'has no "keys" list'),
    (httpx.Response(404, text="not found"), "answered HTTP 404"),
])
async def test_fetch_jwks_refuses_bad_answers(answer, words):
    client, _ = jwks_client(answer)
    async with client:
        with pytest.raises(ProtocolError, match=words):
            await jwt.fetch_jwks(client, JWKS_URI)


async def test_fetch_jwks_network_error():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(NetworkError, match="connection refused"):
            await jwt.fetch_jwks(client, JWKS_URI)


async def test_rotated_key_is_found_by_refetching(rsa_key, other_rsa_key):
    client, seen = jwks_client(public_jwks(rsa_key), public_jwks(other_rsa_key))
    async with client:
        report = await jwt.validate_with_jwks_uri(
            sign(other_rsa_key, claims()), client, JWKS_URI,
            issuer=ISSUER, audience=CLIENT, nonce="n-0S6_WzA2Mj", now=NOW)
    assert len(seen) == 2
    assert check(report, "kid").ok is True
    assert "refetched" in check(report, "kid").detail
    assert report.valid


async def test_known_kid_fetches_once(rsa_key):
    client, seen = jwks_client(public_jwks(rsa_key))
    async with client:
        report = await jwt.validate_with_jwks_uri(
            sign(rsa_key, claims()), client, JWKS_URI, issuer=ISSUER, audience=CLIENT,
            nonce="n-0S6_WzA2Mj", now=NOW)
    assert len(seen) == 1
    assert report.valid


async def test_kid_still_unknown_after_refetch_fails(rsa_key, other_rsa_key):
    client, seen = jwks_client(public_jwks(rsa_key))
    async with client:
        report = await jwt.validate_with_jwks_uri(
            sign(other_rsa_key, claims()), client, JWKS_URI, now=NOW)
    assert len(seen) == 2
    assert check(report, "kid").ok is False


async def test_a_cache_fetches_the_jwks_once_for_every_token_it_checks(rsa_key):
    client, seen = jwks_client(public_jwks(rsa_key))
    cache = jwt.JwksCache()
    async with client:
        for _ in range(3):
            report = await jwt.validate_with_jwks_uri(
                sign(rsa_key, claims()), client, JWKS_URI, cache=cache, issuer=ISSUER,
                audience=CLIENT, nonce="n-0S6_WzA2Mj", now=NOW)
            assert report.valid
    assert len(seen) == 1


async def test_a_cache_refetches_once_for_a_rotated_key_then_keeps_the_new_keys(
        rsa_key, other_rsa_key):
    both = {"keys": public_jwks(rsa_key)["keys"] + public_jwks(other_rsa_key)["keys"]}
    client, seen = jwks_client(public_jwks(rsa_key), both)
    cache = jwt.JwksCache()
    async with client:
        rotated = await jwt.validate_with_jwks_uri(sign(other_rsa_key, claims()), client,
                                                   JWKS_URI, cache=cache, now=NOW)
        old = await jwt.validate_with_jwks_uri(sign(rsa_key, claims()), client, JWKS_URI,
                                               cache=cache, now=NOW)
    assert len(seen) == 2
    assert check(rotated, "kid").ok is True and check(old, "kid").ok is True


async def test_a_cache_refetches_at_most_once_per_uri(rsa_key, other_rsa_key):
    client, seen = jwks_client(public_jwks(rsa_key))
    cache = jwt.JwksCache()
    async with client:
        for _ in range(2):
            report = await jwt.validate_with_jwks_uri(sign(other_rsa_key, claims()), client,
                                                      JWKS_URI, cache=cache, now=NOW)
            assert check(report, "kid").ok is False
    assert len(seen) == 2


async def test_a_failed_fetch_is_not_cached(rsa_key):
    client, seen = jwks_client(httpx.Response(503), public_jwks(rsa_key))
    cache = jwt.JwksCache()
    async with client:
        with pytest.raises(ProtocolError):
            await jwt.validate_with_jwks_uri(sign(rsa_key, claims()), client, JWKS_URI,
                                             cache=cache, now=NOW)
        report = await jwt.validate_with_jwks_uri(sign(rsa_key, claims()), client, JWKS_URI,
                                                  cache=cache, now=NOW)
    assert check(report, "signature").ok is True and len(seen) == 2


async def test_unreadable_token_is_not_fetched_for():
    client, seen = jwks_client({"keys": []})
    async with client:
        report = await jwt.validate_with_jwks_uri("garbage", client, JWKS_URI)
    assert seen == []
    assert check(report, "format").ok is False


def test_empty_issuer_means_none_was_given(rsa_key):
    """Endpoints given without --issuer carry issuer "": nothing to compare iss with."""
    report = run(sign(rsa_key, claims()), issuer="")
    assert check(report, "iss").ok is None


def test_empty_jwks_fails_kid(rsa_key):
    report = run(sign(rsa_key, claims()), jwks={"keys": []})
    assert (check(report, "kid").ok, check(report, "kid").detail) == (False, "JWKS holds no keys")


@pytest.mark.parametrize(("sub", "ok", "detail"), [
    (None, False, "no sub claim (required in an ID token"),
    ("", False, "not a non-empty string"),
    (42, False, "not a non-empty string"),
    ("x" * 256, False, "exceeds 255 ASCII characters"),
])
def test_an_id_token_without_a_usable_sub_fails(rsa_key, sub, ok, detail):
    """OIDC Core §2: sub is REQUIRED, a string of at most 255 ASCII characters."""
    report = run(sign(rsa_key, claims(sub=sub) if sub is not None else
                      {k: v for k, v in claims().items() if k != "sub"}),
                 jwks=public_jwks(rsa_key))
    assert check(report, "sub").ok is ok and detail in check(report, "sub").detail
    assert report.valid is False


def test_the_algorithms_judged_without_joserfc_are_the_ones_joserfc_verifies():
    """`jwt` decides on the alg before loading joserfc; the two lists must not drift apart."""
    assert SIGNATURE_ALGORITHMS == set(jws.JWSRegistry.algorithms) - {"none"}
