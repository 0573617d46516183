"""Code verifier and challenge (RFC 7636): the Appendix B vector, validation, generation."""

import hashlib
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pkce_tui.core.errors import InputError
from pkce_tui.core.pkce import (
    UNRESERVED,
    base64url,
    generate_verifier,
    make_challenge,
    verifier_entropy_bits,
    verifier_problems,
    verifier_strength,
)

RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_s256_matches_rfc7636_appendix_b():
    challenge = make_challenge(RFC_VERIFIER, "S256")
    assert challenge.code_challenge == RFC_CHALLENGE
    assert challenge.valid
    assert challenge.problems == ()


def test_s256_shows_the_intermediate_values():
    challenge = make_challenge(RFC_VERIFIER, "S256")
    assert challenge.verifier_bytes_hex == RFC_VERIFIER.encode("ascii").hex()
    assert challenge.sha256_hex == hashlib.sha256(RFC_VERIFIER.encode()).hexdigest()


def test_plain_challenge_is_the_verifier_and_has_no_digest():
    challenge = make_challenge(RFC_VERIFIER, "plain")
    assert challenge.code_challenge == RFC_VERIFIER
    assert challenge.sha256_hex is None


def test_unknown_method_is_an_input_error():
    with pytest.raises(InputError, match="unknown code_challenge_method 'S512'"):
        make_challenge(RFC_VERIFIER, "S512")


def test_to_json_has_the_pkce_command_shape():
    data = make_challenge(RFC_VERIFIER).to_json()
    assert set(data) == {
        "code_verifier", "method", "code_challenge", "verifier_bytes_hex", "sha256_hex",
        "valid", "problems",
    }
    assert data["valid"] is True
    assert data["problems"] == []


def test_base64url_drops_padding_and_uses_url_alphabet():
    assert base64url(b"\xfb\xff") == "-_8"


@pytest.mark.parametrize(
    ("verifier", "problem"),
    [
        ("a" * 42, "too short: 42 characters, at least 43"),
        ("a" * 129, "too long: 129 characters, at most 128"),
        ("a" * 50 + "+", "bad character '+' at position 51"),
        ("a" * 50 + " ", "bad character ' ' at position 51"),
    ],
)
def test_verifier_problems_name_what_is_wrong(verifier, problem):
    assert verifier_problems(verifier) == [problem]


def test_boundary_lengths_are_valid():
    assert verifier_problems("a" * 43) == []
    assert verifier_problems("a" * 128) == []


def test_invalid_verifier_still_yields_a_challenge_with_problems():
    challenge = make_challenge("short", "S256")
    assert not challenge.valid
    assert challenge.code_challenge == base64url(hashlib.sha256(b"short").digest())


@pytest.mark.parametrize("length", [43, 64, 128])
def test_generated_verifiers_are_valid_and_of_the_asked_length(length):
    verifier = generate_verifier(length)
    assert len(verifier) == length
    assert verifier_problems(verifier) == []


def test_generated_verifiers_differ():
    assert generate_verifier() != generate_verifier()


@pytest.mark.parametrize("length", [42, 129])
def test_generate_refuses_lengths_outside_the_rfc_range(length):
    with pytest.raises(InputError, match=f"verifier length {length} is outside 43..128"):
        generate_verifier(length)


def test_entropy_of_a_43_character_verifier_exceeds_256_bits():
    assert verifier_entropy_bits("a" * 43) > 256


@given(st.text())
def test_verifier_problems_never_raise_on_any_text(text):
    problems = verifier_problems(text)
    assert (problems == []) == (43 <= len(text) <= 128 and set(text) <= UNRESERVED)


@given(st.text(), st.sampled_from(["S256", "plain"]))
def test_make_challenge_never_raises_on_any_text(text, method):
    challenge = make_challenge(text, method)
    assert challenge.valid == (verifier_problems(text) == [])


def test_a_non_ascii_verifier_shows_its_own_utf8_bytes():
    """RFC 7636 §4.1 refuses it, yet the values shown are of the string typed, not a stand-in."""
    verifier = "é" + RFC_VERIFIER
    challenge = make_challenge(verifier)
    assert challenge.verifier_bytes_hex == verifier.encode("utf-8").hex()
    assert challenge.verifier_bytes_hex.startswith("c3a9")
    assert challenge.code_challenge == base64url(hashlib.sha256(verifier.encode()).digest())
    assert "bad character 'é' at position 1" in challenge.problems


def test_undecodable_command_line_bytes_are_shown_as_they_were_typed():
    typed = b"\xe9" + RFC_VERIFIER.encode()
    verifier = typed.decode("utf-8", "surrogateescape")  # how Python hands such argv over
    assert make_challenge(verifier, "plain").verifier_bytes_hex == typed.hex()
    assert make_challenge("\ud800", "plain").verifier_bytes_hex == "eda080"


@pytest.mark.parametrize(("verifier", "warning"), [
    ("a" * 43, "repeated characters 'aaaaa'"),
    ("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "sequential characters 'abcde'"),
    ("Xk9qLz2vB7nR4tY8wE1u" + "76543" + "I0oP3aS6dF5gHjKlZxC", "sequential characters '76543'"),
    ("mypasswordXk9qLz2vB7nR4tY8wE1uI0oP3aS6dF5gH", "holds the word 'password'"),
    ("ab" * 22, "only 2 distinct characters"),
])
def test_strength_flags_visibly_non_random_verifiers(verifier, warning):
    """RFC 7636 §7.1: length is no entropy; each pattern a person types is named."""
    strength = verifier_strength(verifier)
    assert any(warning in w for w in strength.warnings)
    assert not strength.meets_recommendation


def test_strength_of_random_verifiers_is_the_ceiling_without_warnings():
    """A random verifier of 43 characters reaches 43·log2(66) ≈ 259.9 bits ≥ 256 (§7.1) and
    trips no pattern (a seeded draw, so the test cannot flake on a rare chance run)."""
    draw = random.Random(7636)
    alphabet = sorted(UNRESERVED)
    for _ in range(500):
        strength = verifier_strength("".join(draw.choice(alphabet) for _ in range(43)))
        assert strength.warnings == () and strength.max_bits == 259.9
        assert strength.meets_recommendation


def test_strength_of_a_short_verifier_is_under_the_recommendation():
    assert "under the 256 bits" in verifier_strength("Xk9qLz2vB7nR4tY8wE1u").warnings[-1]
