"""A saved session as evidence for a ticket: HAR 1.2 (`to_har`) or a Markdown report
(`to_markdown`). Both read the session document as saved (masked unless it was saved with
`--reveal`); `exported_document` masks a revealed one unless the user asks again."""

from pkce_tui.core.export.har import to_har
from pkce_tui.core.export.markdown import to_markdown
from pkce_tui.core.export.source import exported_document

__all__ = ["exported_document", "to_har", "to_markdown"]
