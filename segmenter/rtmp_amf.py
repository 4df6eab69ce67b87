"""AMF0: the value encoding of RTMP command and data messages (I/O-free).

Only what publishers (OBS, FFmpeg, librtmp) send and what a server answers is supported.
Decoding is defensive: every read is bounds-checked and nesting is limited, so a hostile
publisher gets an `AmfDecodeError`, never an exception from deep inside the parser.
"""

from __future__ import annotations

import struct

# AMF0 type markers (Adobe AMF0 specification, section 2.1).
_NUMBER = 0x00
_BOOLEAN = 0x01
_STRING = 0x02
_OBJECT = 0x03
_NULL = 0x05
_UNDEFINED = 0x06
_ECMA_ARRAY = 0x08
_OBJECT_END = 0x09
_STRICT_ARRAY = 0x0A
_DATE = 0x0B
_LONG_STRING = 0x0C
_TYPED_OBJECT = 0x10

MAX_DEPTH = 16  # nested objects; real publishers use 2 at most
MAX_ITEMS = 4096  # entries per object/array

AmfValue = float | bool | str | None | dict[str, "AmfValue"] | list["AmfValue"]


class AmfDecodeError(ValueError):
    """The bytes are not valid AMF0 (or exceed the limits above)."""


def decode_all(data: bytes) -> list[AmfValue]:
    """Decode a sequence of AMF0 values filling `data` exactly (a command message body)."""
    values: list[AmfValue] = []
    pos = 0
    while pos < len(data):
        value, pos = _decode_value(data, pos, 0)
        values.append(value)
    return values


def _need(data: bytes, pos: int, count: int) -> None:
    if pos + count > len(data):
        raise AmfDecodeError(f"truncated AMF0 at offset {pos} (need {count} bytes)")


def _decode_utf8(data: bytes, pos: int, length_size: int) -> tuple[str, int]:
    _need(data, pos, length_size)
    length = int.from_bytes(data[pos : pos + length_size], "big")
    pos += length_size
    _need(data, pos, length)
    try:
        text = data[pos : pos + length].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AmfDecodeError(f"invalid UTF-8 in AMF0 string at offset {pos}") from exc
    return text, pos + length


def _decode_properties(data: bytes, pos: int, depth: int) -> tuple[dict[str, AmfValue], int]:
    """Key/value pairs up to the empty-key + object-end marker."""
    result: dict[str, AmfValue] = {}
    while True:
        key, pos = _decode_utf8(data, pos, 2)
        if key == "":
            _need(data, pos, 1)
            if data[pos] != _OBJECT_END:
                raise AmfDecodeError(f"expected object end at offset {pos}")
            return result, pos + 1
        if len(result) >= MAX_ITEMS:
            raise AmfDecodeError("AMF0 object has too many properties")
        result[key], pos = _decode_value(data, pos, depth + 1)


def _decode_value(data: bytes, pos: int, depth: int) -> tuple[AmfValue, int]:
    if depth > MAX_DEPTH:
        raise AmfDecodeError("AMF0 nesting too deep")
    _need(data, pos, 1)
    marker = data[pos]
    pos += 1
    if marker == _NUMBER:
        _need(data, pos, 8)
        return struct.unpack_from(">d", data, pos)[0], pos + 8
    if marker == _BOOLEAN:
        _need(data, pos, 1)
        return data[pos] != 0, pos + 1
    if marker == _STRING:
        return _decode_utf8(data, pos, 2)
    if marker == _LONG_STRING:
        return _decode_utf8(data, pos, 4)
    if marker in (_NULL, _UNDEFINED):
        return None, pos
    if marker == _OBJECT:
        return _decode_properties(data, pos, depth)
    if marker == _TYPED_OBJECT:
        _class_name, pos = _decode_utf8(data, pos, 2)
        return _decode_properties(data, pos, depth)
    if marker == _ECMA_ARRAY:
        _need(data, pos, 4)  # the count is advisory; the end marker terminates
        return _decode_properties(data, pos + 4, depth)
    if marker == _STRICT_ARRAY:
        _need(data, pos, 4)
        count = int.from_bytes(data[pos : pos + 4], "big")
        pos += 4
        if count > MAX_ITEMS:
            raise AmfDecodeError("AMF0 array too long")
        items: list[AmfValue] = []
        for _ in range(count):
            item, pos = _decode_value(data, pos, depth + 1)
            items.append(item)
        return items, pos
    if marker == _DATE:
        _need(data, pos, 10)  # f64 milliseconds + s16 time zone (unused)
        return struct.unpack_from(">d", data, pos)[0], pos + 10
    raise AmfDecodeError(f"unsupported AMF0 marker 0x{marker:02x} at offset {pos - 1}")


def encode(*values: AmfValue) -> bytes:
    """Encode values back to back (a command message body)."""
    return b"".join(_encode_value(value) for value in values)


def _encode_utf8(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def _encode_value(value: AmfValue) -> bytes:
    # bool before numbers: bool is a subclass of int in Python.
    if value is None:
        return bytes([_NULL])
    if isinstance(value, bool):
        return bytes([_BOOLEAN, int(value)])
    if isinstance(value, int | float):
        return bytes([_NUMBER]) + struct.pack(">d", float(value))
    if isinstance(value, str):
        raw = value.encode("utf-8")
        if len(raw) > 0xFFFF:
            return bytes([_LONG_STRING]) + struct.pack(">I", len(raw)) + raw
        return bytes([_STRING]) + struct.pack(">H", len(raw)) + raw
    if isinstance(value, dict):
        body = b"".join(_encode_utf8(key) + _encode_value(item) for key, item in value.items())
        return bytes([_OBJECT]) + body + b"\x00\x00" + bytes([_OBJECT_END])
    if isinstance(value, list):
        body = b"".join(_encode_value(item) for item in value)
        return bytes([_STRICT_ARRAY]) + struct.pack(">I", len(value)) + body
    raise TypeError(f"cannot encode {type(value).__name__} as AMF0")
