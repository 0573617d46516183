"""Everything one running sandbox shares between its dialects' endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field

from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.keys import SigningKeys
from pkce_tui.sandbox.store import Grant, Store


@dataclass
class SandboxContext:
    """Keys, memory, per-client faults, and the base URL known once the socket is bound."""

    keys: SigningKeys
    store: Store = field(default_factory=Store)
    client_faults: dict[str, str] = field(default_factory=dict)
    base_url: str = ""

    def issuer(self, dialect: Dialect) -> str:
        return self.base_url + dialect.issuer_path

    def url(self, path: str) -> str:
        return self.base_url + path

    def faults_for(self, client_id: str, grant: Grant | None = None) -> frozenset[str]:
        """The grant's own faults joined with the client's fault, if any."""
        faults = set(grant.faults) if grant else set()
        if client_id in self.client_faults:
            faults.add(self.client_faults[client_id])
        return frozenset(faults)
