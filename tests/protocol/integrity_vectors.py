"""Builds tests/vectors/integrity.json (signed integrity records, docs/protocol.md §2).

Regenerate with `.venv/bin/python -m tests.protocol.integrity_vectors` only when the contract
changes. Ed25519 signatures are deterministic, so the file is stable; the TypeScript shim runs
it unchanged (see the "format" entry in the file).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from swarmcast.protocol import integrity

VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "integrity.json"
# Test-only keys: never use these seeds for a real stream.
SEED = bytes(range(32))
OTHER_SEED = bytes(range(100, 132))


def pattern_bytes(length: int, salt: int) -> bytes:
    """Deterministic, non-repeating test content (SHA-256 counter stream)."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{salt}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:length])


FILES: list[dict[str, Any]] = [
    # name, content, fields: sizes pick the piece edge cases (partial last piece, exact
    # multiple, a single byte, the default piece size).
    {"name": "media-partial-last-piece", "data": pattern_bytes(2500, 1), "stream": "demo",
     "rendition": "720p", "kind": "media", "seq": 42, "uri": "seg-42.m4s", "piece_size": 1024},
    {"name": "media-exact-pieces", "data": pattern_bytes(2048, 2), "stream": "demo",
     "rendition": "360p", "kind": "media", "seq": 0, "uri": "seg-0.m4s", "piece_size": 1024},
    {"name": "init-one-byte", "data": b"\x00", "stream": "x_Y-9", "rendition": "480p",
     "kind": "init", "seq": 1, "uri": "init-1.mp4", "piece_size": 1024},
    {"name": "media-default-piece-size", "data": pattern_bytes(40000, 3), "stream": "demo",
     "rendition": "720p", "kind": "media", "seq": 2**53 - 1,
     "uri": f"seg-{2**53 - 1}.m4s", "piece_size": 16384},
]  # fmt: skip


def _record(entry: dict[str, Any], key: Ed25519PrivateKey) -> integrity.IntegrityRecord:
    return integrity.build_record(
        stream=entry["stream"],
        rendition=entry["rendition"],
        kind=entry["kind"],
        seq=entry["seq"],
        uri=entry["uri"],
        data=entry["data"],
        private_key=key,
        piece_size=entry["piece_size"],
    )


def _flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    out = bytearray(data)
    out[index] ^= mask
    return bytes(out)


def build() -> dict[str, Any]:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    other = Ed25519PrivateKey.from_private_bytes(OTHER_SEED)
    signing_key = integrity.signing_key_of(key)
    records = {entry["name"]: _record(entry, key) for entry in FILES}
    base = records["media-partial-last-piece"]
    base_doc = base.to_document()
    data = FILES[0]["data"]

    def document_case(name: str, document: Any, code: str) -> dict[str, Any]:
        text = document if isinstance(document, str) else json.dumps(document)
        return {"name": name, "document": text, "code": code}

    forged = _record(FILES[0], other).to_document()  # validly signed, but by another key
    forged_as_ours = {**forged, "key_id": signing_key.key_id}
    bad_signature = {**base_doc, "signature": integrity.b64url_encode(_flip(base.signature, 5))}
    return {
        "description": "swarmcast integrity records (docs/protocol.md section 2)",
        "format": {
            "private_key_seed": "hex of the 32-byte Ed25519 seed that signed every record "
            "(test only)",
            "signing_key": "the signing-key.json document (section 2.3) of that key",
            "records[]": "file (hex) + fields -> signing_input (hex), signature (base64url) and "
            "document: the exact compact JSON the segmenter publishes; every one must parse, "
            "verify against signing_key, and accept every piece and the whole file",
            "documents[]": "JSON texts that must be refused with the given code, by parsing or "
            "by verify_record_signature against signing_key (codes as in IntegrityErrorKind)",
            "pieces[]": "verify_piece(parse(records[record].document), index, data) must fail "
            "with code (or succeed when code is null)",
            "files[]": "verify_file(parse(records[record].document), data) must fail with code "
            "(or succeed when code is null)",
            "signing_keys[]": "signing-key.json documents that parse_signing_key must refuse",
            "mismatches[]": "check_record_is(parse(records[record].document), want) must fail "
            "with code (or succeed when code is null): a record of another segment than the "
            "one asked for (section 2.4)",
        },
        "private_key_seed": SEED.hex(),
        "signing_key": integrity.signing_key_document(signing_key),
        "records": [
            {
                "name": entry["name"],
                "file": entry["data"].hex(),
                "stream": entry["stream"],
                "rendition": entry["rendition"],
                "kind": entry["kind"],
                "seq": entry["seq"],
                "uri": entry["uri"],
                "piece_size": entry["piece_size"],
                "signing_input": records[entry["name"]].signing_input().hex(),
                "signature": integrity.b64url_encode(records[entry["name"]].signature),
                "document": records[entry["name"]].to_json().decode("ascii"),
            }
            for entry in FILES
        ],
        "documents": [
            document_case("bad-signature", bad_signature, "signature"),
            document_case("tampered-seq", {**base_doc, "seq": 43}, "signature"),
            document_case("tampered-uri", {**base_doc, "uri": "seg-43.m4s"}, "signature"),
            document_case("tampered-rendition", {**base_doc, "rendition": "360p"}, "signature"),
            document_case(
                "tampered-piece-hash",
                {**base_doc, "pieces": ["00" * 32, *base_doc["pieces"][1:]]},  # type: ignore[misc]
                "signature",
            ),
            document_case("signed-by-another-key", forged, "key-id"),
            document_case("another-key-claims-our-key-id", forged_as_ours, "signature"),
            document_case(
                "one-piece-missing",
                {**base_doc, "pieces": base_doc["pieces"][1:]},  # type: ignore[index]
                "piece-count",
            ),
            document_case(
                "one-piece-too-many",
                {**base_doc, "pieces": [*base_doc["pieces"], "00" * 32]},  # type: ignore[misc]
                "piece-count",
            ),
            document_case("size-disagrees-with-pieces", {**base_doc, "size": 3073}, "piece-count"),
            document_case("version-2", {**base_doc, "version": 2}, "version"),
            document_case("version-missing", _without(base_doc, "version"), "malformed"),
            document_case("zero-size", {**base_doc, "size": 0}, "limits"),
            document_case("size-over-64MiB", {**base_doc, "size": 64 * 2**20 + 1}, "limits"),
            document_case("piece-size-too-small", {**base_doc, "piece_size": 512}, "limits"),
            document_case("piece-size-too-large", {**base_doc, "piece_size": 65537}, "limits"),
            document_case("seq-negative", {**base_doc, "seq": -1}, "limits"),
            document_case("kind-unknown", {**base_doc, "kind": "audio"}, "malformed"),
            document_case("seq-not-integer", {**base_doc, "seq": "42"}, "malformed"),
            document_case("sha256-uppercase", {**base_doc, "sha256": "AB" * 32}, "malformed"),
            document_case("signature-padded", {**base_doc, "signature": "abc="}, "malformed"),
            document_case(
                "signature-short",
                {**base_doc, "signature": integrity.b64url_encode(bytes(63))},
                "malformed",
            ),
            document_case("stream-bad-name", {**base_doc, "stream": "a b"}, "malformed"),
            document_case("key-id-short", {**base_doc, "key_id": "abcd"}, "malformed"),
            document_case("sha256-missing", _without(base_doc, "sha256"), "malformed"),
            document_case("not-json", "{", "malformed"),
            document_case("json-array", [base_doc], "malformed"),
            *_number_spellings(base.to_json().decode("ascii")),
            *(
                document_case(
                    f"signature-other-spelling-{n}", {**base_doc, "signature": text}, "malformed"
                )
                for n, text in enumerate(_other_spellings(str(base_doc["signature"])), 1)
            ),
        ],
        "mismatches": [
            {"record": "media-partial-last-piece", "want": want, "code": code}
            for want, code in _mismatch_cases(FILES[0])
        ],
        "pieces": [
            *(
                {
                    "record": "media-partial-last-piece",
                    "index": index,
                    "data": data[slice(*base.piece_range(index))].hex(),
                    "code": None,
                }
                for index in range(base.piece_count)
            ),
            {
                "record": "media-partial-last-piece",
                "index": 0,
                "data": _flip(data[0:1024], 0).hex(),
                "code": "piece-hash",
            },
            {
                "record": "media-partial-last-piece",
                "index": 1,
                "data": _flip(data[1024:2048], 1023, 0x80).hex(),
                "code": "piece-hash",
            },
            {
                "record": "media-partial-last-piece",
                "index": 2,
                "data": _flip(data[2048:2500], 200).hex(),
                "code": "piece-hash",
            },
            {
                "record": "media-partial-last-piece",
                "index": 1,
                "data": data[0:1024].hex(),
                "code": "piece-hash",
            },
            {
                "record": "media-partial-last-piece",
                "index": 2,
                "data": data[2048:2499].hex(),
                "code": "size",
            },
            {
                "record": "media-partial-last-piece",
                "index": 3,
                "data": data[0:10].hex(),
                "code": "piece-hash",
            },
        ],
        "files": [
            {"record": "media-partial-last-piece", "data": data.hex(), "code": None},
            {
                "record": "media-partial-last-piece",
                "data": _flip(data, 2499).hex(),
                "code": "file-hash",
            },
            {
                "record": "media-partial-last-piece",
                "data": _flip(data, 0, 0x80).hex(),
                "code": "file-hash",
            },
            {"record": "media-partial-last-piece", "data": data[:-1].hex(), "code": "size"},
            {"record": "media-partial-last-piece", "data": (data + b"\0").hex(), "code": "size"},
        ],
        "signing_keys": [
            {
                "name": "key-id-mismatch",
                "document": {**integrity.signing_key_document(signing_key), "key_id": "0" * 16},
                "code": "key-id",
            },
            {
                "name": "wrong-alg",
                "document": {**integrity.signing_key_document(signing_key), "alg": "Ed448"},
                "code": "malformed",
            },
            {
                "name": "short-key",
                "document": {
                    "alg": "Ed25519",
                    "public_key": integrity.b64url_encode(bytes(31)),
                    "key_id": integrity.key_id_of(bytes(31)),
                },
                "code": "malformed",
            },
            *(
                {
                    "name": f"public-key-other-spelling-{n}",
                    "document": {**integrity.signing_key_document(signing_key), "public_key": text},
                    "code": "malformed",
                }
                for n, text in enumerate(
                    _other_spellings(integrity.b64url_encode(signing_key.public_key)), 1
                )
            ),
        ],
    }


_B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _other_spellings(text: str) -> list[str]:
    """Every other last character that decodes to the same bytes (non-zero padding bits): a
    lenient decoder accepts them, a strict one (one spelling per value) refuses them all."""
    unused_bits = (6 * len(text)) % 8
    index = _B64URL_ALPHABET.index(text[-1])
    base = index & ~((1 << unused_bits) - 1)
    return [text[:-1] + _B64URL_ALPHABET[base | low] for low in range(1, 1 << unused_bits)]


def _number_spellings(text: str) -> list[dict[str, Any]]:
    """The same integers spelled as JSON fractions or exponents: integers only where the
    format means integers (JavaScript's JSON.parse cannot tell 41.0 from 41 by itself)."""
    cases = [
        ("seq-fraction", '"seq":42', '"seq":42.0'),
        ("seq-exponent", '"seq":42', '"seq":4.2e1'),
        ("size-exponent", '"size":2500', '"size":2.5e3'),
        ("size-upper-exponent", '"size":2500', '"size":25E2'),
        ("piece-size-fraction", '"piece_size":1024', '"piece_size":1024.0'),
        ("version-fraction", '"version":1', '"version":1.0'),
    ]
    out = []
    for name, old, new in cases:
        assert text.count(old + ",") == 1, old
        out.append(
            {"name": name, "document": text.replace(old + ",", new + ","), "code": "malformed"}
        )
    return out


def _mismatch_cases(entry: dict[str, Any]) -> list[tuple[dict[str, Any], str | None]]:
    want = {name: entry[name] for name in ("stream", "rendition", "kind", "seq", "uri")}
    return [
        (want, None),
        ({**want, "seq": entry["seq"] + 1}, "mismatch"),
        ({**want, "seq": entry["seq"] - 1}, "mismatch"),
        ({**want, "rendition": "360p"}, "mismatch"),
        ({**want, "stream": "other"}, "mismatch"),
        ({**want, "kind": "init"}, "mismatch"),
        ({**want, "uri": "seg-43.m4s"}, "mismatch"),
    ]


def _without(document: dict[str, object], field: str) -> dict[str, object]:
    return {name: value for name, value in document.items() if name != field}


def main() -> None:
    VECTORS_PATH.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {VECTORS_PATH}")


if __name__ == "__main__":
    main()
