"""The small headless commands: `pkce`, `parse-redirect` and `jwt` (DESIGN.md §3)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from pkce_tui.core import jwt as jwt_core
from pkce_tui.core.client import new_client
from pkce_tui.core.errors import InputError
from pkce_tui.core.pkce import generate_verifier, make_challenge
from pkce_tui.core.redirect import parse_redirect as parse_redirect_text

MAX_INPUT_BYTES = 64 * 1024 * 1024  # a HAR export can be large; pages are bounded again


def pkce(args: argparse.Namespace) -> int:
    """Print a verifier and its challenge with the intermediate values."""
    verifier = args.verifier if args.verifier is not None else generate_verifier(args.length)
    derived = make_challenge(verifier, args.method)
    if args.json:
        emit_json(derived.to_json())
    else:
        lines = [("code_verifier", derived.code_verifier),
                 ("verifier bytes", derived.verifier_bytes_hex),
                 ("sha256 (hex)", derived.sha256_hex or "(plain: no hash)"),
                 ("code_challenge", derived.code_challenge), ("method", derived.method)]
        for label, value in lines:
            print(f"{label:<15} {value}")
    for problem in derived.problems:
        print(f"pkce-tui: invalid verifier: {problem}", file=sys.stderr)
    return 0 if derived.valid else 1


def parse_redirect(args: argparse.Namespace) -> int:
    """Print what a redirect URL, HTTP response or HTML page carries, with its checks."""
    text = args.source if _is_redirect_text(args.source) else read_input(args.source, "redirect")
    result = parse_redirect_text(text, expected_state=args.state, expected_issuer=args.issuer)
    if args.json:
        emit_json(result.to_json())
    else:
        print(f"kind            {result.kind} (from {result.source})")
        for name in ("redirect_url", "code", "state", "iss", "error", "error_description"):
            value = getattr(result, name)
            if value is not None:
                print(f"{name:<15} {value}")
        print_checks([c.to_json() for c in result.checks])
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    failed = result.kind != "code" or any(c.ok is False for c in result.checks)
    return 1 if failed else 0


def _is_redirect_text(source: str) -> bool:
    """A SOURCE that is no file but looks like a URL (`https://…`, `com.app:/cb?code=…`,
    `/callback?code=…`) is the redirect itself; anything else names a file or stdin."""
    if source == "-" or Path(source).is_file():
        return False
    return "://" in source or ":/" in source or "?" in source


def jwt(args: argparse.Namespace) -> int:
    """Decode a JWT and validate it: signature via the JWKS, and the OIDC claim checks."""
    token = read_input(args.token, "token").strip() if args.token == "-" else args.token.strip()
    options = {"issuer": args.issuer, "audience": args.audience, "nonce": args.nonce,
               "access_token": args.access_token, "leeway": args.leeway}
    if args.jwks and "://" in args.jwks:
        report = asyncio.run(_validate_remote(token, args.jwks, args.insecure, options))
    else:
        jwks = _load_json(args.jwks, "JWKS") if args.jwks else None
        report = jwt_core.validate(token, jwks=jwks, **options)
    if args.json:
        emit_json(report.to_json())
    else:
        print("header  " + json.dumps(report.header, indent=2))
        print("payload " + json.dumps(report.payload, indent=2))
        print_checks([c.to_json() for c in report.checks])
    return _jwt_exit_code(report)


def _jwt_exit_code(report: jwt_core.JwtReport) -> int:
    format_check = next((c for c in report.checks if c.name == "format"), None)
    if format_check is not None and format_check.ok is False:
        print(f"pkce-tui: not a JWT: {format_check.detail}", file=sys.stderr)
        return 2
    return 0 if report.valid else 1


async def _validate_remote(token: str, jwks_uri: str, insecure: bool,
                           options: dict) -> jwt_core.JwtReport:
    async with new_client(insecure=insecure) as client:
        return await jwt_core.validate_with_jwks_uri(token, client, jwks_uri, **options)


def read_input(source: str, what: str) -> str:
    """Read a file or stdin (`-`), bounded; an unreadable one is an InputError."""
    try:
        if source == "-":
            text = sys.stdin.read(MAX_INPUT_BYTES + 1)
        else:
            with Path(source).open(encoding="utf-8", errors="replace") as handle:
                text = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the {what} from {source}: {exc.strerror}") from exc
    if len(text) > MAX_INPUT_BYTES:
        raise InputError(f"the {what} in {source} is larger than {MAX_INPUT_BYTES} bytes")
    return text


def _load_json(source: str, what: str) -> dict:
    try:
        data = json.loads(read_input(source, what))
    except ValueError as exc:
        raise InputError(f"the {what} in {source} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"the {what} in {source} is not a JSON object")
    return data


def key_values(pairs: list[str], option: str) -> tuple[tuple[str, str], ...]:
    """`k=v` options as pairs; one without `=` is an InputError naming it."""
    parsed = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InputError(f"{option} {pair!r} is not of the form name=value")
        parsed.append((name, value))
    return tuple(parsed)


def emit_json(document: dict) -> None:
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def print_checks(checks: list[dict]) -> None:
    marks = {True: "pass", False: "FAIL", None: "  ? "}
    for check in checks:
        print(f"  [{marks[check['ok']]}] {check['name']:<10} {check['detail']}")
