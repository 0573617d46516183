"""Code verifier and code challenge (RFC 7636), with every intermediate value shown."""

from __future__ import annotations

import base64
import hashlib
import math
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
    """The most entropy a verifier of this length can have: each of its characters drawn
    uniformly from the 66 unreserved ones. A typed verifier has as much only if it was
    random; `verifier_strength` says when it visibly was not."""
    return round(len(verifier) * math.log2(len(UNRESERVED)), 1)


#: RFC 7636 §7.1: the verifier SHOULD carry at least 256 bits of entropy.
RECOMMENDED_ENTROPY_BITS = 256
#: Runs this long (the same character, or consecutive ones like `abcde`) are rare by chance:
#: about one random 128-character verifier in 50,000 holds one.
_RUN = 5
#: Words people type into a verifier, lower case; a verifier holding one was not drawn at random.
_WORDS = ("password", "passwd", "secret", "verifier", "challenge", "example", "test", "admin",
          "hello", "world", "qwerty", "letmein", "welcome", "login", "alice", "oauth", "token")
_MIN_WORD = 4


@dataclass(frozen=True)
class Strength:
    """How much entropy a verifier can hold, and why this one visibly holds less."""

    max_bits: float
    warnings: tuple[str, ...]

    @property
    def meets_recommendation(self) -> bool:
        return self.max_bits >= RECOMMENDED_ENTROPY_BITS and not self.warnings

    def to_json(self) -> dict:
        return {"max_bits": self.max_bits, "recommended_bits": RECOMMENDED_ENTROPY_BITS,
                "warnings": list(self.warnings)}


def verifier_strength(verifier: str) -> Strength:
    """The entropy ceiling of `verifier` and the patterns that show it was not random.

    RFC 7636 §7.1 asks for a verifier with enough entropy that guessing it is impractical
    (256 bits recommended, e.g. 32 random octets base64url-encoded). Length alone proves
    nothing: 43 × `a` is 43 characters but no entropy. The checks flag what a learner types:
    repeated or consecutive runs, common words, and too few distinct characters.
    """
    warnings = [w for w in (_run_warning(verifier), _word_warning(verifier),
                            _distinct_warning(verifier)) if w]
    bits = verifier_entropy_bits(verifier)
    if verifier and bits < RECOMMENDED_ENTROPY_BITS:
        warnings.append(f"{len(verifier)} random characters hold at most {bits} bits, under "
                        f"the {RECOMMENDED_ENTROPY_BITS} bits RFC 7636 §7.1 recommends")
    return Strength(bits, tuple(warnings))


def entropy_text(strength: Strength) -> str:
    """The entropy line shown beside a verifier: the ceiling, and whether it is reached."""
    if strength.warnings:
        return (f"at most {strength.max_bits} bits if random, but it is not; RFC 7636 §7.1 "
                f"recommends {RECOMMENDED_ENTROPY_BITS} bits")
    return f"{strength.max_bits} bits if random (RFC 7636 §7.1: {RECOMMENDED_ENTROPY_BITS})"


def _run_warning(verifier: str) -> str | None:
    """The first run of `_RUN` repeated (`aaaa`) or consecutive (`abcd`, `4321`) characters."""
    for start in range(len(verifier) - _RUN + 1):
        run = verifier[start:start + _RUN]
        steps = {ord(b) - ord(a) for a, b in zip(run, run[1:])}  # noqa: B905 (one shorter)
        if len(steps) == 1 and steps <= {-1, 0, 1}:
            kind = "repeated" if steps == {0} else "sequential"
            return (f"{kind} characters {run!r} at position "
                    f"{start + 1}: not random")
    return None


def _word_warning(verifier: str) -> str | None:
    lowered = verifier.lower()
    found = [word for word in _WORDS if len(word) >= _MIN_WORD and word in lowered]
    return f"holds the word {found[0]!r}: not random" if found else None


def _distinct_warning(verifier: str) -> str | None:
    """Too few distinct characters: a random verifier of n characters has about
    66·(1 − (65/66)^n) of them (32 for 43 characters); fewer than half that is telling."""
    if not verifier:
        return None
    expected = len(UNRESERVED) * (1 - ((len(UNRESERVED) - 1) / len(UNRESERVED)) ** len(verifier))
    distinct = len(set(verifier))
    if distinct < expected / 2:
        return (f"only {distinct} distinct characters (a random one of this length has about "
                f"{round(expected)}): not random")
    return None


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
