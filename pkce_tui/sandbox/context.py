"""Everything one running sandbox shares between its dialects' endpoints."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

from pkce_tui.sandbox.dialects import Dialect
from pkce_tui.sandbox.keys import SigningKeys
from pkce_tui.sandbox.store import Grant, Store, new_id

#: How often a deliberate wait looks whether the sandbox is stopping (uvicorn's own tick).
CLOSING_POLL_SECONDS = 0.1


@dataclass
class SandboxContext:
    """Keys, memory, per-client faults, the base URL known once the socket is bound, and
    `closing`, set (from any thread) when the sandbox begins to stop."""

    keys: SigningKeys
    store: Store = field(default_factory=Store)
    client_faults: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    closing: threading.Event = field(default_factory=threading.Event)
    iss_dialects: frozenset[str] = frozenset()  # dialects told to send RFC 9207 `iss`
    dpop_nonce: str = field(default_factory=new_id)  # RFC 9449 §8, one per run

    def sends_iss(self, dialect: Dialect) -> bool:
        """Whether authorization responses carry `iss` (RFC 9207 §2): the provider's default,
        or switched on, as Cloudentity and PingOne let an administrator do."""
        return dialect.sends_iss or dialect.name in self.iss_dialects

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

    async def pause(self, seconds: float) -> bool:
        """Wait `seconds` unless the sandbox starts stopping first; False when it did.

        A deliberate wait (the slow_token fault) must not outlive the server: uvicorn would
        cancel it after its grace period and print the cancellation as a crash.
        """
        deadline = time.monotonic() + seconds
        while not self.closing.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            await asyncio.sleep(min(left, CLOSING_POLL_SECONDS))
        return False
