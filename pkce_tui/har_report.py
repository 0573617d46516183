"""`pkce-tui har FILE`: the flows in a browser's HAR export, one rebuilt and diagnosed.

Text mode lists the flows found, then the chosen one's steps, its cross-step checks, the
diagnosis and what the HAR cannot show; `--json` prints the `flow` document with `"source":
"har"`, `flows`, `checks` and `missing` (DESIGN.md §3). Exit 0 when the flow succeeded, 1 when
a step or check failed, 2 for a file that is not a readable HAR.
"""

from __future__ import annotations

import argparse
import asyncio

from pkce_tui.commands import _jwks_url, _load_json, read_input
from pkce_tui.core.errors import InputError, NetworkError, ProtocolError
from pkce_tui.core.har import HarFlow, load_flow
from pkce_tui.headless import print_flow
from pkce_tui.output import emit_json, one_line, print_checks, print_error


def run(args: argparse.Namespace) -> int:
    """Rebuild the chosen flow and print it; bad input is one line (JSON with `--json`)."""
    try:
        text = read_input(args.file, "HAR file")
        flow = load_flow(text, flow_index=args.flow, jwks=_jwks(args.jwks))
    except InputError as exc:
        if not args.json:
            raise
        emit_json({"ok": False, "error": {"kind": "input", "message": str(exc)}})
        print_error(str(exc))
        return 2
    if args.json:
        emit_json(flow.to_json(reveal=args.reveal))
    else:
        print_har(flow, reveal=args.reveal)
    return 0 if flow.state.ok and all(c.ok is not False for c in flow.checks) else 1


def _jwks(source: str | None) -> dict | None:
    """`--jwks` read from a file or fetched from a URL; a URL that fails is said, not fatal."""
    if source is None:
        return None
    if "://" not in source:
        return _load_json(source, "JWKS")
    url = _jwks_url(source)
    try:
        return asyncio.run(_fetch(url))
    except (NetworkError, ProtocolError) as exc:
        print_error(f"signatures not verified: {exc}")
        return None


async def _fetch(url: str) -> dict:
    from pkce_tui.core.client import new_client
    from pkce_tui.core.jwt import fetch_jwks

    async with new_client() as client:
        return await fetch_jwks(client, url)


def print_har(flow: HarFlow, *, reveal: bool = False) -> None:
    """The flows found, the chosen flow's steps, checks, diagnosis and gaps; secrets masked
    unless `reveal`."""
    print(f"HAR: {len(flow.flows)} flow{'s' if len(flow.flows) != 1 else ''} found; showing "
          f"{one_line(flow.chosen)}")
    for found in flow.flows:
        mark = "*" if found.index == flow.index else " "
        token = ", token request" if found.token_request else ""
        print(f" {mark}[{found.index}] {found.started or 'no time'}  "
              f"{one_line(found.client_id)}  {one_line(found.authorize_endpoint)}  "
              f"{one_line(found.outcome)}{token}")
    print()
    print_flow(flow.state.to_json(reveal=reveal))
    print("\nchecks across steps:")
    print_checks([c.to_json() for c in flow.checks])
    if flow.missing:
        print("\nnot in the HAR:")
        for gap in flow.missing:
            print(f"  - {one_line(gap)}")
