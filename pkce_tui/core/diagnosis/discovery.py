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
    using (often only a trailing slash differs); then every failed pre-flight check."""
    result = failed(state, "discovery")
    if result is not None and result.response is not None:
        yield from _refused(state, result)
    result = state.result("discovery")
    if result is not None and result.status != "error":
        for check in result.data.get("checks", []):
            found = check_diagnosis(check, state.config)
            if found is not None:
                yield found


def probe_rules(state: FlowState) -> Iterator[Diagnosis]:
    """What the discovery step's authorize probe found. Read after every other rule: where the
    flow itself met the same cause later on, its own finding (the step it failed at) is kept."""
    if not _code_came_back(state):
        yield from probe_findings(state)


def probe_findings(state: FlowState) -> Iterator[Diagnosis]:
    """Every diagnosis the discovery step's authorize probe kept."""
    result = state.result("discovery")
    if result is not None and result.status != "error":
        yield from _probe_findings(result.data.get("preflight_diagnosis"))


def _code_came_back(state: FlowState) -> bool:
    """The tenant accepted the flow's authorization request after all: whatever the probe
    said (of other inputs, since edited) no longer stands."""
    redirect = state.result("redirect")
    return redirect is not None and bool(redirect.data.get("code"))


def _probe_findings(found: object) -> Iterator[Diagnosis]:
    """The authorize probe's diagnoses, as the discovery step kept them (a session file may
    hold anything: what is not a diagnosis is left out)."""
    for value in found if isinstance(found, list) else ():
        names = ("id", "step", "severity", "summary", "fix")
        if isinstance(value, dict) and all(isinstance(value.get(n), str) for n in names) \
                and value["severity"] in ("error", "warning", "info"):
            yield Diagnosis(*(value[n] for n in names))


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
