"""`pkce-tui check`: the pre-flight, with `flow`'s options, before any browser opens
(DESIGN.md §3). Exit 0 when every check passed or could not be made, 1 when one failed."""

from __future__ import annotations

import argparse
import asyncio

from pkce_tui.core.client import new_client
from pkce_tui.core.flow import INSECURE_WARNING, FlowConfig
from pkce_tui.core.preflight_runner import PreflightReport, run_preflight
from pkce_tui.core.redaction import redact
from pkce_tui.headless import config_from_args
from pkce_tui.output import emit_json, one_line, print_checks, print_error


def run_check(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if config.insecure:
        print_error(f"warning: {INSECURE_WARNING}")
    report = asyncio.run(_run(config))
    document = report.to_json()
    if not getattr(args, "reveal", False):  # a secret in an authorize URL is quoted masked
        document = redact(document, secrets=(config.client_secret, config.password))
    if config.insecure:
        document["warnings"] = [INSECURE_WARNING]
    if args.json:
        emit_json(document)
    else:
        _print(document)
    return 0 if report.ok else 1


async def _run(config: FlowConfig) -> PreflightReport:
    """A client of its own, so no cookie reaches the authorize probe."""
    async with new_client(insecure=config.insecure, timeout=config.timeout) as client:
        return await run_preflight(client, config)


def _print(document: dict) -> None:
    print_checks(document["checks"])
    for diagnosis in document["diagnosis"]:
        print(f"\n{diagnosis['severity']}: {diagnosis['id']} ({diagnosis['step']}): "
              f"{one_line(diagnosis['summary'])}")
        print(f"  fix: {one_line(diagnosis['fix'])}")
