"""Signed integrity records (docs/protocol.md §2): build + sign, parse with limits, verify.

Pure (no I/O). The segmenter signs one record per init/media segment; peers and players verify
the record's signature against the stream's pinned key, then every piece a neighbour sends.
Error `code`s are the same strings as the TypeScript shim's `IntegrityErrorKind`, so shared
vectors (tests/vectors/integrity.json) name the expected failure the same way on both sides.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

INTEGRITY_VERSION: Final = 1
SIGNING_DOMAIN: Final = b"swarmcast/integrity/v1\n"
DEFAULT_PIECE_SIZE: Final = 16_384
MAX_FILE_SIZE: Final = 64 * 1024 * 1024
MIN_PIECE_SIZE: Final = 1024
MAX_PIECE_SIZE: Final = 65_536
MAX_PIECES: Final = 65_536
MAX_SEQ: Final = 2**53 - 1
"""seq stays a safe JSON integer so JavaScript parses it exactly."""
MAX_DOCUMENT_BYTES: Final = 4_500_000
"""65536 pieces x 67 bytes of JSON each, plus the other fields, fits below this."""

Kind = Literal["init", "media"]
_KIND_BYTE: Final[dict[str, int]] = {"init": 0, "media": 1}
_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HEX64_RE: Final = re.compile(r"[0-9a-f]{64}")
_HEX16_RE: Final = re.compile(r"[0-9a-f]{16}")
_URI_RE: Final = re.compile(r"[\x21-\x7e]{1,255}")
_B64URL_RE: Final = re.compile(r"[A-Za-z0-9_-]+")


class IntegrityError(ValueError):
    """Base of every refusal; `code` matches the TypeScript shim's error kind."""

    code = "malformed"


class MalformedRecord(IntegrityError):
    """Not JSON, a missing field, a field of the wrong type or shape."""

    code = "malformed"


class UnsupportedVersion(IntegrityError):
    code = "version"


class LimitExceeded(IntegrityError):
    """size, piece_size, seq or the piece count is outside the §2.2 limits."""

    code = "limits"


class PieceCountMismatch(IntegrityError):
    """len(pieces) != ceil(size / piece_size)."""

    code = "piece-count"


class KeyIdMismatch(IntegrityError):
    """The record (or signing-key.json) names a key other than the pinned one."""

    code = "key-id"


class BadSignature(IntegrityError):
    code = "signature"


class PieceHashMismatch(IntegrityError):
    """A piece's SHA-256 differs from the record (or its index is out of range)."""

    code = "piece-hash"


class SizeMismatch(IntegrityError):
    """A piece or file has the wrong length."""

    code = "size"


class FileHashMismatch(IntegrityError):
    code = "file-hash"


class RecordMismatch(IntegrityError):
    """A valid record, but of another segment than the one asked for (§2.4)."""

    code = "mismatch"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A stream's public key as players pin it."""

    public_key: bytes
    """Raw 32-byte Ed25519 public key."""
    key_id: str


@dataclass(frozen=True, slots=True)
class IntegrityRecord:
    """One parsed (or freshly built) `<file>.integrity.json`."""

    stream: str
    rendition: str
    kind: Kind
    seq: int
    """Media sequence number; for `init`, the discontinuity number."""
    uri: str
    size: int
    sha256: bytes
    piece_size: int
    pieces: tuple[bytes, ...]
    key_id: str
    signature: bytes
    version: int = INTEGRITY_VERSION

    @property
    def piece_count(self) -> int:
        return len(self.pieces)

    def piece_range(self, index: int) -> tuple[int, int]:
        """Byte range [start, end) of piece `index`."""
        start = index * self.piece_size
        return start, min(start + self.piece_size, self.size)

    def signing_input(self) -> bytes:
        return signing_input(self)

    def to_document(self) -> dict[str, object]:
        """The JSON object of §2.1, fields in the documented order."""
        return {
            "version": self.version,
            "stream": self.stream,
            "rendition": self.rendition,
            "kind": self.kind,
            "seq": self.seq,
            "uri": self.uri,
            "size": self.size,
            "sha256": self.sha256.hex(),
            "piece_size": self.piece_size,
            "pieces": [piece.hex() for piece in self.pieces],
            "key_id": self.key_id,
            "signature": b64url_encode(self.signature),
        }

    def to_json(self) -> bytes:
        """Compact UTF-8 JSON, as the segmenter publishes it."""
        return json.dumps(self.to_document(), separators=(",", ":")).encode("ascii")


# -- encoding helpers -------------------------------------------------------------------


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding, one spelling per value (the unused low bits of the
    last character are 0, as in the TypeScript decoder); MalformedRecord otherwise."""
    if not _B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        raise MalformedRecord("not base64url without padding")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):  # pragma: no cover - the regex already filters
        raise MalformedRecord("not base64url") from None
    if b64url_encode(raw) != text:
        raise MalformedRecord("not the canonical base64url spelling (non-zero padding bits)")
    return raw


def key_id_of(public_key: bytes) -> str:
    """First 8 bytes of SHA-256 of the raw public key, as 16 lowercase hex characters."""
    return hashlib.sha256(public_key).digest()[:8].hex()


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def signing_key_of(key: Ed25519PrivateKey | Ed25519PublicKey) -> SigningKey:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = raw_public_key(public)
    return SigningKey(public_key=raw, key_id=key_id_of(raw))


def signing_key_document(key: SigningKey) -> dict[str, str]:
    """`signing-key.json` (§2.3)."""
    return {"alg": "Ed25519", "public_key": b64url_encode(key.public_key), "key_id": key.key_id}


def parse_signing_key(document: bytes | str | Mapping[str, object]) -> SigningKey:
    """Parse `signing-key.json`; its key_id must match its public key."""
    obj = _load_object(document)
    if obj.get("alg") != "Ed25519":
        raise MalformedRecord("signing key alg is not Ed25519")
    public_key = b64url_decode(_string(obj, "public_key", _B64URL_RE))
    if len(public_key) != 32:
        raise MalformedRecord("public key is not 32 bytes")
    key_id = _string(obj, "key_id", _HEX16_RE)
    if key_id_of(public_key) != key_id:
        raise KeyIdMismatch("key_id does not match public_key")
    return SigningKey(public_key=public_key, key_id=key_id)


# -- building ---------------------------------------------------------------------------


def piece_hashes(data: bytes, piece_size: int) -> tuple[bytes, ...]:
    return tuple(
        hashlib.sha256(data[start : start + piece_size]).digest()
        for start in range(0, len(data), piece_size)
    )


def piece_count_for(size: int, piece_size: int) -> int:
    return -(-size // piece_size)


def signing_input(record: IntegrityRecord) -> bytes:
    """The exact bytes signed (§2.2), built from the fields, never from JSON text."""

    def prefixed(text: str) -> bytes:
        raw = text.encode("ascii")
        return struct.pack(">B", len(raw)) + raw

    return b"".join(
        (
            SIGNING_DOMAIN,
            prefixed(record.stream),
            prefixed(record.rendition),
            struct.pack(">BQ", _KIND_BYTE[record.kind], record.seq),
            prefixed(record.uri),
            struct.pack(">QI", record.size, record.piece_size),
            record.sha256,
            struct.pack(">I", len(record.pieces)),
            *record.pieces,
        )
    )


def build_record(
    *,
    stream: str,
    rendition: str,
    kind: Kind,
    seq: int,
    uri: str,
    data: bytes,
    private_key: Ed25519PrivateKey,
    piece_size: int = DEFAULT_PIECE_SIZE,
) -> IntegrityRecord:
    """Hash `data` into pieces and sign the record; ValueError if a field breaks §2."""
    unsigned = IntegrityRecord(
        stream=stream,
        rendition=rendition,
        kind=kind,
        seq=seq,
        uri=uri,
        size=len(data),
        sha256=hashlib.sha256(data).digest(),
        piece_size=piece_size,
        pieces=piece_hashes(data, piece_size),
        key_id=signing_key_of(private_key).key_id,
        signature=b"\0" * 64,
    )
    _check_fields(unsigned)
    signature = private_key.sign(signing_input(unsigned))
    return _replace_signature(unsigned, signature)


def _replace_signature(record: IntegrityRecord, signature: bytes) -> IntegrityRecord:
    return IntegrityRecord(
        stream=record.stream,
        rendition=record.rendition,
        kind=record.kind,
        seq=record.seq,
        uri=record.uri,
        size=record.size,
        sha256=record.sha256,
        piece_size=record.piece_size,
        pieces=record.pieces,
        key_id=record.key_id,
        signature=signature,
        version=record.version,
    )


# -- parsing ----------------------------------------------------------------------------


def parse_record(document: bytes | str | Mapping[str, object]) -> IntegrityRecord:
    """Parse and shape-check a record (limits, piece count); does not check the signature."""
    if isinstance(document, bytes | str) and len(document) > MAX_DOCUMENT_BYTES:
        raise LimitExceeded(f"record larger than {MAX_DOCUMENT_BYTES} bytes")
    obj = _load_object(document)
    if "version" not in obj:
        raise MalformedRecord("missing field version")
    version = obj["version"]
    if type(version) is not int:
        raise MalformedRecord("version is not an integer")
    if version != INTEGRITY_VERSION:
        raise UnsupportedVersion(f"unsupported version {version!r}")
    raw_kind = obj.get("kind")
    if raw_kind == "init" or raw_kind == "media":
        kind: Kind = "init" if raw_kind == "init" else "media"
    else:
        raise MalformedRecord(f"bad kind {raw_kind!r}")
    size = _integer(obj, "size", 1, MAX_FILE_SIZE)
    piece_size = _integer(obj, "piece_size", MIN_PIECE_SIZE, MAX_PIECE_SIZE)
    raw_pieces = _field(obj, "pieces")
    if not isinstance(raw_pieces, list):
        raise MalformedRecord("pieces is not a list")
    if len(raw_pieces) > MAX_PIECES:
        raise LimitExceeded("too many pieces")
    if len(raw_pieces) != piece_count_for(size, piece_size):
        raise PieceCountMismatch(f"{len(raw_pieces)} pieces for size {size}")
    pieces = []
    for piece in raw_pieces:
        if not isinstance(piece, str) or not _HEX64_RE.fullmatch(piece):
            raise MalformedRecord("bad piece hash")
        pieces.append(bytes.fromhex(piece))
    signature = b64url_decode(_string(obj, "signature", _B64URL_RE))
    if len(signature) != 64:
        raise MalformedRecord("signature is not 64 bytes")
    return IntegrityRecord(
        stream=_string(obj, "stream", _NAME_RE),
        rendition=_string(obj, "rendition", _NAME_RE),
        kind=kind,
        seq=_integer(obj, "seq", 0, MAX_SEQ),
        uri=_string(obj, "uri", _URI_RE),
        size=size,
        sha256=bytes.fromhex(_string(obj, "sha256", _HEX64_RE)),
        piece_size=piece_size,
        pieces=tuple(pieces),
        key_id=_string(obj, "key_id", _HEX16_RE),
        signature=signature,
        version=version,
    )


def _load_object(document: bytes | str | Mapping[str, object]) -> Mapping[str, object]:
    if isinstance(document, Mapping):
        return document
    try:
        obj = json.loads(document)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedRecord("not JSON") from None
    if not isinstance(obj, dict):
        raise MalformedRecord("not a JSON object")
    return obj


def _field(obj: Mapping[str, object], name: str) -> object:
    if name not in obj:
        raise MalformedRecord(f"missing field {name}")
    return obj[name]


def _integer(obj: Mapping[str, object], name: str, low: int, high: int) -> int:
    value = _field(obj, name)
    if type(value) is not int:  # bool is an int subclass; JSON true is not a number
        raise MalformedRecord(f"{name} is not an integer")
    if not low <= value <= high:
        raise LimitExceeded(f"{name} out of range: {value}")
    return value


def _string(obj: Mapping[str, object], name: str, pattern: re.Pattern[str]) -> str:
    value = _field(obj, name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise MalformedRecord(f"bad {name}")
    return value


def _check_fields(record: IntegrityRecord) -> None:
    """Same limits as parsing, for records we are about to sign."""
    if not _NAME_RE.fullmatch(record.stream) or not _NAME_RE.fullmatch(record.rendition):
        raise ValueError("stream and rendition must match [A-Za-z0-9_-]{1,64}")
    if not _URI_RE.fullmatch(record.uri):
        raise ValueError(f"bad uri {record.uri!r}")
    if not 0 <= record.seq <= MAX_SEQ:
        raise ValueError(f"seq out of range: {record.seq}")
    if not 1 <= record.size <= MAX_FILE_SIZE:
        raise ValueError(f"size out of range: {record.size} (a zero-size file is invalid)")
    if not MIN_PIECE_SIZE <= record.piece_size <= MAX_PIECE_SIZE:
        raise ValueError(f"piece_size out of range: {record.piece_size}")


# -- verification -----------------------------------------------------------------------


def verify_record_signature(record: IntegrityRecord, key: SigningKey) -> None:
    """Check the record names `key` and carries its valid signature."""
    if record.key_id != key.key_id:
        raise KeyIdMismatch(f"record key {record.key_id}, pinned {key.key_id}")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(
            record.signature, signing_input(record)
        )
    except InvalidSignature:
        raise BadSignature(f"bad signature on {record.uri}") from None


def verify_piece(record: IntegrityRecord, index: int, data: bytes) -> None:
    """Check one piece (of an already signature-checked record)."""
    if not 0 <= index < len(record.pieces):
        raise PieceHashMismatch(f"piece index {index} out of range")
    start, end = record.piece_range(index)
    if len(data) != end - start:
        raise SizeMismatch(f"piece {index} is {len(data)} bytes, want {end - start}")
    if hashlib.sha256(data).digest() != record.pieces[index]:
        raise PieceHashMismatch(f"piece {index} of {record.uri} differs")


def verify_file(record: IntegrityRecord, data: bytes) -> None:
    """Check a whole file's size, SHA-256 and every piece hash."""
    if len(data) != record.size:
        raise SizeMismatch(f"{record.uri} is {len(data)} bytes, want {record.size}")
    if hashlib.sha256(data).digest() != record.sha256:
        raise FileHashMismatch(f"{record.uri} differs")
    # A signed record whose pieces disagree with its own sha256 must not pass either.
    if piece_hashes(data, record.piece_size) != record.pieces:
        raise PieceHashMismatch(f"{record.uri}: piece hashes disagree with the file")


def check_record_is(
    record: IntegrityRecord, *, stream: str, rendition: str, kind: Kind, seq: int, uri: str
) -> None:
    """RecordMismatch unless `record` names exactly the segment asked for (§2.4): a validly
    signed record of another seq, rendition, stream, kind or uri must not stand in for it."""
    wanted = (stream, rendition, kind, seq, uri)
    named = (record.stream, record.rendition, record.kind, record.seq, record.uri)
    for field_name, want, got in zip(
        ("stream", "rendition", "kind", "seq", "uri"), wanted, named, strict=True
    ):
        if want != got:
            raise RecordMismatch(f"record {field_name} is {got!r}, asked for {want!r}")


def verify_document(
    document: bytes | str | Mapping[str, object], key: SigningKey, data: bytes | None = None
) -> IntegrityRecord:
    """Parse + signature check (+ whole-file check when `data` is given), in that order."""
    record = parse_record(document)
    verify_record_signature(record, key)
    if data is not None:
        verify_file(record, data)
    return record
