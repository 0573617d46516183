"""Response bodies decoded from their Content-Encoding a bounded piece at a time.

A few hundred compressed bytes can expand to gigabytes, more so when codings are stacked
(`Content-Encoding: gzip, gzip, gzip`). So the codings a body may carry are limited, each
decompression step makes at most `PIECE_BYTES` of output, and every coding's output is counted
against the cap on decoded bytes: the caller stops as soon as it has enough, and can give the
event loop its turn between pieces so a timeout still fires.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from pkce_tui.core.errors import ProtocolError

#: How many codings a body may be wrapped in (RFC 9110 §8.4 lets a server stack them;
#: real servers use one).
MAX_CODINGS = 2
#: The most one decompression step makes before the caller gets control back.
PIECE_BYTES = 64 * 1024
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class BodyDecoder:
    """Decodes the raw chunks of one body; `feed` yields decoded pieces, none larger than
    PIECE_BYTES, and stops once any coding has made `limit` bytes (the rest is cut)."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > MAX_CODINGS:
            raise ProtocolError(f"the body is wrapped in {len(codings)} content codings "
                                f"({', '.join(codings)}); at most {MAX_CODINGS} are accepted")
        # applied in the order listed, so undone from the last (RFC 9110 §8.4); a coding
        # that is not gzip or deflate was not asked for and is kept as it came (as httpx does)
        self._stages = [_Inflater(c, limit) for c in reversed(codings) if c in _WBITS]
        self._limit = limit
        self.made = 0

    @property
    def full(self) -> bool:
        """True once the body, or any coding inside it, has reached the limit."""
        return self.made >= self._limit or any(s.made >= self._limit for s in self._stages)

    def feed(self, raw: bytes) -> Iterator[bytes]:
        for piece in self._through(0, raw):
            piece = piece[:self._limit - self.made]
            self.made += len(piece)
            yield piece
            if self.full:
                return

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._stages):
            yield data
            return
        for piece in self._stages[index].feed(data):
            yield from self._through(index + 1, piece)
            if self.full:
                return


class _Inflater:
    """One gzip or deflate coding undone with zlib, output bounded per call (`max_length`)."""

    def __init__(self, coding: str, limit: int) -> None:
        self.coding = coding
        self._zlib = zlib.decompressobj(_WBITS[coding])
        self._first = True
        self._limit = limit
        self.made = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self._zlib.eof and self.made < self._limit:
            out = self._decompress(data)
            data = self._zlib.unconsumed_tail
            self.made += len(out)
            if out:
                yield out

    def _decompress(self, data: bytes) -> bytes:
        first, self._first = self._first, False
        try:
            return self._zlib.decompress(data, PIECE_BYTES)
        except zlib.error as exc:
            if first and self.coding == "deflate":
                # "deflate" is zlib-wrapped (RFC 9110 §8.4.1.2), yet some servers send it raw
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._decompress(data)
            raise ProtocolError(f"the body does not decode as {self.coding}: {exc}") from exc
