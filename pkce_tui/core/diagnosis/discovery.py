"""A refused discovery document (OIDC Discovery §4), and what the published metadata says
against the configuration (the pre-flight checks the discovery step makes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis.model import RETRY, Diagnosis, failed, said
from pkce_tui.core.preflight import check_diagnosis

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState


def discovery_rules(state: FlowState) -> Iterator[Diagnosis]:
    """A failing server, or an issuer that is not the configured one, which §4.3 forbids
    using (often only a trailing slash differs); then every failed metadata check."""
    result = failed(state, "discovery")
    if result is not None and result.response is not None:
        yield from _refused(state, result)
    result = state.result("discovery")
    if result is not None and result.status != "error":
        for check in result.data.get("checks", []):
            found = check_diagnosis(check, state.config)
            if found is not None:
                yield found


def _refused(state: FlowState, result) -> Iterator[Diagnosis]:
    status = result.response.status
    if status >= 500:
        words = said(result)
        told = f": {words.summary()}" if words else ""
        yield Diagnosis("server_error", "discovery", "error",
                        f"the discovery endpoint failed with HTTP {status}{told}", RETRY)
        return
    named = (result.response.json() or {}).get("issuer")
    configured = state.config.issuer
    if isinstance(named, str) and named != configured:
        yield Diagnosis("issuer_mismatch", "discovery", "error",
                        f"the discovery document names the issuer {named!r}, not the "
                        f"configured {configured!r}",
                        f"configure the issuer exactly as the provider writes it, {named!r} "
                        "(trailing slash included, OIDC Discovery §4.3)")
