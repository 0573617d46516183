"""The discovery pane: the target, its issuer and client id, and its endpoints."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input

from pkce_tui.core.flow import FlowState
from pkce_tui.core.step_result import StepResult
from pkce_tui.tui import render
from pkce_tui.tui.panes.base import (
    Copyable,
    StepPane,
    http_details,
    labelled_inputs,
    present,
    show_inputs,
)


class DiscoveryPane(StepPane):
    """The target and its endpoints (OIDC Discovery or the dialect's template)."""

    STEPS = ("discovery",)
    LABEL = "1 discovery"
    CONFIG_FIELDS = ("dialect", "issuer", "tenant_url", "base_url", "client_id")
    TARGET_FIELDS = ("issuer", "client_id")

    def compose_inputs(self) -> ComposeResult:
        yield from labelled_inputs("target", self.TARGET_FIELDS, "Enter applies")

    def show(self, state: FlowState, *, reveal: bool, running: str | None) -> None:
        show_inputs(self, "target", self.TARGET_FIELDS, state.config)
        super().show(state, reveal=reveal, running=running)

    @on(Input.Submitted, ".target")
    def retarget(self, event: Input.Submitted) -> None:
        """A new issuer or client id: discovery (or authorize) and every later step go stale."""
        name = event.input.id.removeprefix("target-")
        value = event.value.strip()
        if name == "client_id" and not value:
            self.notify("a client_id is required", severity="warning")
            return
        self.post_message(self.Edited({name: value or None}))

    def body(self, state: FlowState, *, reveal: bool) -> RenderableType:
        """The dialect, and the tenant the dialect's endpoints are built from when there is one
        (issuer and client id are in the inputs above)."""
        config = state.config
        tenant = config.tenant_url or config.base_url
        rows = [("dialect", config.dialect), *([("tenant", tenant)] if tenant else [])]
        return Group(render.fields_table(rows), super().body(state, reveal=reveal))

    def details_key(self, state: FlowState, result: StepResult) -> tuple:
        return tuple(probe_findings(state, result))

    def details(self, state: FlowState, result: StepResult, *, reveal: bool) -> list:
        """The endpoints, the pre-flight checks the core made (the published metadata, the
        authorize probe) and what the probe found, then the HTTP exchanges."""
        endpoints = {k: v for k, v in result.data.items()
                     if k not in ("checks", "preflight_diagnosis")}
        checks = result.data.get("checks") or []
        shown = [Text("pre-flight checks", style="bold underline"),
                 render.checks_view(checks)] if checks else []
        found = probe_findings(state, result)
        if found:
            shown.append(render.diagnosis_view(found))
        return [render.fields_table(present(endpoints)), *shown,
                *http_details(result, reveal=reveal), *probe_exchange(result, reveal=reveal)]

    def own_values(self, state: FlowState) -> list[Copyable]:
        endpoints = state.value("discovery")
        if endpoints is None:
            return []
        return [Copyable("the endpoints", json.dumps(state.result("discovery").data, indent=2)),
                Copyable("the issuer", endpoints.issuer)]


def probe_findings(state: FlowState, result: StepResult) -> list:
    """The flow's diagnoses the authorize probe found (they concern the authorize request, so
    the header above, which lists the discovery step's own, does not show them)."""
    ids = {d.get("id") for d in result.data.get("preflight_diagnosis") or []
           if isinstance(d, dict)}
    return [d for d in state.diagnosis if d.id in ids and d.step != "discovery"]


def probe_exchange(result: StepResult, *, reveal: bool) -> list:
    """The probe's GET and what the tenant answered, as the transcript labels it."""
    parts: list = []
    for exchange in result.exchanges:
        parts.append(render.inert(f"{' · '.join(exchange.labels) or 'exchange'} (cookie-less, "
                                  "redirect not followed)", "bold underline"))
        parts.append(render.request_view(exchange.request, reveal=reveal))
        if exchange.response is not None:
            parts.append(render.response_view(exchange.response, reveal=reveal))
        elif exchange.error:
            parts.append(render.inert(f"✘ {exchange.error}", "bold red"))
    return parts
