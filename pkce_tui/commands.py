"""The small headless commands: `pkce`, `parse-redirect` and `jwt` (DESIGN.md §3), and the
reading of their arguments and inputs."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from pkce_tui.core import jwt as jwt_core
from pkce_tui.core.checks import Check
from pkce_tui.core.errors import InputError, NetworkError, ProtocolError
from pkce_tui.core.json_input import json_object
from pkce_tui.core.pkce import entropy_text, generate_verifier, make_challenge, verifier_strength
from pkce_tui.core.redirect import RedirectResult
from pkce_tui.core.redirect import parse_redirect as parse_redirect_text
from pkce_tui.output import emit_json, finite, one_line, print_checks, print_error

MAX_INPUT_BYTES = 64 * 1024 * 1024  # a HAR export can be large; pages are bounded again
_READ_CHUNK = 1024 * 1024
_TOKEN_SLACK = 4096  # whitespace around a token read from stdin (a pasted line, a newline)
#: RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def pkce(args: argparse.Namespace) -> int:
    """Print a verifier and its challenge with the intermediate values."""
    verifier = args.verifier if args.verifier is not None else generate_verifier(args.length)
    derived = make_challenge(verifier, args.method)
    strength = verifier_strength(verifier)
    if args.json:
        emit_json({**derived.to_json(), "entropy": strength.to_json()})
    else:
        lines = [("code_verifier", derived.code_verifier),
                 ("verifier bytes", derived.verifier_bytes_hex),
                 ("sha256 (hex)", derived.sha256_hex or "(plain: no hash)"),
                 ("code_challenge", derived.code_challenge), ("method", derived.method),
                 ("entropy", entropy_text(strength)),
                 *(("warning", warning) for warning in strength.warnings)]
        for label, value in lines:
            print(f"{label:<15} {one_line(value)}")
    if derived.problems:
        print_error("invalid verifier: " + "; ".join(derived.problems))
    return 0 if derived.valid else 1


def parse_redirect(args: argparse.Namespace) -> int:
    """Print what a redirect URL, HTTP response or HTML page carries, with its checks.

    Text holding no redirect is bad input (exit 2); with `--json` it is still reported, as
    kind "none", so a script always reads one object.
    """
    text = args.source if _is_redirect_text(args.source) else read_redirect_input(args.source)
    try:
        result = parse_redirect_text(text, expected_state=args.state,
                                     expected_issuer=args.issuer)
    except InputError as exc:
        if args.json:
            emit_json(_no_redirect(str(exc)).to_json())
        raise
    if args.json:
        emit_json(result.to_json())
    else:
        _print_redirect(result)
    problem = _redirect_problem(result)
    if problem:
        print_error(problem)
    return 1 if problem else 0


def _print_redirect(result: RedirectResult) -> None:
    print(f"kind            {result.kind} (from {result.source})")
    for name in ("redirect_url", "code", "state", "iss", "error", "error_description"):
        value = getattr(result, name)
        if value is not None:
            print(f"{name:<15} {one_line(value)}")
    print_checks([c.to_json() for c in result.checks])
    for warning in result.warnings:
        print_error(f"warning: {warning}")


def _no_redirect(reason: str) -> RedirectResult:
    """The report on text that holds no redirect: nothing found, nothing to check."""
    not_made = "not checked: no redirect found"
    return RedirectResult(
        kind="none", source=None, redirect_url=None, params={}, code=None, state=None,
        iss=None, error=None, error_description=None,
        checks=(Check("state", None, not_made), Check("iss", None, not_made),
                Check("code", False, reason)),
        warnings=(),
    )


def _redirect_problem(result: RedirectResult) -> str | None:
    """Why the redirect gives no usable code, in one line; None when it does."""
    if result.kind == "error":
        said = f": {result.error_description}" if result.error_description else ""
        return f"the server answered {result.error!r}{said}"
    failed = next((check for check in result.checks if check.ok is False), None)
    return f"{failed.name} check failed: {failed.detail}" if failed else None


def _is_redirect_text(source: str) -> bool:
    """A SOURCE that is no file but looks like a URL (`https://…`, `com.app:/cb?code=…`,
    `/callback?code=…`) is the redirect itself; anything else names a file or stdin."""
    if source == "-" or _is_file(source):
        return False
    return "://" in source or ":/" in source or "?" in source


def _is_file(source: str) -> bool:
    """True for an existing file; a name the system cannot even look up (too long) is none."""
    try:
        return Path(source).is_file()
    except OSError:
        return False


def jwt(args: argparse.Namespace) -> int:
    """Decode a JWT and validate it: signature via the JWKS, and the OIDC claim checks."""
    token = _read_token(args.token)
    options = {"issuer": args.issuer, "audience": args.audience, "nonce": args.nonce,
               "access_token": args.access_token, "leeway": args.leeway}
    insecure_warning = _insecure_warning() if args.insecure else None
    if insecure_warning:
        print_error(f"warning: {insecure_warning}")
    report = _jwt_report(token, args.jwks, args.insecure, options, args.timeout)
    if args.json:
        warnings = {"warnings": [insecure_warning]} if insecure_warning else {}
        emit_json({**report.to_json(), **warnings})
    else:
        print("header  " + json.dumps(finite(report.header), indent=2))
        print("payload " + json.dumps(finite(report.payload), indent=2))
        print_checks([c.to_json() for c in report.checks])
    return _jwt_exit_code(report)


def _read_token(source: str) -> str:
    """The token given as the argument, or read from stdin for `-` (an argument is bounded by
    the system, about 128 KiB; stdin takes tokens up to jwt.MAX_TOKEN_CHARS, 1 MiB). A little
    more is read so a longer token is refused by its length, not cut."""
    if source != "-":
        return source.strip()
    return read_input("-", "token", limit=jwt_core.MAX_TOKEN_CHARS + _TOKEN_SLACK).strip()


def _insecure_warning() -> str:
    from pkce_tui.core.flow import INSECURE_WARNING

    return INSECURE_WARNING


def _jwt_report(token: str, jwks: str | None, insecure: bool, options: dict,
                timeout: float) -> jwt_core.JwtReport:
    """Validate against a JWKS URL, a JWKS file, or (without `--jwks`) no key at all.

    asyncio and httpx are loaded only for a JWKS URL: decoding alone starts fast.
    """
    if jwks and "://" in jwks:
        import asyncio

        return asyncio.run(_validate_remote(token, _jwks_url(jwks), insecure, options, timeout))
    return jwt_core.validate(token, jwks=_load_json(jwks, "JWKS") if jwks else None, **options)


def _jwt_exit_code(report: jwt_core.JwtReport) -> int:
    format_check = next((c for c in report.checks if c.name == "format"), None)
    if format_check is not None and format_check.ok is False:
        print_error(f"not a JWT: {format_check.detail}")
        return 2
    return 0 if report.valid else 1


def _jwks_url(url: str) -> str:
    """`--jwks` as an absolute http(s) URL; anything else is bad input, refused unsent."""
    parts = require_absolute_uri(url, "--jwks")
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError(f"--jwks {url!r} is not an http(s) URL")
    return url


async def _validate_remote(token: str, jwks_uri: str, insecure: bool, options: dict,
                           timeout: float) -> jwt_core.JwtReport:
    """Validate with the keys at `jwks_uri`; when they cannot be had, the claims are still
    checked and the signature check fails with the reason."""
    from pkce_tui.core.client import new_client  # httpx: loaded only to fetch a JWKS

    async with new_client(insecure=insecure, timeout=timeout) as client:
        try:
            return await jwt_core.validate_with_jwks_uri(token, client, jwks_uri, **options)
        except (NetworkError, ProtocolError) as exc:
            print_error(f"signature not verified: {exc}")
            return jwt_core.validate_without_jwks(token, str(exc), **options)


def read_redirect_input(source: str) -> str:
    """The redirect text in a file or stdin: a HAR export may be large, anything else (a
    URL, a response, a page) is refused past 1 MB as soon as that is known, not decoded."""
    from pkce_tui.core.redirect_input import MAX_INPUT_BYTES as MAX_REDIRECT_BYTES

    return read_input(source, "redirect", unless_har=MAX_REDIRECT_BYTES)


def read_input(source: str, what: str, *, limit: int = MAX_INPUT_BYTES,
               unless_har: int | None = None) -> str:
    """Read a file or stdin (`-`), at most `limit` bytes, as UTF-8 text; an unreadable,
    longer or binary one (a NUL byte: no URL, page, token or HAR holds one) is an InputError.
    With `unless_har`, text that does not begin as a HAR file is held to that many bytes.

    Bytes are read a chunk at a time and checked as they come, so `/dev/urandom` is refused
    after one chunk instead of being decoded whole first.
    """
    try:
        if source == "-":
            stream = getattr(sys.stdin, "buffer", None)
            data = _read_bytes(stream, source, what, limit, unless_har) if stream else \
                sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
        else:
            with Path(source).open("rb") as handle:
                data = _read_bytes(handle, source, what, limit, unless_har)
    except OSError as exc:
        raise InputError(f"cannot read the {what} from {source}: {exc.strerror}") from exc
    except ValueError as exc:  # a NUL byte, or a lone surrogate, cannot name a file
        raise InputError(f"cannot read the {what} from {source!r}: not a valid file name") \
            from exc
    if len(data) > limit:
        raise InputError(f"the {what} in {source} is larger than {limit} bytes")
    return data.decode("utf-8", "replace")


def _read_bytes(stream, source: str, what: str, limit: int, unless_har: int | None) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= limit and (chunk := stream.read(min(_READ_CHUNK, limit + 1 - size))):
        if b"\0" in chunk:
            raise InputError(f"the {what} in {source} is binary data, not text")
        chunks.append(chunk)
        size += len(chunk)
        if unless_har is not None and size > unless_har and not _begins_as_har(chunks[0]):
            raise InputError(f"input too large: over {unless_har} bytes (only a HAR file may "
                             "be larger)")
    return b"".join(chunks)


def _begins_as_har(head: bytes) -> bool:
    from pkce_tui.core.har import looks_like_har

    return looks_like_har(head[:400].decode("utf-8", "replace"))


def _load_json(source: str, what: str) -> dict:
    """A JSON object from a file or stdin; malformed or too deeply nested JSON is an InputError."""
    return json_object(read_input(source, what), f"the {what} in {source}")


def require_absolute_uri(uri: str, option: str) -> SplitResult:
    """`uri` split, when it is an absolute URI (RFC 3986 §4.3): a scheme, no spaces or control
    characters, a well-formed host and port, and a host for http(s). Else an InputError."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise InputError(f"{option} {uri!r} is not a valid URI ({exc})") from exc
    if not _SCHEME.fullmatch(parts.scheme) or not uri.isprintable() or " " in uri:
        raise InputError(f"{option} {uri!r} is not an absolute URI (RFC 3986 §4.3)")
    if parts.scheme.lower() in ("http", "https") and not parts.hostname:
        raise InputError(f"{option} {uri!r} has no host")
    return parts


def key_values(pairs: list[str], option: str) -> tuple[tuple[str, str], ...]:
    """`k=v` options as pairs; one without `=` is an InputError naming it."""
    parsed = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InputError(f"{option} {pair!r} is not of the form name=value")
        parsed.append((name, value))
    return tuple(parsed)
