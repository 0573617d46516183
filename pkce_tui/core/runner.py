"""Runs the flow's steps against real servers, through one injected httpx client.

It never raises for an expected failure: a failing step is a `StepResult` with status "error"
and a one-line reason, and `FlowState.diagnosis` says why it most likely failed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx

from pkce_tui.core import steps as step_impl
from pkce_tui.core.client import hooks_of, new_client
from pkce_tui.core.flow import FlowConfig, FlowState, mark_stale, record
from pkce_tui.core.http import HttpResponse
from pkce_tui.core.jwt import JwksCache
from pkce_tui.core.step_result import StepResult

RedirectSource = Callable[[str], Awaitable["str | HttpResponse"]]
ClientFactory = Callable[[FlowConfig], httpx.AsyncClient]


class FlowRunner:
    """Runs steps against real servers through one injected httpx client.

    `jwks` keeps the keys fetched during the flow, so the ID token and the access token are
    checked against one fetch; a front end that runs one flow through several runners (a step
    at a time) passes the same cache to each.

    `probe_client` makes the short-lived client of the discovery step's authorize probe: by
    default a new one with the configuration's TLS and timeout settings and `client`'s event
    hooks (its transcript), but never its cookie jar, so the probe neither sends the flow's
    cookies nor leaves the tenant's in the flow's client.
    """

    def __init__(self, client: httpx.AsyncClient, *, redirect_source: RedirectSource | None = None,
                 clock: Callable[[], float] = time.time, jwks: JwksCache | None = None,
                 probe_client: ClientFactory | None = None):
        self.client = client
        self.redirect_source = redirect_source
        self.clock = clock
        self.jwks = jwks if jwks is not None else JwksCache()
        self.probe_client = probe_client or self._cookieless_client

    def _cookieless_client(self, config: FlowConfig) -> httpx.AsyncClient:
        return new_client(insecure=config.insecure, timeout=config.timeout,
                          event_hooks=hooks_of(self.client))

    async def run_step(self, state: FlowState, step: str | None = None) -> FlowState:
        """Run `step` (default: the next one); every later step that had a result goes stale."""
        step = step or state.next_step()
        if step is None:
            return state
        return record(state, step, await self.result_of(state, step))

    async def result_of(self, state: FlowState, step: str) -> StepResult:
        """Run `step` on `state` and return its result, stamped with the runner's clock."""
        result = await step_impl.run(step, state, self)
        return replace(result, at=self.clock())

    async def run_all(self, state: FlowState) -> FlowState:
        """Run every remaining step; a step whose inputs failed is recorded as skipped."""
        while (step := state.next_step()) is not None:
            state = await self.run_step(state, step)
        return state

    async def replay_from(self, state: FlowState, step: str) -> FlowState:
        """Rerun `step` and every step after it, keeping everything before it."""
        return await self.run_all(mark_stale(state, step))
