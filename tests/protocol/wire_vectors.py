"""Builds tests/vectors/wire.json and converts wire messages to and from its JSON form.

The JSON form of a message is `{"type": "<NAME>", <field>: <value>, ...}` with the dataclass
field names; bytes fields (`bitmap`, `data`) are lowercase hex; enums are their integers.
Regenerate with `.venv/bin/python -m tests.protocol.wire_vectors` (only when the contract
changes: the TypeScript codec runs the same file).
"""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path
from typing import Any

from swarmcast.protocol import wire

VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "wire.json"
BYTES_FIELDS = frozenset({"bitmap", "data"})
_BY_NAME = {name: cls for cls, name in wire.MESSAGE_NAMES.items()}


def message_to_json(msg: wire.Message) -> dict[str, Any]:
    out: dict[str, Any] = {"type": wire.MESSAGE_NAMES[type(msg)]}
    for field in dataclasses.fields(msg):
        value = getattr(msg, field.name)
        if isinstance(value, bytes):
            out[field.name] = value.hex()
        elif isinstance(value, int):  # IntEnum reasons become plain integers
            out[field.name] = int(value)
        else:
            out[field.name] = value
    return out


def message_from_json(obj: dict[str, Any]) -> wire.Message:
    cls = _BY_NAME[obj["type"]]
    kwargs: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        value = obj[field.name]
        if field.name in BYTES_FIELDS:
            value = bytes.fromhex(value)
        elif field.name == "reason":
            value = wire.RejectReason(value) if cls is wire.Reject else wire.GoodbyeReason(value)
        kwargs[field.name] = value
    return cls(**kwargs)


def _valid() -> list[tuple[str, wire.Message]]:
    return [
        ("hello viewer", wire.Hello(wire.CAP_CAN_UPLOAD, 16384, 16, "demo/720p")),
        (
            "hello edge seeder, long names",
            wire.Hello(
                wire.CAP_CAN_UPLOAD | wire.CAP_EDGE_SEEDER, 65536, 65535, "s" * 64 + "/" + "r" * 64
            ),
        ),
        ("hello no capabilities, min piece size", wire.Hello(0, 1024, 1, "a/b")),
        ("hello unknown capability bits kept", wire.Hello(0xFFFFFFFF, 16384, 8, "x_y-z/360p")),
        ("have empty", wire.Have(0, 0, b"")),
        ("have one held", wire.Have(42, 1, b"\x80")),
        ("have 10 of which 0,2,9", wire.Have.from_seqs(100, 10, {100, 102, 109})),
        ("have 16 all held", wire.Have(7, 16, b"\xff\xff")),
        ("have max count", wire.Have.from_seqs(1000, 4096, {1000, 3000, 5095})),
        ("have window ending at u32 max", wire.Have(0xFFFFFFFF - 7, 8, b"\x01")),
        ("have delta", wire.HaveDelta(123456)),
        ("have delta u32 max", wire.HaveDelta(0xFFFFFFFF)),
        ("have pieces: fetching from the origin, none yet", wire.HavePieces(77, 0, b"")),
        ("have pieces 0, 1 and 9", wire.HavePieces.from_pieces(77, [0, 1, 9])),
        (
            "have pieces: first eight, u32 max seq",
            wire.HavePieces.from_pieces(0xFFFFFFFF, range(8)),
        ),
        (
            "have pieces 0-3 with the sender's origin rate",
            wire.HavePieces.from_pieces(77, range(4), 90_000),
        ),
        ("have pieces none yet, origin rate u32 max", wire.HavePieces(77, 0, b"", 0xFFFFFFFF)),
        ("request", wire.Request(1, 42, 0, 4)),
        ("request last piece", wire.Request(0xFFFFFFFF, 7, 65535, 1)),
        ("request all pieces", wire.Request(9, 7, 0, 65535)),
        ("piece one byte", wire.Piece(1, 42, 0, b"\x00")),
        ("piece small", wire.Piece(77, 3, 12, bytes(range(32)))),
        ("piece max size", wire.Piece(5, 6, 7, bytes(i % 251 for i in range(65536)))),
        ("cancel", wire.Cancel(99)),
        *[
            (f"reject {reason.name.lower()}", wire.Reject(1000 + reason, reason))
            for reason in wire.RejectReason
        ],
        ("choke", wire.Choke()),
        ("unchoke", wire.Unchoke()),
        *[(f"goodbye {r.name.lower()}", wire.Goodbye(r)) for r in wire.GoodbyeReason],
    ]


def _hx(*parts: bytes) -> str:
    return b"".join(parts).hex()


def _invalid() -> list[tuple[str, str, str]]:
    """(name, hex, error class name) for frames every decoder must refuse."""
    u32 = struct.Struct(">I").pack
    hello_body = struct.pack(">IIHB", 1, 16384, 16, 9) + b"demo/720p"
    big_piece = b"\x01\x05" + struct.pack(">IIH", 1, 2, 3) + b"\xaa" * 65537
    return [
        ("empty frame", "", "TruncatedFrame"),
        ("version only", "01", "TruncatedFrame"),
        ("version 0", _hx(b"\x00\x08"), "UnsupportedVersion"),
        ("version 2", _hx(b"\x02\x08"), "UnsupportedVersion"),
        ("version 255 with body", _hx(b"\xff\x03", u32(1)), "UnsupportedVersion"),
        ("type 0", "0100", "UnknownType"),
        ("type 0x0c", "010c", "UnknownType"),
        ("type 0xff", _hx(b"\x01\xff", b"\x00" * 8), "UnknownType"),
        ("oversized frame", big_piece.hex(), "FrameTooLarge"),
        ("oversized unknown type", _hx(b"\x01\xee", b"\x00" * 65547), "FrameTooLarge"),
        ("hello truncated fixed part", _hx(b"\x01\x01", hello_body[:10]), "TruncatedFrame"),
        ("hello truncated swarm id", _hx(b"\x01\x01", hello_body[:-1]), "TruncatedFrame"),
        ("hello trailing byte", _hx(b"\x01\x01", hello_body, b"x"), "TrailingBytes"),
        (
            "hello piece size below 1024",
            _hx(b"\x01\x01", struct.pack(">IIHB", 1, 1023, 16, 3), b"a/b"),
            "FieldOutOfRange",
        ),
        (
            "hello piece size above 65536",
            _hx(b"\x01\x01", struct.pack(">IIHB", 1, 65537, 16, 3), b"a/b"),
            "FieldOutOfRange",
        ),
        (
            "hello zero max pieces per request",
            _hx(b"\x01\x01", struct.pack(">IIHB", 1, 16384, 0, 3), b"a/b"),
            "FieldOutOfRange",
        ),
        (
            "hello swarm id without slash",
            _hx(b"\x01\x01", struct.pack(">IIHB", 1, 16384, 8, 4), b"demo"),
            "FieldOutOfRange",
        ),
        (
            "hello empty swarm id",
            _hx(b"\x01\x01", struct.pack(">IIHB", 1, 16384, 8, 0)),
            "FieldOutOfRange",
        ),
        (
            "hello swarm id with space",
            _hx(b"\x01\x01", struct.pack(">IIHB", 1, 16384, 8, 5), b"a b/c"),
            "FieldOutOfRange",
        ),
        (
            "hello swarm id not ascii",
            _hx(b"\x01\x01", struct.pack(">IIHB", 1, 16384, 8, 4), b"\xc3\xa9/c"),
            "FieldOutOfRange",
        ),
        (
            "hello name longer than 64",
            _hx(b"\x01\x01", struct.pack(">IIHB", 1, 16384, 8, 67), b"s" * 65 + b"/r"),
            "FieldOutOfRange",
        ),
        ("have truncated header", "010200000001", "TruncatedFrame"),
        (
            "have truncated bitmap",
            _hx(b"\x01\x02", struct.pack(">IH", 0, 9), b"\xff"),
            "TruncatedFrame",
        ),
        (
            "have trailing byte",
            _hx(b"\x01\x02", struct.pack(">IH", 0, 8), b"\xff\x00"),
            "TrailingBytes",
        ),
        (
            "have count above 4096",
            _hx(b"\x01\x02", struct.pack(">IH", 0, 4097), b"\x00" * 513),
            "FieldOutOfRange",
        ),
        (
            "have padding bit set",
            _hx(b"\x01\x02", struct.pack(">IH", 0, 3), b"\x10"),
            "FieldOutOfRange",
        ),
        (
            "have window past u32 max",
            _hx(b"\x01\x02", struct.pack(">IH", 0xFFFFFFFF, 2), b"\x80"),
            "FieldOutOfRange",
        ),
        (
            "have pieces count above 4096",
            _hx(b"\x01\x0b", struct.pack(">IH", 77, 4097), b"\x00" * 513),
            "FieldOutOfRange",
        ),
        (
            "have pieces padding bit set",
            _hx(b"\x01\x0b", struct.pack(">IH", 77, 10), b"\xc0\xc1"),
            "FieldOutOfRange",
        ),
        (
            "have pieces bitmap short",
            _hx(b"\x01\x0b", struct.pack(">IH", 77, 16), b"\xff"),
            "TruncatedFrame",
        ),
        (
            "have pieces bitmap long",
            _hx(b"\x01\x0b", struct.pack(">IH", 77, 8), b"\xff\x00"),
            "TrailingBytes",
        ),
        ("have pieces no count", "010b0000004d", "TruncatedFrame"),
        (
            "have pieces origin rate 0 spelt out",
            _hx(b"\x01\x0b", struct.pack(">IH", 77, 8), b"\xff", u32(0)),
            "FieldOutOfRange",
        ),
        (
            "have pieces origin rate cut short",
            _hx(b"\x01\x0b", struct.pack(">IH", 77, 8), b"\xff", b"\x00\x01"),
            "TrailingBytes",
        ),
        (
            "have pieces bytes after the origin rate",
            _hx(b"\x01\x0b", struct.pack(">IH", 77, 8), b"\xff", u32(9), b"\x00"),
            "TrailingBytes",
        ),
        ("have delta truncated", "0103000001", "TruncatedFrame"),
        ("have delta trailing", "01030000000100", "TrailingBytes"),
        ("request truncated", _hx(b"\x01\x04", struct.pack(">IIH", 1, 2, 3)), "TruncatedFrame"),
        (
            "request trailing",
            _hx(b"\x01\x04", struct.pack(">IIHH", 1, 2, 3, 4), b"\x00"),
            "TrailingBytes",
        ),
        (
            "request zero pieces",
            _hx(b"\x01\x04", struct.pack(">IIHH", 1, 2, 3, 0)),
            "FieldOutOfRange",
        ),
        (
            "request past piece 65535",
            _hx(b"\x01\x04", struct.pack(">IIHH", 1, 2, 65535, 2)),
            "FieldOutOfRange",
        ),
        ("piece without data", _hx(b"\x01\x05", struct.pack(">IIH", 1, 2, 3)), "TruncatedFrame"),
        ("piece truncated header", _hx(b"\x01\x05", struct.pack(">II", 1, 2)), "TruncatedFrame"),
        ("cancel truncated", "0106000000", "TruncatedFrame"),
        ("cancel trailing", "0106000000000000", "TrailingBytes"),
        ("reject truncated", "010700000001", "TruncatedFrame"),
        ("reject trailing", "0107000000010100", "TrailingBytes"),
        ("reject reason 0", "01070000000100", "FieldOutOfRange"),
        ("reject reason 5", "01070000000105", "FieldOutOfRange"),
        ("choke with body", "010800", "TrailingBytes"),
        ("unchoke with body", "01090000", "TrailingBytes"),
        ("goodbye without reason", "010a", "TruncatedFrame"),
        ("goodbye trailing", "010a0000", "TrailingBytes"),
        ("goodbye reason 4", "010a04", "FieldOutOfRange"),
    ]


ERRORS = {
    "WireError": "base class of every decode error",
    "FrameTooLarge": f"frame longer than {wire.MAX_FRAME_SIZE} bytes (checked first)",
    "TruncatedFrame": "the frame ends before its fields do (including an empty PIECE payload)",
    "TrailingBytes": "bytes after the last field of a message",
    "UnsupportedVersion": f"version byte is not {wire.WIRE_VERSION} (checked before the type)",
    "UnknownType": "type byte names no message",
    "FieldOutOfRange": "a field value the protocol forbids (count, size, reason, name, padding)",
}


def build() -> dict[str, Any]:
    return {
        "description": "swarmcast peer wire protocol vectors (docs/protocol.md section 5)",
        "format": {
            "valid": "decode(hex) == message and encode(message) == hex",
            "invalid": "decode(hex) fails with the named error class",
            "message": "type is the message name; other keys are the fields in snake_case; "
            "bytes fields (bitmap, data) are lowercase hex; reasons are integers",
            "check_order": "size > MAX_FRAME_SIZE, then header length, version, type, body",
        },
        "limits": {
            "max_frame_size": wire.MAX_FRAME_SIZE,
            "max_piece_bytes": wire.MAX_PIECE_BYTES,
            "max_have_count": wire.MAX_HAVE_COUNT,
            "min_piece_size": wire.MIN_PIECE_SIZE,
            "max_piece_size": wire.MAX_PIECE_SIZE,
        },
        "types": {name: cls.TYPE for cls, name in wire.MESSAGE_NAMES.items()},
        "errors": ERRORS,
        "valid": [
            {"name": name, "message": message_to_json(msg), "hex": wire.encode(msg).hex()}
            for name, msg in _valid()
        ],
        "invalid": [{"name": n, "hex": h, "error": e} for n, h, e in _invalid()],
    }


def main() -> None:
    VECTORS_PATH.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {VECTORS_PATH}")


if __name__ == "__main__":
    main()
