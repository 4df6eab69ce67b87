"""Builds tests/vectors/signaling.json: Socket.IO event payloads the server accepts (with the
normalized form it relays) and refuses (with the error code). Regenerate with
`.venv/bin/python -m tests.protocol.signaling_vectors` when docs/protocol.md §4 changes."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from swarmcast.protocol import beacon_schema
from swarmcast.protocol import signaling_schema as schema
from tests.protocol import beacon_vectors

VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "signaling.json"

PARSERS: dict[str, Callable[[object], Any]] = {
    "auth": schema.parse_auth,
    "join": schema.parse_join,
    "signal": schema.parse_signal,
    "report": schema.parse_report,
    "path": schema.parse_path,
    "leave": schema.parse_leave,
    "beacon": beacon_schema.parse_beacon,
}

SDP = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
)
CANDIDATE = "candidate:1 1 udp 2130706431 10.77.0.1 40000 typ host"

VALID: list[tuple[str, str, Any]] = [
    ("auth", "token", {"token": "abc.def"}),
    (
        "join",
        "viewer",
        {
            "stream": "demo",
            "rendition": "720p",
            "capabilities": {"upload_budget_bps": 4_000_000, "seeder": False},
        },
    ),
    (
        "join",
        "seeder asks for more neighbours",
        {
            "stream": "demo",
            "rendition": "360p",
            "capabilities": {"upload_budget_bps": 0, "seeder": True, "max_neighbours": 32},
        },
    ),
    (
        "join",
        "defaults and unknown capability keys ignored",
        {"stream": "demo", "rendition": "720p", "capabilities": {"future": [1, 2]}},
    ),
    (
        "signal",
        "offer",
        {"to": "AbCdEfGh12", "kind": "offer", "data": {"type": "offer", "sdp": SDP}},
    ),
    (
        "signal",
        "answer",
        {"to": "AbCdEfGh12", "kind": "answer", "data": {"type": "answer", "sdp": SDP}},
    ),
    (
        "signal",
        "candidate from a browser",
        {
            "to": "AbCdEfGh12",
            "kind": "candidate",
            "data": {
                "candidate": CANDIDATE,
                "sdpMid": "0",
                "sdpMLineIndex": 0,
                "usernameFragment": "Ab12",
            },
        },
    ),
    (
        "signal",
        "end of candidates",
        {"to": "AbCdEfGh12", "kind": "candidate", "data": {"candidate": ""}},
    ),
    ("report", "bad piece", {"peer_id": "AbCdEfGh12", "reason": "bad-piece", "seq": 42}),
    ("report", "unreachable", {"peer_id": "AbCdEfGh12", "reason": "unreachable"}),
    ("path", "direct", {"peer_id": "AbCdEfGh12", "path": "direct"}),
    ("path", "relay", {"peer_id": "AbCdEfGh12", "path": "relay"}),
    ("leave", "no payload", None),
    ("leave", "empty object", {}),
]

INVALID: list[tuple[str, str, Any, str]] = [
    ("auth", "no auth", None, "missing-token"),
    ("auth", "no token key", {"tok": "x"}, "missing-token"),
    ("auth", "token not a string", {"token": 5}, "token-malformed"),
    ("join", "not an object", ["demo", "720p"], "bad-request"),
    ("join", "missing rendition", {"stream": "demo", "capabilities": {}}, "bad-request"),
    (
        "join",
        "unknown top-level key",
        {"stream": "demo", "rendition": "720p", "capabilities": {}, "x": 1},
        "bad-request",
    ),
    (
        "join",
        "bad stream name",
        {"stream": "../etc", "rendition": "720p", "capabilities": {}},
        "bad-request",
    ),
    (
        "join",
        "negative budget",
        {"stream": "demo", "rendition": "720p", "capabilities": {"upload_budget_bps": -1}},
        "bad-request",
    ),
    (
        "join",
        "budget as float",
        {"stream": "demo", "rendition": "720p", "capabilities": {"upload_budget_bps": 1.5}},
        "bad-request",
    ),
    (
        "join",
        "seeder not boolean",
        {"stream": "demo", "rendition": "720p", "capabilities": {"seeder": 1}},
        "bad-request",
    ),
    (
        "join",
        "max_neighbours 0",
        {"stream": "demo", "rendition": "720p", "capabilities": {"max_neighbours": 0}},
        "bad-request",
    ),
    (
        "join",
        "capabilities not an object",
        {"stream": "demo", "rendition": "720p", "capabilities": "seeder"},
        "bad-request",
    ),
    ("signal", "bad kind", {"to": "AbCdEfGh12", "kind": "bye", "data": {}}, "bad-request"),
    (
        "signal",
        "peer id too short",
        {"to": "abc", "kind": "offer", "data": {"type": "offer", "sdp": SDP}},
        "bad-request",
    ),
    (
        "signal",
        "type differs from kind",
        {"to": "AbCdEfGh12", "kind": "offer", "data": {"type": "answer", "sdp": SDP}},
        "bad-request",
    ),
    (
        "signal",
        "sdp too long",
        {"to": "AbCdEfGh12", "kind": "offer", "data": {"type": "offer", "sdp": "a" * 32769}},
        "bad-request",
    ),
    (
        "signal",
        "candidate too long",
        {"to": "AbCdEfGh12", "kind": "candidate", "data": {"candidate": "c" * 1025}},
        "bad-request",
    ),
    (
        "signal",
        "candidate extra key",
        {"to": "AbCdEfGh12", "kind": "candidate", "data": {"candidate": "", "x": 1}},
        "bad-request",
    ),
    (
        "signal",
        "line index out of range",
        {
            "to": "AbCdEfGh12",
            "kind": "candidate",
            "data": {"candidate": "", "sdpMLineIndex": 256},
        },
        "bad-request",
    ),
    ("signal", "data missing", {"to": "AbCdEfGh12", "kind": "offer"}, "bad-request"),
    ("report", "bad reason", {"peer_id": "AbCdEfGh12", "reason": "rude"}, "bad-request"),
    ("path", "unknown path", {"peer_id": "AbCdEfGh12", "path": "srflx"}, "bad-request"),
    ("path", "extra key", {"peer_id": "AbCdEfGh12", "path": "relay", "ip": "1"}, "bad-request"),
    (
        "report",
        "negative seq",
        {"peer_id": "AbCdEfGh12", "reason": "bad-piece", "seq": -1},
        "bad-request",
    ),
    ("leave", "payload with keys", {"now": True}, "bad-request"),
    ("leave", "string payload", "bye", "bad-request"),
]


def _to_json(result: Any) -> Any:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return json.loads(json.dumps(dataclasses.asdict(result)))
    return result


# Server -> client payloads that clients validate with the parse_* functions below.
SERVER_PARSERS: dict[str, Callable[[object], Any]] = {
    "join_ack": schema.parse_join_ack,
    "neighbours": schema.parse_neighbours_event,
    "signal": schema.parse_relayed_signal,
    "error": schema.parse_error_body,
    "ack": schema.parse_ack,
    "control": beacon_schema.parse_control,
    "beacon_ack": beacon_schema.parse_beacon_ack,
}

NEIGHBOUR = {"peer_id": "AbCdEfGh12", "initiator": True, "seeder": False}
JOIN_ACK = {
    "ok": True,
    "peer_id": "Zyxwvuts98",
    "swarm": "demo/720p",
    "neighbours": [NEIGHBOUR],
    "ice_servers": [
        {"urls": ["stun:127.0.0.1:3478"]},
        {"urls": ["turn:127.0.0.1:3478"], "username": "1700000000:Zyxwvuts98", "credential": "x"},
    ],
    "max_neighbours": 5,
}

SERVER_VALID: list[tuple[str, str, Any]] = [
    ("join_ack", "join ack", JOIN_ACK),
    ("join_ack", "first in swarm", {**JOIN_ACK, "neighbours": [], "ice_servers": []}),
    ("join_ack", "relay-only stream", {**JOIN_ACK, "ice_transport_policy": "relay"}),
    ("join_ack", "crowd figures", {**JOIN_ACK, "swarm_size": 8, "recent_joins": 5}),
    ("join_ack", "alone in the swarm", {**JOIN_ACK, "swarm_size": 1, "recent_joins": 0}),
    (
        "neighbours",
        "add and remove",
        {"swarm": "demo/720p", "add": [NEIGHBOUR], "remove": ["Qwertyui00"]},
    ),
    (
        "signal",
        "relayed offer",
        {"from": "AbCdEfGh12", "kind": "offer", "data": {"type": "offer", "sdp": SDP}},
    ),
    (
        "signal",
        "relayed candidate",
        {
            "from": "AbCdEfGh12",
            "kind": "candidate",
            "data": {"candidate": CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0},
        },
    ),
    ("error", "banned", {"code": "banned", "message": "reported by several peers"}),
    ("ack", "plain ok", {"ok": True}),
]

SERVER_INVALID: list[tuple[str, str, Any, str]] = [
    (
        "ack",
        "failed ack carries the server code",
        {"ok": False, "error": {"code": "not-neighbour", "message": "m"}},
        "not-neighbour",
    ),
    ("ack", "no ok", {"peer_id": "Zyxwvuts98"}, "bad-request"),
    (
        "join_ack",
        "refused join",
        {"ok": False, "error": {"code": "prefix-full", "message": "m"}},
        "prefix-full",
    ),
    (
        "join_ack",
        "missing swarm",
        {k: v for k, v in JOIN_ACK.items() if k != "swarm"},
        "bad-request",
    ),
    (
        "join_ack",
        "bad neighbour id",
        {**JOIN_ACK, "neighbours": [{**NEIGHBOUR, "peer_id": "x"}]},
        "bad-request",
    ),
    (
        "join_ack",
        "unknown ice transport policy",
        {**JOIN_ACK, "ice_transport_policy": "direct"},
        "bad-request",
    ),
    (
        "join_ack",
        "more recent joins than other members",
        {**JOIN_ACK, "swarm_size": 3, "recent_joins": 3},
        "bad-request",
    ),
    ("join_ack", "swarm size without recent joins", {**JOIN_ACK, "swarm_size": 3}, "bad-request"),
    ("join_ack", "empty swarm", {**JOIN_ACK, "swarm_size": 0, "recent_joins": 0}, "bad-request"),
    (
        "neighbours",
        "initiator not boolean",
        {"swarm": "demo/720p", "add": [{**NEIGHBOUR, "initiator": 1}], "remove": []},
        "bad-request",
    ),
    ("neighbours", "bad swarm", {"swarm": "demo", "add": [], "remove": []}, "bad-request"),
    (
        "signal",
        "relayed without from",
        {"kind": "offer", "data": {"type": "offer", "sdp": SDP}},
        "bad-request",
    ),
    ("error", "no code", {"message": "m"}, "bad-request"),
]


def build() -> dict[str, Any]:
    return {
        "description": "swarmcast signaling event payloads (docs/protocol.md section 4)",
        "format": {
            "valid": "parse_<event>(payload) == parsed (the normalized request; for signal, "
            "parsed.data is exactly what the server relays)",
            "invalid": "parse_<event>(payload) is refused with error code `code`",
            "server_valid": "what the server sends (event join_ack = the join ack, ack = any "
            "other ack); clients parse it into `parsed`",
            "server_invalid": "clients refuse it with `code` (a failed ack yields the "
            "server's own error code)",
            "cohort": "protocol.beacon_schema.cohort_bucket(viewer) == bucket (ramp-up, §4.7)",
        },
        "limits": {
            "max_packet_bytes": schema.MAX_PACKET_BYTES,
            "max_sdp_chars": schema.MAX_SDP_CHARS,
            "max_candidate_chars": schema.MAX_CANDIDATE_CHARS,
            "peer_id_pattern": schema.PEER_ID_RE.pattern,
            "name_pattern": schema.NAME_RE.pattern,
        },
        "valid": [
            {
                "event": event,
                "name": name,
                "payload": payload,
                "parsed": _to_json(PARSERS[event](payload)),
            }
            for event, name, payload in VALID + beacon_vectors.BEACON_VALID
        ],
        "invalid": [
            {"event": event, "name": name, "payload": payload, "code": code}
            for event, name, payload, code in INVALID + beacon_vectors.BEACON_INVALID
        ],
        "server_valid": [
            {
                "event": event,
                "name": name,
                "payload": payload,
                "parsed": _to_json(SERVER_PARSERS[event](payload)),
            }
            for event, name, payload in SERVER_VALID + beacon_vectors.CONTROL_VALID
        ],
        "server_invalid": [
            {"event": event, "name": name, "payload": payload, "code": code}
            for event, name, payload, code in SERVER_INVALID + beacon_vectors.CONTROL_INVALID
        ],
        "cohort": beacon_vectors.cohort_vectors(),
    }


def main() -> None:
    VECTORS_PATH.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {VECTORS_PATH}")


if __name__ == "__main__":
    main()
