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
from pkce_tui.core.diagnose import diagnose
from pkce_tui.core.flow import FlowState, mark_stale
from pkce_tui.core.http import HttpResponse

RedirectSource = Callable[[str], Awaitable["str | HttpResponse"]]


class FlowRunner:
    """Runs steps against real servers through one injected httpx client."""

    def __init__(self, client: httpx.AsyncClient, *, redirect_source: RedirectSource | None = None,
                 clock: Callable[[], float] = time.time):
        self.client = client
        self.redirect_source = redirect_source
        self.clock = clock

    async def run_step(self, state: FlowState, step: str | None = None) -> FlowState:
        """Run `step` (default: the next one); every later step that had a result goes stale."""
        step = step or state.next_step()
        if step is None:
            return state
        result = await step_impl.run(step, state, self)
        result = replace(result, at=self.clock())
        state = mark_stale(state, step)
        attempts = state.token_attempts + ((result,) if step == "token" else ())
        state = replace(state, results={**state.results, step: result},
                        stale=state.stale - {step}, token_attempts=attempts)
        return replace(state, diagnosis=diagnose(state))

    async def run_all(self, state: FlowState) -> FlowState:
        """Run every remaining step; a step whose inputs failed is recorded as skipped."""
        while (step := state.next_step()) is not None:
            state = await self.run_step(state, step)
        return state

    async def replay_from(self, state: FlowState, step: str) -> FlowState:
        """Rerun `step` and every step after it, keeping everything before it."""
        return await self.run_all(mark_stale(state, step))
