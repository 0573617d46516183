"""Findings about the flow's own inputs and about steps that never reached a server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis.model import Diagnosis

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowState


def network_rules(state: FlowState) -> Iterator[Diagnosis]:
    for step, result in state.results.items():
        if result.status == "error" and result.data.get("network_error") and step != "token":
            yield Diagnosis("network_error", step, "error", result.error or "no answer",
                            "check the URL, the network, and --timeout")


def verifier_rules(state: FlowState) -> Iterator[Diagnosis]:
    result = state.result("verifier")
    if result and result.data.get("problems"):
        yield Diagnosis("verifier_malformed", "verifier", "warning",
                        "the code_verifier breaks RFC 7636 §4.1: "
                        + "; ".join(result.data["problems"]),
                        "use 43-128 characters of A-Z a-z 0-9 - . _ ~")


def client_rules(state: FlowState) -> Iterator[Diagnosis]:
    """A secret configured for a public client is a misunderstanding worth a word."""
    config = state.config
    if config.auth_method == "none" and config.client_secret:
        yield Diagnosis("secret_sent_by_public_client", "token", "warning",
                        "a client secret is configured for a public client (auth method none)",
                        "a public client cannot keep a secret (RFC 8252 §8.5): drop it, or "
                        "set the auth method the tenant expects")
