"""`pkce-tui export SESSION --format har|markdown [-o OUT] [--reveal]` (DESIGN.md §3): a saved
session as evidence for a ticket, masked unless `--reveal` (then OUT is written mode 0600)."""

from __future__ import annotations

import argparse
import json
import sys

from pkce_tui.core.export import exported_document, to_har, to_markdown
from pkce_tui.core.session import read_text, write_private_or_plain
from pkce_tui.output import finite


def run(args: argparse.Namespace) -> int:
    """Write the export to `-o OUT` or stdout; a malformed or newer session exits 2."""
    text = read_text(args.session, "session file")
    document = exported_document(text, args.session, reveal=args.reveal)
    if args.format == "har":
        output = json.dumps(finite(to_har(document)), indent=2, ensure_ascii=False) + "\n"
    else:
        output = to_markdown(document)
    if args.output:
        write_private_or_plain(args.output, output, private=args.reveal)
    else:
        sys.stdout.write(output)
    return 0
