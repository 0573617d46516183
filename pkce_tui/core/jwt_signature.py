"""The JWT's alg, signature and kid checks (RFC 7515, RFC 8725).

The alg is judged before any key is looked at; only when a JWKS is given are the key picked
and the signature verified, in `jwt_keys` with joserfc, which is loaded then and not before:
`pkce-tui jwt` without `--jwks` decodes and checks claims without loading joserfc or
cryptography.
"""

from __future__ import annotations

from pkce_tui.core.checks import Check

#: RFC 7518 §3.1 (and RFC 8037 for EdDSA): the key type each signature algorithm needs.
_KEY_TYPE_BY_PREFIX = {"HS": "oct", "RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
#: The JWS algorithms joserfc verifies (RFC 7518 §3.1, RFC 8037, RFC 8812 ES256K, and the
#: fully specified Ed25519/Ed448); a test keeps this list equal to joserfc's registry.
SIGNATURE_ALGORITHMS = frozenset({
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    "ES256", "ES256K", "ES384", "ES512", "EdDSA", "Ed25519", "Ed448",
})


def signature_checks(token: str, header: dict, jwks: dict | None) -> list[Check]:
    """The `alg`, `signature` and `kid` checks, in that order."""
    alg, kid = header.get("alg"), header.get("kid")
    refusal = _alg_refusal(alg)
    if refusal:
        unsigned = alg == "none"
        return [Check("alg", False, refusal),
                Check("signature", False if unsigned else None,
                      "the token is unsigned" if unsigned else "not checked: alg refused"),
                _kid_without_key(kid, "not checked: alg refused")]
    if jwks is None:
        return [Check("alg", True, alg_summary(alg)),
                Check("signature", None, "no JWKS given"), _kid_without_key(kid, "no JWKS given")]
    from pkce_tui.core.jwt_keys import checks_with_jwks  # joserfc, only to verify

    return checks_with_jwks(token, alg, kid, jwks)


def _alg_refusal(alg: object) -> str | None:
    """Why `alg` is refused before any key is looked at (RFC 8725 §3.1, §3.2), or None."""
    if not isinstance(alg, str) or not alg:
        return "header has no alg"
    if alg == "none":
        return "alg none refused: an unsigned token proves nothing (RFC 8725 §3.1)"
    if alg not in SIGNATURE_ALGORITHMS or key_type_for(alg) is None:
        return f"alg {alg!r} is not a JWS signature algorithm this tool can verify"
    return None


def alg_summary(alg: str) -> str:
    """What signing with `alg` means, for the alg check's detail."""
    if alg.startswith("HS"):
        return f"{alg}: HMAC with a shared secret (the client secret), not a published key"
    return f"{alg}: signed with the issuer's {key_type_for(alg)} key"


def key_type_for(alg: str) -> str | None:
    """The JWK `kty` that `alg` signs with (RFC 7518 §6.1), None for an alg of no known family."""
    return _KEY_TYPE_BY_PREFIX.get(alg[:2])


def _kid_without_key(kid: object, reason: str) -> Check:
    named = f" (header kid {kid!r})" if kid is not None else ""
    return Check("kid", None, reason + named)
