"""URLs from users and servers read without surprises (RFC 3986).

`urllib.parse` raises ValueError on a malformed IPv6 host (`http://[::1`) and, only when the
port is read, on a port that is not a number or past 65535. Every URL that came from a user, a
server, a page or a file is split here, so such a URL is "not a URL" to the caller, never a
traceback.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urljoin, urlsplit

from pkce_tui.core.errors import InputError


def split(url: str) -> SplitResult | None:
    """`url` split into its parts, its port checked; None when it cannot be read."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        return None
    return parts


def parts(url: str) -> SplitResult:
    """`url` split, or no parts at all when it cannot be read: no query, no host."""
    return split(url) or SplitResult("", "", "", "", "")


def same_endpoint(url: str, other: str) -> bool:
    """Same scheme, host, port and path; a URL that cannot be read matches nothing."""
    first, second = split(url), split(other)
    if first is None or second is None:
        return False
    return ((first.scheme.lower(), first.hostname, first.port, first.path)
            == (second.scheme.lower(), second.hostname, second.port, second.path))


def require(url: str, what: str) -> SplitResult:
    """`url` split, or an InputError naming `what` (the option or field it came from)."""
    parts = split(url)
    if parts is None:
        raise InputError(f"{what} {url!r} is not a valid URL (malformed host or port)")
    return parts


def port(url: str) -> int | None:
    """The explicit port of `url`, or None when it has none or cannot be read."""
    parts = split(url)
    return parts.port if parts is not None else None


def origin(url: str) -> tuple[str, str, int | None] | None:
    """Scheme, host and port with the scheme's default filled in (RFC 6454 §4); None when
    `url` cannot be read or has no host."""
    parts = split(url)
    if parts is None or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), parts.hostname.lower(), parts.port or default


def join(base: str, reference: str) -> str | None:
    """`reference` resolved against `base` (RFC 3986 §5.2); None when either is unreadable."""
    try:
        joined = urljoin(base, reference)
    except ValueError:
        return None
    return joined if split(joined) is not None else None
