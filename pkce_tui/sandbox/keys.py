"""The sandbox's RS256 signing key, its JWKS, and the stand-in keys that faults sign with."""

from __future__ import annotations

import base64
import json
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pkce_tui.core.errors import InputError

if TYPE_CHECKING:  # JOSE (and cryptography) load with the first key, not with the sandbox
    from joserfc.jwk import RSAKey

KEY_PARAMETERS = {"use": "sig", "alg": "RS256"}


def generate_key() -> RSAKey:
    """A fresh 2048-bit RSA key whose kid is its RFC 7638 thumbprint."""
    from joserfc.jwk import RSAKey

    return RSAKey.generate_key(2048, parameters=dict(KEY_PARAMETERS), auto_kid=True)


def load_or_create_key(path: str) -> RSAKey:
    """The private key in `path` (PEM or JWK); a new one is written there (mode 0600) if absent.

    A file that cannot be read or written is an `InputError` naming the key file, so the
    command reports a bad `--key-file` (exit 2) rather than a failure to listen.
    """
    file = Path(path)
    if not file.exists():
        key = generate_key()
        _write_private_key(file, key)
        return key
    return _import_private_key(file)


def _write_private_key(file: Path, key: RSAKey) -> None:
    """Create `file` readable by its owner only and write `key` there as PEM."""
    try:
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(key.as_pem(private=True))
    except OSError as exc:
        raise InputError(f"cannot write key file {file}: {_reason(exc)}") from exc


def _reason(exc: OSError) -> str:
    """Why a file could not be created, in words that point at the fix."""
    if isinstance(exc, FileNotFoundError):
        return "no such directory"
    return (exc.strerror or str(exc)).lower()


def _import_private_key(file: Path) -> RSAKey:
    from joserfc.errors import JoseError
    from joserfc.jwk import RSAKey

    try:
        data = file.read_bytes()[:100_000]
        value = json.loads(data) if data.lstrip().startswith(b"{") else data
        key = RSAKey.import_key(value)
    except (OSError, ValueError, JoseError) as exc:
        raise InputError(
            f"key file {file}: not a readable RSA key in PEM or JWK form ({exc})") from exc
    if not key.is_private:
        raise InputError(f"key file {file}: holds a public key; the sandbox needs the private key")
    return RSAKey.import_key(key.as_dict(private=True), parameters={
        **KEY_PARAMETERS, "kid": key.kid or key.thumbprint()})


def unsigned(claims: dict) -> str:
    """An unsecured JWT (RFC 7519 §6): header alg none and an empty signature."""
    def segment(value: dict) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims)}."


class SigningKeys:
    """The published key, plus the unpublished keys the signature faults sign with.

    Without a key given, the current one is made on first use (the JWKS, the first token):
    a 2048-bit RSA key takes 10 to 100 ms, and discovery, login and authorize need none, so
    a started sandbox answers at once and `pkce-tui demo` is ready sooner.
    """

    def __init__(self, key: RSAKey | None = None):
        self._current = key
        self._making = threading.Lock()  # the server thread and its owner may both ask

    @property
    def current(self) -> RSAKey:
        """The published signing key, made once when first asked for."""
        if self._current is None:
            with self._making:
                if self._current is None:
                    self._current = generate_key()
        return self._current

    @cached_property
    def rotated(self) -> RSAKey:
        """A key with a new kid that the JWKS never lists: the state right after a rotation."""
        return generate_key()

    @cached_property
    def impostor(self) -> RSAKey:
        """Another key that signs under the published kid, so the signature cannot verify."""
        from joserfc.jwk import RSAKey

        return RSAKey.import_key(generate_key().as_dict(private=True), parameters={
            **KEY_PARAMETERS, "kid": self.current.kid})

    def jwks(self) -> dict:
        """The JWK Set (RFC 7517 §5) with the public half of the current key only."""
        return {"keys": [self.current.as_dict(private=False)]}

    def sign(self, claims: dict, faults: frozenset[str] = frozenset(), typ: str = "JWT") -> str:
        """A compact RS256 JWT of `claims`, signed by the key the faults call for; `typ`
        is `at+jwt` for access tokens (RFC 9068 §2.1)."""
        if "alg_none" in faults:
            return unsigned(claims)
        from joserfc import jwt

        key = self.current
        if "rotated_key" in faults:
            key = self.rotated
        elif "bad_signature" in faults:
            key = self.impostor
        return jwt.encode({"alg": "RS256", "typ": typ, "kid": key.kid}, claims, key)
