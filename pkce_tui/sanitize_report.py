"""`pkce-tui har sanitize IN -o OUT [--json]` (DESIGN.md §3): the customer's HAR with every
secret masked, and a report of what was masked where. A malformed HAR exits 2 in one line
(with `--json`, also `{"ok": false, "error": {...}}` on stdout)."""

from __future__ import annotations

import argparse
import json

from pkce_tui.commands import read_input
from pkce_tui.core.sanitize import Sanitized, sanitize_har
from pkce_tui.core.session import write_private_or_plain
from pkce_tui.output import emit_json, one_line


def run(args: argparse.Namespace) -> int:
    """Sanitize IN into OUT and report; bad input is an InputError (the CLI says it, as JSON
    too with `--json`)."""
    result = sanitize_har(read_input(args.input, "HAR file"))
    text = json.dumps(result.har, indent=2, ensure_ascii=False) + "\n"
    write_private_or_plain(args.output, text, private=False)
    if args.json:
        emit_json({"ok": True, "output": args.output, "counts": result.counts(),
                   "masked": [item.to_json() for item in result.masked]})
    else:
        print_report(result, args.output)
    return 0


def print_report(result: Sanitized, output: str) -> None:
    """How many values were masked of each kind, then where, one line per place."""
    counts = result.counts()
    total = sum(counts.values())
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items()))
    print(f"wrote {one_line(output)}: {total} value{'s' if total != 1 else ''} masked"
          + (f" ({kinds})" if kinds else ""))
    for item in result.masked:
        entry = f"entry {item.entry}" if item.entry is not None else "log"
        name = f" {one_line(item.name)}" if item.name else ""
        times = f" ×{item.count}" if item.count > 1 else ""
        print(f"  {entry:<9} {item.where:<18} {item.kind:<8}{name}{times}")
