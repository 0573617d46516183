"""Copying values: the terminal's clipboard (OSC 52) and the system clipboard where there is one."""

from __future__ import annotations

import pyperclip
from textual.app import App


def copy_value(app: App, text: str, label: str) -> str:
    """Copy `text` both ways and return a line saying which worked, for `notify`.

    OSC 52 (App.copy_to_clipboard) works over SSH in most terminals but cannot report success;
    pyperclip reaches the local system clipboard when it has a backend (xclip, pbcopy, ...).
    """
    app.copy_to_clipboard(text)
    try:
        pyperclip.copy(text)
    except pyperclip.PyperclipException:
        return f"Copied {label} via the terminal (OSC 52); no system clipboard here"
    return f"Copied {label} to the system clipboard (and via the terminal)"
