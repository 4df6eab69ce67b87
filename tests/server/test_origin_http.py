"""Pure HTTP helpers of the origin: Range parsing and ETag matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swarmcast.server.origin_http import (
    ByteRange,
    Unsatisfiable,
    if_none_match_hits,
    if_range_allows,
    parse_range,
    strong_etag,
)


@given(size=st.integers(1, 10**9), first=st.integers(0, 2 * 10**9), length=st.integers(0, 10**9))
def test_closed_range_is_clipped_or_unsatisfiable(size: int, first: int, length: int) -> None:
    last = first + length
    try:
        byte_range = parse_range(f"bytes={first}-{last}", size)
    except Unsatisfiable:
        assert first >= size
        return
    assert byte_range == ByteRange(first, min(last, size - 1))
    assert 1 <= byte_range.length <= size


@given(size=st.integers(0, 10**9), suffix=st.integers(0, 2 * 10**9))
def test_suffix_range(size: int, suffix: int) -> None:
    try:
        byte_range = parse_range(f"bytes=-{suffix}", size)
    except Unsatisfiable:
        assert suffix == 0 or size == 0
        return
    assert byte_range is not None
    assert byte_range.last == size - 1
    assert byte_range.length == min(suffix, size)


@given(header=st.text(max_size=40))
def test_arbitrary_headers_never_raise_anything_else(header: str) -> None:
    try:
        result = parse_range(header, 1000)
    except Unsatisfiable:
        return
    assert result is None or 0 <= result.first <= result.last < 1000


def test_content_range_text() -> None:
    assert ByteRange(0, 99).content_range(1000) == "bytes 0-99/1000"


def test_etag_matching() -> None:
    tag = strong_etag(b"segment")
    assert tag == strong_etag(b"segment") != strong_etag(b"segment!")
    assert if_none_match_hits(tag, tag)
    assert if_none_match_hits(f'"a", W/{tag}', tag)
    assert if_none_match_hits(" * ", tag)
    assert not if_none_match_hits('"a"', tag)
    assert not if_none_match_hits(None, tag)
    assert if_range_allows(None, tag) and if_range_allows(tag, tag)
    assert not if_range_allows(f"W/{tag}", tag)
    assert not if_range_allows("Sat, 01 Jan 2000 00:00:00 GMT", tag)


@pytest.mark.parametrize("header", ["bytes=1-2, 4-5", "bytes=5-1", "bits=1-2", "bytes=x-1"])
def test_ignored_range_headers(header: str) -> None:
    assert parse_range(header, 100) is None
