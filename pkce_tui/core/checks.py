"""One named check of a validation report: passed, failed, or could not be made."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """`ok` is True (passed), False (failed) or None (could not be made, e.g. no JWKS)."""

    name: str
    ok: bool | None
    detail: str

    def to_json(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def all_passed(checks: tuple[Check, ...] | list[Check]) -> bool:
    """True when no check failed; checks that could not be made do not count against."""
    return all(check.ok is not False for check in checks)
