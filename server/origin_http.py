"""Conditional and ranged responses for in-memory bodies (RFC 9110 §13-14), without I/O.

Range policy: one range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) gets 206 with exactly those bytes;
an unsatisfiable one gets 416 with `Content-Range: bytes */<size>`. A syntactically invalid
Range header, or one asking for several ranges, is ignored and the whole body is sent with 200,
which RFC 9110 §14.2 allows ("a server MAY ignore the Range header field"): no player asks for
multipart/byteranges, and serving it would only add an untested code path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_RANGE_RE = re.compile(r"\s*bytes\s*=\s*([0-9]{0,19})\s*-\s*([0-9]{0,19})\s*\Z", re.IGNORECASE)


def strong_etag(body: bytes) -> str:
    """A content hash, so every origin process (and a restarted one) agrees on the tag."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def if_none_match_hits(header: str | None, etag: str) -> bool:
    """True when If-None-Match names our tag (weak comparison, as GET/HEAD require) or is `*`."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    ours = _opaque(etag)
    return any(_opaque(candidate) == ours for candidate in header.split(","))


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range already clipped to the body size."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.first}-{self.last}/{size}"


class Unsatisfiable(Exception):
    """The single requested range lies entirely past the end of the body (416)."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range to serve, or None to serve the whole body; raises Unsatisfiable for 416."""
    if header is None:
        return None
    match = _RANGE_RE.match(header)
    if match is None:  # invalid syntax or several ranges: ignore the header
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None  # "bytes=-" is not a range
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # invalid range spec: ignore
    if first >= size:
        raise Unsatisfiable
    last = int(last_text) if last_text else size - 1
    return ByteRange(first, min(last, size - 1))


def if_range_allows(header: str | None, etag: str) -> bool:
    """If-Range: honour Range only when the (strong) validator still matches."""
    if header is None:
        return True
    tag = header.strip()
    return not tag.startswith("W/") and tag == etag
