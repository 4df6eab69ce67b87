"""Codec for the peer wire protocol (docs/protocol.md §5): one frame per data-channel message.

Pure and I/O-free. `decode` turns any byte string into a typed message or raises a `WireError`
subclass, never anything else, so a receiver can drop exactly the offending connection.
Messages validate their own fields on construction, so `encode` can only produce valid frames.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Final, TypeAlias, TypeVar

WIRE_VERSION: Final = 1
DATA_CHANNEL_LABEL: Final = "swarmcast/1"

HEADER_SIZE: Final = 2  # u8 version, u8 type
MAX_PIECE_BYTES: Final = 65536
MAX_FRAME_SIZE: Final = HEADER_SIZE + 4 + 4 + 2 + MAX_PIECE_BYTES  # a full PIECE: 65548
MAX_HAVE_COUNT: Final = 4096
MAX_PIECES_PER_SEGMENT: Final = 65536  # docs/protocol.md §2.2: pieces <= 65536
MIN_PIECE_SIZE: Final = 1024
MAX_PIECE_SIZE: Final = 65536
U16_MAX: Final = 0xFFFF
U32_MAX: Final = 0xFFFF_FFFF

CAP_CAN_UPLOAD: Final = 1 << 0
CAP_EDGE_SEEDER: Final = 1 << 1
CAP_ORIGIN_RATE: Final = 1 << 2
"""Decodes HAVE_PIECES with an origin_rate (a trailing u32); senders add it only then."""

_NAME = r"[A-Za-z0-9_-]{1,64}"
_SWARM_ID_RE: Final = re.compile(rf"{_NAME}/{_NAME}")


class WireError(ValueError):
    """Any frame that cannot be decoded, or a message that cannot be encoded."""


class FrameTooLarge(WireError):
    """The frame is longer than MAX_FRAME_SIZE."""


class TruncatedFrame(WireError):
    """The frame ends before its fields do."""


class TrailingBytes(WireError):
    """Bytes follow the last field of a fixed-size message."""


class UnsupportedVersion(WireError):
    """The version byte is not WIRE_VERSION."""


class UnknownType(WireError):
    """The type byte names no message of this version."""


class FieldOutOfRange(WireError):
    """A field holds a value the protocol forbids (counts, sizes, reasons, names, padding)."""


class RejectReason(IntEnum):
    NOT_HAVE = 1
    BUSY = 2
    CHOKED = 3
    BAD_REQUEST = 4


class GoodbyeReason(IntEnum):
    NORMAL = 0
    PROTOCOL_ERROR = 1
    BAD_PIECE = 2
    SHUTTING_DOWN = 3


def _check_uint(name: str, value: int, maximum: int, minimum: int = 0) -> None:
    # bool is an int subclass; a True seq is a bug, not a 1.
    if type(value) is not int or not minimum <= value <= maximum:
        raise FieldOutOfRange(f"{name}={value!r} outside {minimum}..{maximum}")


@dataclass(frozen=True, slots=True)
class Hello:
    """First frame on a channel: what the sender can do and which swarm it is in."""

    TYPE: ClassVar[int] = 0x01
    capabilities: int
    piece_size: int
    max_pieces_per_request: int
    swarm_id: str  # "<stream>/<rendition>"

    def __post_init__(self) -> None:
        _check_uint("capabilities", self.capabilities, U32_MAX)
        _check_uint("piece_size", self.piece_size, MAX_PIECE_SIZE, MIN_PIECE_SIZE)
        _check_uint("max_pieces_per_request", self.max_pieces_per_request, U16_MAX, 1)
        if not isinstance(self.swarm_id, str) or not _SWARM_ID_RE.fullmatch(self.swarm_id):
            raise FieldOutOfRange(f"swarm_id {self.swarm_id!r} is not <stream>/<rendition>")

    @property
    def can_upload(self) -> bool:
        return bool(self.capabilities & CAP_CAN_UPLOAD)

    @property
    def edge_seeder(self) -> bool:
        return bool(self.capabilities & CAP_EDGE_SEEDER)


@dataclass(frozen=True, slots=True)
class Have:
    """The sender's whole set of complete, verified segments in [base_seq, base_seq+count).

    `bitmap` is ceil(count/8) bytes, MSB first; the unused low bits of the last byte are zero
    (anything else is FieldOutOfRange, so every set has exactly one encoding).
    """

    TYPE: ClassVar[int] = 0x02
    base_seq: int
    count: int
    bitmap: bytes

    def __post_init__(self) -> None:
        _check_uint("base_seq", self.base_seq, U32_MAX)
        _check_uint("count", self.count, MAX_HAVE_COUNT)
        if not isinstance(self.bitmap, bytes) or len(self.bitmap) != (self.count + 7) // 8:
            raise FieldOutOfRange(f"bitmap must be {(self.count + 7) // 8} bytes for {self.count}")
        if self.base_seq + self.count - 1 > U32_MAX:
            raise FieldOutOfRange("base_seq + count overflows u32")
        spare_bits = len(self.bitmap) * 8 - self.count
        if spare_bits and self.bitmap[-1] & ((1 << spare_bits) - 1):
            raise FieldOutOfRange("padding bits of the HAVE bitmap must be zero")

    @classmethod
    def from_seqs(cls, base_seq: int, count: int, seqs: set[int] | frozenset[int]) -> Have:
        """Build the bitmap for `seqs`; sequence numbers outside the window are ignored."""
        bitmap = bytearray((count + 7) // 8)
        for seq in seqs:
            offset = seq - base_seq
            if 0 <= offset < count:
                bitmap[offset // 8] |= 0x80 >> (offset % 8)
        return cls(base_seq, count, bytes(bitmap))

    def holds(self, seq: int) -> bool:
        offset = seq - self.base_seq
        if not 0 <= offset < self.count:
            return False
        return bool(self.bitmap[offset // 8] & (0x80 >> (offset % 8)))

    def seqs(self) -> list[int]:
        """The held sequence numbers, ascending."""
        return [self.base_seq + i for i in range(self.count) if self.holds(self.base_seq + i)]


@dataclass(frozen=True, slots=True)
class HaveDelta:
    """One segment newly held in full and verified."""

    TYPE: ClassVar[int] = 0x03
    seq: int

    def __post_init__(self) -> None:
        _check_uint("seq", self.seq, U32_MAX)


@dataclass(frozen=True, slots=True)
class HavePieces:
    """Part of one segment: the verified pieces the sender holds of `seq`, which it is still
    completing (count 0: it has just started fetching `seq` from the origin). Lets neighbours
    wait for that copy and take its pieces as they arrive (cut-through) instead of fetching the
    segment themselves. `bitmap` is ceil(count/8) bytes, MSB first, bit i = piece i; the
    unused low bits of the last byte are zero (one encoding per set). `origin_rate` (bytes/s,
    0: not said) is how fast the sender's own origin fetch of `seq` is arriving (when it relays
    a copy: the fastest rate its neighbours said): a receiver
    cannot tell a congested origin from the sender's queued uplink by when words reach it.
    It is encoded as a trailing u32 only when non-zero, and sent only to neighbours whose
    HELLO set CAP_ORIGIN_RATE (older decoders reject trailing bytes)."""

    TYPE: ClassVar[int] = 0x0B
    seq: int
    count: int
    bitmap: bytes
    origin_rate: int = 0

    def __post_init__(self) -> None:
        _check_uint("seq", self.seq, U32_MAX)
        _check_uint("count", self.count, MAX_HAVE_COUNT)
        if not isinstance(self.bitmap, bytes) or len(self.bitmap) != (self.count + 7) // 8:
            raise FieldOutOfRange(f"bitmap must be {(self.count + 7) // 8} bytes for {self.count}")
        spare_bits = len(self.bitmap) * 8 - self.count
        if spare_bits and self.bitmap[-1] & ((1 << spare_bits) - 1):
            raise FieldOutOfRange("padding bits of the HAVE_PIECES bitmap must be zero")
        _check_uint("origin_rate", self.origin_rate, U32_MAX)

    @classmethod
    def from_pieces(cls, seq: int, pieces: Iterable[int], origin_rate: int = 0) -> HavePieces:
        """The shortest bitmap for `pieces` (indices beyond MAX_HAVE_COUNT are left out)."""
        held = {i for i in pieces if 0 <= i < MAX_HAVE_COUNT}
        count = max(held) + 1 if held else 0
        bitmap = bytearray((count + 7) // 8)
        for index in held:
            bitmap[index // 8] |= 0x80 >> (index % 8)
        return cls(seq, count, bytes(bitmap), min(max(0, origin_rate), U32_MAX))

    def pieces(self) -> list[int]:
        """The held piece indices, ascending."""
        return [i for i in range(self.count) if self.bitmap[i // 8] & (0x80 >> (i % 8))]


@dataclass(frozen=True, slots=True)
class Request:
    """Ask for pieces [first_piece, first_piece + piece_count) of segment `seq`."""

    TYPE: ClassVar[int] = 0x04
    request_id: int
    seq: int
    first_piece: int
    piece_count: int

    def __post_init__(self) -> None:
        _check_uint("request_id", self.request_id, U32_MAX)
        _check_uint("seq", self.seq, U32_MAX)
        _check_uint("first_piece", self.first_piece, U16_MAX)
        _check_uint("piece_count", self.piece_count, U16_MAX, 1)
        if self.first_piece + self.piece_count > MAX_PIECES_PER_SEGMENT:
            raise FieldOutOfRange("first_piece + piece_count exceeds 65536 pieces")


@dataclass(frozen=True, slots=True)
class Piece:
    """One piece of a segment, answering `request_id`."""

    TYPE: ClassVar[int] = 0x05
    request_id: int
    seq: int
    index: int
    data: bytes

    def __post_init__(self) -> None:
        _check_uint("request_id", self.request_id, U32_MAX)
        _check_uint("seq", self.seq, U32_MAX)
        _check_uint("index", self.index, U16_MAX)
        if not isinstance(self.data, bytes) or not 1 <= len(self.data) <= MAX_PIECE_BYTES:
            raise FieldOutOfRange(f"piece data must be 1..{MAX_PIECE_BYTES} bytes")


@dataclass(frozen=True, slots=True)
class Cancel:
    """The requester no longer wants the rest of `request_id`."""

    TYPE: ClassVar[int] = 0x06
    request_id: int

    def __post_init__(self) -> None:
        _check_uint("request_id", self.request_id, U32_MAX)


@dataclass(frozen=True, slots=True)
class Reject:
    """The uploader will not serve (the rest of) `request_id`."""

    TYPE: ClassVar[int] = 0x07
    request_id: int
    reason: RejectReason

    def __post_init__(self) -> None:
        _check_uint("request_id", self.request_id, U32_MAX)
        if not isinstance(self.reason, RejectReason):
            raise FieldOutOfRange(f"reject reason {self.reason!r} is not a RejectReason")


@dataclass(frozen=True, slots=True)
class Choke:
    """The sender will not serve requests until it sends UNCHOKE."""

    TYPE: ClassVar[int] = 0x08


@dataclass(frozen=True, slots=True)
class Unchoke:
    """The sender will serve requests again."""

    TYPE: ClassVar[int] = 0x09


@dataclass(frozen=True, slots=True)
class Goodbye:
    """The sender is closing this channel."""

    TYPE: ClassVar[int] = 0x0A
    reason: GoodbyeReason

    def __post_init__(self) -> None:
        if not isinstance(self.reason, GoodbyeReason):
            raise FieldOutOfRange(f"goodbye reason {self.reason!r} is not a GoodbyeReason")


Message: TypeAlias = (
    Hello
    | Have
    | HaveDelta
    | Request
    | Piece
    | Cancel
    | Reject
    | Choke
    | Unchoke
    | Goodbye
    | HavePieces
)

MESSAGE_TYPES: Final[dict[int, type[Message]]] = {
    cls.TYPE: cls
    for cls in (
        Hello,
        Have,
        HaveDelta,
        Request,
        Piece,
        Cancel,
        Reject,
        Choke,
        Unchoke,
        Goodbye,
        HavePieces,
    )
}
# Names used in tests/vectors/wire.json and by the TypeScript codec.
MESSAGE_NAMES: Final[dict[type[Message], str]] = {
    Hello: "HELLO",
    Have: "HAVE",
    HaveDelta: "HAVE_DELTA",
    Request: "REQUEST",
    Piece: "PIECE",
    Cancel: "CANCEL",
    Reject: "REJECT",
    Choke: "CHOKE",
    Unchoke: "UNCHOKE",
    Goodbye: "GOODBYE",
    HavePieces: "HAVE_PIECES",
}

_E = TypeVar("_E", bound=IntEnum)

_U32 = struct.Struct(">I")
_HELLO = struct.Struct(">IIHB")
_HAVE = struct.Struct(">IH")
_REQUEST = struct.Struct(">IIHH")
_PIECE = struct.Struct(">IIH")
_REJECT = struct.Struct(">IB")


def encode(msg: Message) -> bytes:
    """The frame for `msg` (fields were validated when `msg` was built)."""
    header = bytes((WIRE_VERSION, msg.TYPE))
    match msg:
        case Hello():
            swarm = msg.swarm_id.encode("ascii")
            fixed = _HELLO.pack(
                msg.capabilities, msg.piece_size, msg.max_pieces_per_request, len(swarm)
            )
            return header + fixed + swarm
        case Have():
            return header + _HAVE.pack(msg.base_seq, msg.count) + msg.bitmap
        case HaveDelta():
            return header + _U32.pack(msg.seq)
        case HavePieces():
            rate = _U32.pack(msg.origin_rate) if msg.origin_rate else b""
            return header + _HAVE.pack(msg.seq, msg.count) + msg.bitmap + rate
        case Request():
            return header + _REQUEST.pack(msg.request_id, msg.seq, msg.first_piece, msg.piece_count)
        case Piece():
            return header + _PIECE.pack(msg.request_id, msg.seq, msg.index) + msg.data
        case Cancel():
            return header + _U32.pack(msg.request_id)
        case Reject():
            return header + _REJECT.pack(msg.request_id, msg.reason)
        case Choke() | Unchoke():
            return header
        case Goodbye():
            return header + bytes((msg.reason,))
    raise WireError(f"not a wire message: {type(msg).__name__}")  # pragma: no cover


def decode(data: bytes | bytearray | memoryview) -> Message:
    """Parse one frame. Raises a WireError subclass for anything but a valid frame."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise WireError(f"frame must be bytes, not {type(data).__name__}")
    frame = bytes(data)
    if len(frame) > MAX_FRAME_SIZE:
        raise FrameTooLarge(f"frame of {len(frame)} bytes exceeds {MAX_FRAME_SIZE}")
    if len(frame) < HEADER_SIZE:
        raise TruncatedFrame(f"frame of {len(frame)} bytes has no header")
    version, type_code = frame[0], frame[1]
    if version != WIRE_VERSION:
        raise UnsupportedVersion(f"wire version {version} (this codec speaks {WIRE_VERSION})")
    body = frame[HEADER_SIZE:]
    match type_code:
        case Hello.TYPE:
            capabilities, piece_size, max_pieces, swarm_len = _fixed(_HELLO, body, exact=False)
            swarm = _exact(body[_HELLO.size :], swarm_len, "swarm id")
            if not swarm.isascii():
                raise FieldOutOfRange("swarm id is not ASCII")
            return Hello(capabilities, piece_size, max_pieces, swarm.decode("ascii"))
        case Have.TYPE:
            base_seq, count = _fixed(_HAVE, body, exact=False)
            if count > MAX_HAVE_COUNT:
                raise FieldOutOfRange(f"HAVE count {count} exceeds {MAX_HAVE_COUNT}")
            bitmap = _exact(body[_HAVE.size :], (count + 7) // 8, "HAVE bitmap")
            return Have(base_seq, count, bitmap)
        case HaveDelta.TYPE:
            (seq,) = _fixed(_U32, body)
            return HaveDelta(seq)
        case HavePieces.TYPE:
            seq, count = _fixed(_HAVE, body, exact=False)
            if count > MAX_HAVE_COUNT:
                raise FieldOutOfRange(f"HAVE_PIECES count {count} exceeds {MAX_HAVE_COUNT}")
            size = (count + 7) // 8
            bitmap = body[_HAVE.size : _HAVE.size + size]
            rest = body[_HAVE.size + size :]
            if len(bitmap) < size or len(rest) not in (0, _U32.size):
                _exact(body[_HAVE.size :], size, "HAVE_PIECES bitmap")  # raises
            (origin_rate,) = _U32.unpack(rest) if rest else (0,)
            if rest and not origin_rate:
                raise FieldOutOfRange("HAVE_PIECES origin_rate 0 is sent by leaving it out")
            return HavePieces(seq, count, bytes(bitmap), origin_rate)
        case Request.TYPE:
            return Request(*_fixed(_REQUEST, body))
        case Piece.TYPE:
            request_id, seq, index = _fixed(_PIECE, body, exact=False)
            payload = body[_PIECE.size :]
            if not payload:
                raise TruncatedFrame("PIECE carries no bytes")
            return Piece(request_id, seq, index, payload)
        case Cancel.TYPE:
            (request_id,) = _fixed(_U32, body)
            return Cancel(request_id)
        case Reject.TYPE:
            request_id, reason = _fixed(_REJECT, body)
            return Reject(request_id, _enum(RejectReason, reason))
        case Choke.TYPE:
            _exact(body, 0, "CHOKE body")
            return Choke()
        case Unchoke.TYPE:
            _exact(body, 0, "UNCHOKE body")
            return Unchoke()
        case Goodbye.TYPE:
            (reason,) = _exact(body, 1, "GOODBYE body")
            return Goodbye(_enum(GoodbyeReason, reason))
    raise UnknownType(f"unknown message type 0x{type_code:02x}")


def _fixed(layout: struct.Struct, body: bytes, *, exact: bool = True) -> tuple[int, ...]:
    """Unpack a fixed-size prefix; with `exact`, nothing may follow it."""
    if len(body) < layout.size:
        raise TruncatedFrame(f"body of {len(body)} bytes, need {layout.size}")
    if exact and len(body) > layout.size:
        raise TrailingBytes(f"{len(body) - layout.size} bytes after the last field")
    return layout.unpack_from(body)


def _exact(chunk: bytes, size: int, what: str) -> bytes:
    if len(chunk) < size:
        raise TruncatedFrame(f"{what}: {len(chunk)} of {size} bytes")
    if len(chunk) > size:
        raise TrailingBytes(f"{what}: {len(chunk) - size} bytes too many")
    return chunk


def _enum(kind: type[_E], value: int) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise FieldOutOfRange(f"{kind.__name__} {value} is not defined") from None
