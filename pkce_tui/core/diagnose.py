"""The diagnosis, kept importable here; the rules live in `pkce_tui.core.diagnosis`."""

from pkce_tui.core.diagnosis import Diagnosis, diagnose

__all__ = ["Diagnosis", "diagnose"]
