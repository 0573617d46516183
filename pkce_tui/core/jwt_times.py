"""JWT times for people: NumericDates (RFC 7519 §2) as UTC text and spans like "4 min".

The claim checks word their verdicts with these, and the token views show exp/iat/nbf/auth_time
with them, so both say a time the same way.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")


def times_for_display(payload: dict, now: float | None = None) -> dict[str, str]:
    """exp/iat/nbf/auth_time as "2026-11-22 02:16:50 UTC (in 4 min)" or "(3 h ago)"."""
    now = time.time() if now is None else now
    shown = {}
    for name in TIME_CLAIMS:
        value = payload.get(name)
        if value is None:
            continue
        utc_text = utc(value) if is_number(value) else None
        shown[name] = (f"{utc_text} ({relative(value - now)})" if utc_text
                       else f"not a date: {value!r}")
    return shown


def is_number(value: object) -> bool:
    """A finite int or float that a float can hold; a bool is not a number here, though
    Python says it is, and neither is an integer past any float (10**400): no date holds it
    and arithmetic on it overflows."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def utc(seconds: float) -> str | None:
    """The moment as "2026-11-22 02:16:50 UTC", or None when no calendar date holds it."""
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def relative(delta: float) -> str:
    """A signed offset from now: "in 4 min", "3 h ago", or "now" within a second."""
    if abs(delta) < 1:
        return "now"
    return f"in {span(delta)}" if delta > 0 else f"{span(-delta)} ago"


def span(seconds: float) -> str:
    """A duration in its largest whole unit: "45 s", "4 min", "3 h", "12 d"."""
    if seconds >= 2 * 86400:
        return f"{int(seconds // 86400)} d"
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60:
        return f"{int(seconds // 60)} min"
    return f"{int(seconds)} s"
