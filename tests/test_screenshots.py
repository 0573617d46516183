"""The README's screenshots cannot go stale: scripts/export_screenshots.py is run again and
every picture must show what the checked-in one shows.

The sandbox makes fresh codes, keys, ports and times on every run, so both pictures are read
as their rows of text with those values replaced by placeholders of the same length (the
layout still counts). A UI change (a label, a pane, a key, a wrap) without new screenshots
fails here: run `python scripts/export_screenshots.py` and commit the result.
"""

from __future__ import annotations

import asyncio
import html
import importlib.util
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from pkce_tui.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
CHECKED_IN = ROOT / "screenshots"
#: Values that differ between two runs of the same scene, each kept at its length.
VOLATILE = (
    re.compile(r"(?<=127\.0\.0\.1:)(?!8765\b)\d+"),        # the sandbox's free port
    re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),          # UTC times
    re.compile(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d"),  # HTTP dates
    re.compile(r"\(\d+ ?(?:ms|s|min|h)(?: ago)?\)|in \d+ (?:s|min|h)|\d+ (?:s|min|h) ago"),
    re.compile(r"\d+ ms"),
    re.compile(r"(?<=·)[0-9a-f]{6}"),                       # masked values' fingerprints
    re.compile(r"\b\d{10}\b"),                              # NumericDates
    re.compile(r"[A-Za-z0-9_~.-]{16,}"),                    # codes, tokens, kids, hashes
)
TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>')


def rows(svg: str) -> list[str]:
    """The picture's text, row by row, each character in its column."""
    found: dict[float, list[tuple[float, str]]] = defaultdict(list)
    for x, y, text in TEXT.findall(svg):
        found[float(y)].append((float(x), html.unescape(text).replace("\xa0", " ")))
    lines = []
    for y in sorted(found):
        line = ""
        for x, text in sorted(found[y]):
            line = line.ljust(round(x / 12.2)) + text
        lines.append(line.rstrip())
    return lines


def stable(line: str) -> str:
    for pattern in VOLATILE:
        line = pattern.sub(lambda m: "#" * len(m.group()), line)
    return line


def export_module():
    spec = importlib.util.spec_from_file_location("export_screenshots",
                                                  ROOT / "scripts" / "export_screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPORT = export_module()


@pytest.fixture(scope="module")
def keyed_sandbox() -> Iterator[Sandbox]:
    """The sandbox the export script uses (its fixed signing key), once per module and worker."""
    with Sandbox(key_file=str(EXPORT.KEY_FILE)) as sandbox:
        yield sandbox


def test_the_export_makes_every_checked_in_screenshot_and_no_other():
    assert sorted(EXPORT.SCENES) == sorted(p.name for p in CHECKED_IN.glob("*.svg"))


@pytest.mark.parametrize("name", sorted(EXPORT.SCENES))
def test_a_checked_in_screenshot_is_what_the_app_shows_now(keyed_sandbox, name, tmp_path):
    """Each scene apart, so the workers share the export; the script's own `shoot` makes it."""
    scene, size = EXPORT.SCENES[name]
    asyncio.run(EXPORT.shoot(keyed_sandbox, name, scene, size, tmp_path))
    now = [stable(line) for line in rows((tmp_path / name).read_text())]
    kept = [stable(line) for line in rows((CHECKED_IN / name).read_text())]
    assert now == kept, f"stale screenshot {name}: run python scripts/export_screenshots.py"
