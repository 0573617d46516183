"""The embedded authorization server: CyberArk, PingOne, Cloudentity and generic OIDC dialects
on one loopback port, for `pkce-tui demo`, `pkce-tui sandbox` and the tests (DESIGN.md §5)."""

from pkce_tui.sandbox.faults import FAULTS
from pkce_tui.sandbox.server import Sandbox, run_foreground

__all__ = ["FAULTS", "Sandbox", "run_foreground"]
