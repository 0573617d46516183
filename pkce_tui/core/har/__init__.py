"""Browser HAR exports: the redirect inside one (`--redirect-from`), and whole flows rebuilt
from one (`pkce-tui har FILE`, the TUI's `--open FILE`).

Public names: `looks_like_har`, `authorization_response` (the redirect a HAR carries),
`load_flow(text, *, flow_index=None, jwks=None) -> HarFlow` (a flow rebuilt as the live flow's
`FlowState`, with `missing` and `checks`), `list_flows`, and `replay_config(state)` (the
rebuilt flow's configuration, to run again against the live tenant). The rebuild loads the
flow model and its parsers only when called, so reading a redirect out of a HAR stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkce_tui.core.har.response import authorization_response, looks_like_har

if TYPE_CHECKING:
    from pkce_tui.core.har.load import FlowSummary, HarFlow

__all__ = ["FlowSummary", "HarFlow", "authorization_response", "list_flows", "load_flow",
           "looks_like_har", "replay_config"]


def load_flow(text: str, *, flow_index: int | None = None, jwks: dict | None = None) -> HarFlow:
    """Rebuild one flow of the HAR `text` (see `core.har.load.load_flow`)."""
    from pkce_tui.core.har.load import load_flow as load

    return load(text, flow_index=flow_index, jwks=jwks)


def list_flows(text: str) -> tuple[FlowSummary, ...]:
    """Every flow in the HAR, in time order (see `core.har.load.list_flows`)."""
    from pkce_tui.core.har.load import list_flows as flows

    return flows(text)


def __getattr__(name: str):
    if name in ("HarFlow", "FlowSummary", "replay_config"):
        from pkce_tui.core.har import load

        return getattr(load, name)
    raise AttributeError(name)
