"""Socket.IO signaling events (docs/protocol.md §4): payload validation and reply builders.

Pure functions: `parse_*` turn the decoded JSON of one event into a typed request or raise
`SchemaError(code, message)`; the builders produce the exact dicts the server sends. Clients
(the Python peer, the browser shim) use the same names and shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

NAMESPACE: Final = "/swarm"
SOCKETIO_PATH: Final = "socket.io"

# Client -> server events.
EVENT_JOIN: Final = "join"
EVENT_SIGNAL: Final = "signal"
EVENT_REPORT: Final = "report"
EVENT_LEAVE: Final = "leave"
EVENT_PATH: Final = "path"
# Server -> client events.
EVENT_NEIGHBOURS: Final = "neighbours"
EVENT_ERROR: Final = "error"
# (EVENT_SIGNAL is also relayed server -> client, with `from` instead of `to`.)

MAX_PACKET_BYTES: Final = 65536  # one Socket.IO packet; Engine.IO drops bigger ones
MAX_SDP_CHARS: Final = 32768
MAX_CANDIDATE_CHARS: Final = 1024
MAX_SDP_MID_CHARS: Final = 64
MAX_UFRAG_CHARS: Final = 256
MAX_UPLOAD_BUDGET_BPS: Final = 10_000_000_000
MAX_SEQ: Final = 0xFFFF_FFFF
MAX_NEIGHBOURS_LIMIT: Final = 64  # a seeder may ask for this many; viewers get the server's K
MAX_SWARM_COUNT: Final = 2**31 - 1  # bound of a join ack's swarm_size (a count, not a limit)
MAX_MESSAGE_CHARS: Final = 200

NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
PEER_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{8,32}")

SignalKind: TypeAlias = Literal["offer", "answer", "candidate"]
ReportReason: TypeAlias = Literal["bad-piece", "protocol-error", "unreachable"]
SIGNAL_KINDS: Final = ("offer", "answer", "candidate")
# RTCConfiguration.iceTransportPolicy told in a join ack: "relay" in a relay-only stream.
IceTransportPolicy: TypeAlias = Literal["all", "relay"]
ICE_TRANSPORT_POLICIES: Final = ("all", "relay")
REPORT_REASONS: Final = ("bad-piece", "protocol-error", "unreachable")
PathKind: TypeAlias = Literal["direct", "relay"]
PATH_KINDS: Final = ("direct", "relay")

# Error codes: in connect refusals (`connect_error`: message = code, data = {code, message}),
# in failed acks ({"ok": false, "error": {code, message}}) and in `error` events.
ERROR_CODES: Final = frozenset(
    {
        "missing-token",  # connect without auth {token}
        "origin-not-allowed",  # connect from a page whose origin signaling does not accept
        "token-malformed",
        "token-bad-mac",
        "token-expired",
        "token-wrong-stream",  # join for a stream the token is not bound to
        "banned",  # reported by several neighbours; refused from the stream for a while
        "bad-request",  # schema validation failed
        "unknown-event",
        "not-joined",  # signal/report/leave before join
        "not-neighbour",  # signal/report to a peer that is not a current neighbour
        "prefix-full",  # too many peers of this network prefix (or address) in the swarm
        "too-many-connections",  # connect: per-token / per-address / per-prefix cap reached
        "unknown-rendition",  # join: the stream has no such rendition (or too many swarms)
        "p2p-off",  # join while the operator's kill switch is on for the stream (§4.7)
        "rate-limited",
        "internal",
    }
)


class SchemaError(ValueError):
    """An event payload that does not match its schema; `code` is an ERROR_CODES member."""

    def __init__(self, message: str, code: str = "bad-request") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Capabilities:
    upload_budget_bps: int  # what the peer is willing to upload; 0 = leech only
    seeder: bool  # an edge seeder: holds every segment, serves many peers
    max_neighbours: int | None  # requested neighbour count (capped by the server)


@dataclass(frozen=True, slots=True)
class JoinRequest:
    stream: str
    rendition: str
    capabilities: Capabilities

    @property
    def swarm(self) -> str:
        return f"{self.stream}/{self.rendition}"


@dataclass(frozen=True, slots=True)
class SignalRequest:
    to: str
    kind: SignalKind
    data: dict[str, Any]  # normalized: only the documented keys


@dataclass(frozen=True, slots=True)
class ReportRequest:
    peer_id: str
    reason: ReportReason
    seq: int | None


@dataclass(frozen=True, slots=True)
class PathReport:
    peer_id: str
    path: PathKind


@dataclass(frozen=True, slots=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            out["username"] = self.username
        if self.credential is not None:
            out["credential"] = self.credential
        return out


@dataclass(frozen=True, slots=True)
class JoinArrivals:
    """How fast the swarm is filling, as a join ack tells it (§4.2): its members with the
    joiner, and how many of the others joined within signaling's `recent_join_window_s`. A
    newcomer that sees a crowd arriving starts from the swarm rather than the origin."""

    swarm_size: int
    recent_joins: int


@dataclass(frozen=True, slots=True)
class NeighbourEntry:
    peer_id: str
    initiator: bool  # True: the receiver of this entry sends the offer
    seeder: bool

    def to_json(self) -> dict[str, Any]:
        return {"peer_id": self.peer_id, "initiator": self.initiator, "seeder": self.seeder}


def _object(data: object, what: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SchemaError(f"{what} must be a JSON object")
    missing = required - data.keys()
    if missing:
        raise SchemaError(f"{what}: missing {', '.join(sorted(missing))}")
    unknown = data.keys() - required - optional
    if unknown:
        shown = ", ".join(sorted(str(key)[:32] for key in unknown)[:5])
        raise SchemaError(f"{what}: unknown keys {shown}")
    return data


def _string(value: object, what: str, pattern: re.Pattern[str] | None, max_chars: int) -> str:
    if not isinstance(value, str):
        raise SchemaError(f"{what} must be a string")
    if len(value) > max_chars:
        raise SchemaError(f"{what} longer than {max_chars} characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise SchemaError(f"{what} has an invalid format")
    return value


def _int(value: object, what: str, minimum: int, maximum: int) -> int:
    if type(value) is not int or not minimum <= value <= maximum:
        raise SchemaError(f"{what} must be an integer in {minimum}..{maximum}")
    return value


def _optional_string(value: object, what: str, max_chars: int) -> str | None:
    return None if value is None else _string(value, what, None, max_chars)


def parse_auth(auth: object) -> str:
    """The token from the connect `auth` payload `{token}`."""
    if not isinstance(auth, dict) or "token" not in auth:
        raise SchemaError("connect with auth {token}", code="missing-token")
    token = auth["token"]
    if not isinstance(token, str) or not token:
        raise SchemaError("auth token must be a non-empty string", code="token-malformed")
    return token


def parse_join(data: object) -> JoinRequest:
    """`join {stream, rendition, capabilities: {upload_budget_bps, seeder, max_neighbours?}}`.

    Unknown capability keys are ignored, so clients may announce new ones before servers
    understand them; every other object is strict."""
    obj = _object(data, "join", {"stream", "rendition", "capabilities"}, set())
    caps = obj["capabilities"]
    if not isinstance(caps, dict):
        raise SchemaError("join.capabilities must be a JSON object")
    budget = _int(caps.get("upload_budget_bps", 0), "upload_budget_bps", 0, MAX_UPLOAD_BUDGET_BPS)
    seeder = caps.get("seeder", False)
    if not isinstance(seeder, bool):
        raise SchemaError("capabilities.seeder must be a boolean")
    max_neighbours = caps.get("max_neighbours")
    if max_neighbours is not None:
        max_neighbours = _int(max_neighbours, "max_neighbours", 1, MAX_NEIGHBOURS_LIMIT)
    return JoinRequest(
        stream=_string(obj["stream"], "stream", NAME_RE, 64),
        rendition=_string(obj["rendition"], "rendition", NAME_RE, 64),
        capabilities=Capabilities(budget, seeder, max_neighbours),
    )


def parse_signal(data: object) -> SignalRequest:
    """`signal {to, kind, data}`: data is an RTCSessionDescriptionInit for offer/answer
    (`{type, sdp}`, type == kind) or an RTCIceCandidateInit for candidate (`{candidate,
    sdpMid?, sdpMLineIndex?, usernameFragment?}`; candidate "" marks the end of candidates)."""
    obj = _object(data, "signal", {"to", "kind", "data"}, set())
    to = _string(obj["to"], "signal.to", PEER_ID_RE, 32)
    kind = obj["kind"]
    if kind not in SIGNAL_KINDS:
        raise SchemaError(f"signal.kind must be one of {', '.join(SIGNAL_KINDS)}")
    payload = obj["data"]
    normalized: dict[str, Any]
    if kind in ("offer", "answer"):
        description = _object(payload, "signal.data", {"type", "sdp"}, set())
        if description["type"] != kind:
            raise SchemaError("signal.data.type must equal signal.kind")
        sdp = _string(description["sdp"], "signal.data.sdp", None, MAX_SDP_CHARS)
        normalized = {"type": kind, "sdp": sdp}
    else:
        candidate = _object(
            payload, "signal.data", {"candidate"}, {"sdpMid", "sdpMLineIndex", "usernameFragment"}
        )
        line_index = candidate.get("sdpMLineIndex")
        normalized = {
            "candidate": _string(
                candidate["candidate"], "signal.data.candidate", None, MAX_CANDIDATE_CHARS
            ),
            "sdpMid": _optional_string(candidate.get("sdpMid"), "sdpMid", MAX_SDP_MID_CHARS),
            "sdpMLineIndex": None
            if line_index is None
            else _int(line_index, "sdpMLineIndex", 0, 255),
        }
        ufrag = candidate.get("usernameFragment")
        if ufrag is not None:
            normalized["usernameFragment"] = _string(
                ufrag, "usernameFragment", None, MAX_UFRAG_CHARS
            )
    return SignalRequest(to=to, kind=kind, data=normalized)


def parse_report(data: object) -> ReportRequest:
    """`report {peer_id, reason, seq?}`: a neighbour misbehaved (bad-piece, protocol-error) or
    could not be reached (unreachable: no blame, just a replacement)."""
    obj = _object(data, "report", {"peer_id", "reason"}, {"seq"})
    reason = obj["reason"]
    if reason not in REPORT_REASONS:
        raise SchemaError(f"report.reason must be one of {', '.join(REPORT_REASONS)}")
    seq = obj.get("seq")
    return ReportRequest(
        peer_id=_string(obj["peer_id"], "report.peer_id", PEER_ID_RE, 32),
        reason=reason,
        seq=None if seq is None else _int(seq, "report.seq", 0, MAX_SEQ),
    )


def parse_path(data: object) -> PathReport:
    """`path {peer_id, path}`: the link to a neighbour opened over a direct candidate pair
    (host/srflx/prflx at both ends) or through a TURN relay (matching learns reachability)."""
    obj = _object(data, "path", {"peer_id", "path"}, set())
    if obj["path"] not in PATH_KINDS:
        raise SchemaError(f"path.path must be one of {', '.join(PATH_KINDS)}")
    return PathReport(_string(obj["peer_id"], "path.peer_id", PEER_ID_RE, 32), obj["path"])


def parse_leave(data: object) -> None:
    """`leave` with no payload or `{}`."""
    if data is not None:
        _object(data, "leave", set(), set())


def error_body(code: str, message: str) -> dict[str, str]:
    """`{code, message}`: the body of failed acks, `error` events and connect refusals."""
    return {"code": code, "message": message[:MAX_MESSAGE_CHARS]}


def error_ack(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": error_body(code, message)}


def ok_ack(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def join_ack(
    peer_id: str,
    swarm: str,
    neighbours: list[NeighbourEntry],
    ice_servers: tuple[IceServer, ...] | list[IceServer],
    max_neighbours: int,
    ice_transport_policy: IceTransportPolicy = "all",
    arrivals: JoinArrivals | None = None,
) -> dict[str, Any]:
    """`ice_transport_policy` is sent only when "relay" (a relay-only stream, §4.3);
    `swarm_size`/`recent_joins` when signaling counted them (`arrivals`, §4.2)."""
    extra: dict[str, Any] = {}
    if ice_transport_policy != "all":
        extra["ice_transport_policy"] = ice_transport_policy
    if arrivals is not None:
        extra["swarm_size"] = arrivals.swarm_size
        extra["recent_joins"] = arrivals.recent_joins
    return ok_ack(
        peer_id=peer_id,
        swarm=swarm,
        neighbours=[entry.to_json() for entry in neighbours],
        ice_servers=[server.to_json() for server in ice_servers],
        max_neighbours=max_neighbours,
        **extra,
    )


def neighbours_event(swarm: str, add: list[NeighbourEntry], remove: list[str]) -> dict[str, Any]:
    return {"swarm": swarm, "add": [entry.to_json() for entry in add], "remove": remove}


def relayed_signal(from_peer: str, request: SignalRequest) -> dict[str, Any]:
    return {"from": from_peer, "kind": request.kind, "data": request.data}


# -- server -> client payloads, validated by clients (the Python peer; the shim mirrors them) --


@dataclass(frozen=True, slots=True)
class JoinAck:
    peer_id: str
    swarm: str
    neighbours: tuple[NeighbourEntry, ...]
    ice_servers: tuple[IceServer, ...]
    max_neighbours: int
    ice_transport_policy: IceTransportPolicy = "all"
    arrivals: JoinArrivals | None = None


@dataclass(frozen=True, slots=True)
class NeighboursUpdate:
    swarm: str
    add: tuple[NeighbourEntry, ...]
    remove: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RelayedSignal:
    from_peer: str
    kind: SignalKind
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ErrorBody:
    code: str
    message: str


_SWARM_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}/[A-Za-z0-9_-]{1,64}")
MAX_LIST_ITEMS: Final = 256


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
        raise SchemaError(f"{what} must be a list of at most {MAX_LIST_ITEMS} items")
    return value


def _bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise SchemaError(f"{what} must be a boolean")
    return value


def _neighbour(value: object) -> NeighbourEntry:
    obj = _object(value, "neighbour", {"peer_id", "initiator", "seeder"}, set())
    return NeighbourEntry(
        _string(obj["peer_id"], "neighbour.peer_id", PEER_ID_RE, 32),
        _bool(obj["initiator"], "neighbour.initiator"),
        _bool(obj["seeder"], "neighbour.seeder"),
    )


def _ice_server(value: object) -> IceServer:
    obj = _object(value, "ice server", {"urls"}, {"username", "credential"})
    urls = tuple(_string(url, "ice url", None, 512) for url in _list(obj["urls"], "urls"))
    return IceServer(
        urls,
        _optional_string(obj.get("username"), "username", 512),
        _optional_string(obj.get("credential"), "credential", 512),
    )


def parse_error_body(data: object) -> ErrorBody:
    """`{code, message}` of a failed ack, an `error` event or a connect refusal's data."""
    obj = _object(data, "error", {"code", "message"}, set())
    return ErrorBody(
        _string(obj["code"], "error.code", None, 64),
        _string(obj["message"], "error.message", None, 1024),
    )


def parse_ack(data: object) -> dict[str, Any]:
    """The fields of an ok ack, or SchemaError(code) carrying the server's error code."""
    if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
        raise SchemaError("ack must be an object with a boolean ok")
    if not data["ok"]:
        error = parse_error_body(data.get("error"))
        raise SchemaError(error.message, code=error.code)
    return {key: value for key, value in data.items() if key != "ok"}


def parse_join_ack(data: object) -> JoinAck:
    fields = parse_ack(data)
    obj = _object(
        fields,
        "join ack",
        {"peer_id", "swarm", "neighbours", "ice_servers", "max_neighbours"},
        {"ice_transport_policy", "swarm_size", "recent_joins"},
    )
    policy = obj.get("ice_transport_policy", "all")
    if policy not in ICE_TRANSPORT_POLICIES:
        raise SchemaError("ice_transport_policy must be all or relay")
    arrivals = None
    if "swarm_size" in obj or "recent_joins" in obj:
        size = _int(obj.get("swarm_size"), "swarm_size", 1, MAX_SWARM_COUNT)
        arrivals = JoinArrivals(size, _int(obj.get("recent_joins"), "recent_joins", 0, size - 1))
    return JoinAck(
        peer_id=_string(obj["peer_id"], "peer_id", PEER_ID_RE, 32),
        swarm=_string(obj["swarm"], "swarm", _SWARM_RE, 129),
        neighbours=tuple(_neighbour(n) for n in _list(obj["neighbours"], "neighbours")),
        ice_servers=tuple(_ice_server(s) for s in _list(obj["ice_servers"], "ice_servers")),
        max_neighbours=_int(obj["max_neighbours"], "max_neighbours", 1, MAX_NEIGHBOURS_LIMIT),
        ice_transport_policy=policy,
        arrivals=arrivals,
    )


def parse_neighbours_event(data: object) -> NeighboursUpdate:
    obj = _object(data, "neighbours", {"swarm", "add", "remove"}, set())
    return NeighboursUpdate(
        swarm=_string(obj["swarm"], "swarm", _SWARM_RE, 129),
        add=tuple(_neighbour(n) for n in _list(obj["add"], "add")),
        remove=tuple(
            _string(p, "removed peer_id", PEER_ID_RE, 32) for p in _list(obj["remove"], "remove")
        ),
    )


def parse_relayed_signal(data: object) -> RelayedSignal:
    """`signal {from, kind, data}` as relayed by the server (data checked like a request's)."""
    obj = _object(data, "relayed signal", {"from", "kind", "data"}, set())
    request = parse_signal({"to": obj["from"], "kind": obj["kind"], "data": obj["data"]})
    return RelayedSignal(from_peer=request.to, kind=request.kind, data=request.data)
