"""Code verifier and code challenge (RFC 7636), with every intermediate value shown."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from dataclasses import asdict, dataclass

from pkce_tui.core.errors import InputError

VERIFIER_MIN_LENGTH = 43
VERIFIER_MAX_LENGTH = 128
DEFAULT_VERIFIER_LENGTH = 64
#: RFC 7636 §4.1: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_ALPHABET = "".join(sorted(UNRESERVED))
METHODS = ("S256", "plain")


def generate_verifier(length: int = DEFAULT_VERIFIER_LENGTH) -> str:
    """A fresh verifier from the OS CSPRNG over the full unreserved alphabet (RFC 7636 §4.1)."""
    if not VERIFIER_MIN_LENGTH <= length <= VERIFIER_MAX_LENGTH:
        raise InputError(
            f"verifier length {length} is outside "
            f"{VERIFIER_MIN_LENGTH}..{VERIFIER_MAX_LENGTH} (RFC 7636 §4.1)"
        )
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def verifier_problems(verifier: str) -> list[str]:
    """Every way `verifier` breaks RFC 7636 §4.1, each a short sentence; empty when valid."""
    problems = []
    if len(verifier) < VERIFIER_MIN_LENGTH:
        problems.append(f"too short: {len(verifier)} characters, at least {VERIFIER_MIN_LENGTH}")
    if len(verifier) > VERIFIER_MAX_LENGTH:
        problems.append(f"too long: {len(verifier)} characters, at most {VERIFIER_MAX_LENGTH}")
    for position, char in enumerate(verifier, start=1):
        if char not in UNRESERVED:
            problems.append(f"bad character {char!r} at position {position}")
            break
    return problems


def verifier_entropy_bits(verifier: str) -> float:
    """Entropy of a verifier drawn uniformly from the 66 unreserved characters."""
    return round(len(verifier) * 6.044394119358453, 1)  # log2(66)


def verifier_octets(verifier: str) -> bytes:
    """The octets a verifier is hashed from: its UTF-8 bytes, never a substitute.

    RFC 7636 §4.2 hashes ASCII(code_verifier); for a verifier that is not ASCII (already a
    problem under §4.1) the bytes shown are those of the string as typed. Bytes the command
    line could not decode come back as they were (PEP 383); any other lone surrogate is
    written as UTF-8 would write it, so nothing fails and nothing is replaced.
    """
    try:
        return verifier.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return verifier.encode("utf-8", "surrogatepass")


def base64url(data: bytes) -> str:
    """Base64url without padding (RFC 7636 Appendix A)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Challenge:
    """A verifier, the challenge derived from it, and the values in between."""

    code_verifier: str
    method: str
    code_challenge: str
    verifier_bytes_hex: str
    sha256_hex: str | None
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        data = asdict(self)
        data["problems"] = list(self.problems)
        data["valid"] = self.valid
        return data


def make_challenge(verifier: str, method: str = "S256") -> Challenge:
    """Derive the code challenge (RFC 7636 §4.2); an invalid verifier still yields its values.

    The challenge of an invalid verifier is still computed so a learner can see what a server
    would compare against; `problems` says why a server should refuse it.
    """
    if method not in METHODS:
        raise InputError(f"unknown code_challenge_method {method!r}: use S256 or plain")
    raw = verifier_octets(verifier)
    digest = hashlib.sha256(raw).digest() if method == "S256" else None
    return Challenge(
        code_verifier=verifier,
        method=method,
        code_challenge=base64url(digest) if digest else verifier,
        verifier_bytes_hex=raw.hex(),
        sha256_hex=digest.hex() if digest else None,
        problems=tuple(verifier_problems(verifier)),
    )
