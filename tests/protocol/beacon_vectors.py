"""Vectors for the operator-plane events (docs/protocol.md §4.7), merged into
tests/vectors/signaling.json by `signaling_vectors.build()`: beacons the server accepts or
refuses, `control` payloads clients accept or refuse, and ramp-up cohort buckets."""

from __future__ import annotations

from typing import Any

from swarmcast.protocol import beacon_schema

BEACON: dict[str, Any] = {
    "seq": 3,
    "rendition": "360p",
    "p2p": "on",
    "reason": None,
    "ttff_ms": 1250,
    "stalls": 1,
    "stall_ms": 800,
    "watch_ms": 30000,
    "http_bytes": 1_500_000,
    "p2p_bytes": 4_500_000,
    "upload_bytes": 3_000_000,
    "shadow_saved_bytes": 0,
    "verify_failures": 0,
    "peers": 3,
    "conn_attempts": 4,
    "conn_successes": 3,
    "pairs": {"host": 3},
    "latency_ms": 6200,
    "have": [40, 41, 42],
    "upload_capacity_bps": 2_000_000,
}

BEACON_VALID: list[tuple[str, str, Any]] = [
    ("beacon", "viewer on P2P", BEACON),
    ("beacon", "upload capacity unknown", {**BEACON, "upload_capacity_bps": None}),
    (
        "beacon",
        "off by the operator, before the first frame, no pairs key",
        {
            **{
                k: v for k, v in BEACON.items() if k not in ("pairs", "have", "upload_capacity_bps")
            },
            "p2p": "off",
            "reason": "operator-off",
            "ttff_ms": None,
            "latency_ms": None,
            "rendition": None,
        },
    ),
]

BEACON_INVALID: list[tuple[str, str, Any, str]] = [
    ("beacon", "not an object", [1, 2], "bad-request"),
    ("beacon", "unknown key", {**BEACON, "ip": "10.0.0.1"}, "bad-request"),
    (
        "beacon",
        "missing counter",
        {k: v for k, v in BEACON.items() if k != "p2p_bytes"},
        "bad-request",
    ),
    ("beacon", "negative bytes", {**BEACON, "http_bytes": -1}, "bad-request"),
    ("beacon", "float bytes", {**BEACON, "http_bytes": 1.5}, "bad-request"),
    ("beacon", "bytes past 2^53", {**BEACON, "http_bytes": 2**53}, "bad-request"),
    ("beacon", "unknown mode", {**BEACON, "p2p": "maybe"}, "bad-request"),
    ("beacon", "reason with spaces", {**BEACON, "reason": "no reason"}, "bad-request"),
    ("beacon", "reason too long", {**BEACON, "reason": "a" * 41}, "bad-request"),
    ("beacon", "unknown pair type", {**BEACON, "pairs": {"tcp": 1}}, "bad-request"),
    ("beacon", "too many peers", {**BEACON, "peers": 1025}, "bad-request"),
    ("beacon", "bad rendition", {**BEACON, "rendition": "../x"}, "bad-request"),
    ("beacon", "have too long", {**BEACON, "have": list(range(17))}, "bad-request"),
    ("beacon", "have not numbers", {**BEACON, "have": ["1"]}, "bad-request"),
    ("beacon", "negative upload capacity", {**BEACON, "upload_capacity_bps": -1}, "bad-request"),
    (
        "beacon",
        "upload capacity past 10 Gb/s",
        {**BEACON, "upload_capacity_bps": 10_000_000_001},
        "bad-request",
    ),
]

CONTROL: dict[str, Any] = {
    "stream": "demo",
    "version": 7,
    "p2p": True,
    "ramp_percent": 50,
    "shadow": False,
    "upload": {"cap_bps": 2_000_000, "save_data": True, "background_percent": 50},
}

CONTROL_VALID: list[tuple[str, str, Any]] = [
    ("control", "ramp-up to half", CONTROL),
    (
        "control",
        "kill switch, no upload cap",
        {**CONTROL, "p2p": False, "upload": {**CONTROL["upload"], "cap_bps": None}},
    ),
    ("beacon_ack", "beacon ack", {"ok": True, "control": CONTROL}),
]

CONTROL_INVALID: list[tuple[str, str, Any, str]] = [
    ("control", "ramp over 100", {**CONTROL, "ramp_percent": 101}, "bad-request"),
    ("control", "p2p not boolean", {**CONTROL, "p2p": 1}, "bad-request"),
    ("control", "unknown key", {**CONTROL, "extra": True}, "bad-request"),
    (
        "control",
        "upload missing a key",
        {**CONTROL, "upload": {"cap_bps": None, "save_data": True}},
        "bad-request",
    ),
    (
        "beacon_ack",
        "rate-limited",
        {"ok": False, "error": {"code": "rate-limited", "message": "x"}},
        "rate-limited",
    ),
    ("beacon_ack", "no control", {"ok": True}, "bad-request"),
]

COHORT_KEYS = ["", "a", "viewer-1", "viewer-2", "9f8e7d6c5b4a", "ünïcode-viewer", "x" * 64]


def cohort_vectors() -> list[dict[str, Any]]:
    return [{"viewer": key, "bucket": beacon_schema.cohort_bucket(key)} for key in COHORT_KEYS]
