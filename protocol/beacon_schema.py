"""Operator-plane signaling events (docs/protocol.md §4.7): QoE/P2P beacons from viewers and
per-stream control pushed to them. Pure, like `signaling_schema` (whose helpers it reuses).

`parse_beacon` is the server's check of a client's `beacon`; `parse_control` is the clients'
check of a `control` payload (pushed, and in every beacon ack). `cohort_bucket` is the stable
per-viewer ramp-up bucket both clients compute the same way (pinned in tests/vectors).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal, TypeAlias

from swarmcast.protocol.signaling_schema import (
    NAME_RE,
    SchemaError,
    _bool,
    _int,
    _object,
    _string,
    parse_ack,
)

EVENT_BEACON: Final = "beacon"  # client -> server, ack {control}
EVENT_CONTROL: Final = "control"  # server -> client

P2PMode: TypeAlias = Literal["on", "off", "shadow"]
P2P_MODES: Final = ("on", "off", "shadow")
REASON_RE: Final = re.compile(r"[a-z0-9-]{1,40}")
MAX_COUNTER: Final = 2**53 - 1  # JSON numbers stay exact in JavaScript up to here
MAX_MS: Final = 7 * 86_400_000
MAX_PEERS: Final = 1024
PAIR_TYPES: Final = ("host", "srflx", "prflx", "relay")
COHORT_BUCKETS: Final = 10_000
MAX_HAVE: Final = 16  # complete segments near the live edge a beacon may list
MAX_BPS: Final = 10_000_000_000

# Why P2P is off (or not helping) for a viewer: the plain reasons of docs/operator.md.
REASONS: Final = (
    "page-opt-out",  # the page turned P2P off (`?p2p=0`)
    "insecure-context",  # no crypto.subtle: peers' pieces cannot be verified
    "signaling-refused",  # connect/join refused (token, prefix-full, ...)
    "signaling-unreachable",
    "banned",  # reported by several neighbours
    "operator-off",  # the operator's kill switch
    "ramp-cohort",  # not in the ramp-up's x % of viewers
    "shadow",  # shadow mode: peers connect, every byte still from the origin
    "no-ice-candidates",  # the browser gathered no ICE candidate
    "all-connections-failed",  # every neighbour connection attempt failed
    "no-neighbours",  # joined, but nobody else watches this rendition
)


@dataclass(frozen=True, slots=True)
class Beacon:
    """One viewer's QoE and P2P counters, cumulative since its page started."""

    seq: int
    rendition: str | None
    p2p: P2PMode
    reason: str | None
    ttff_ms: int | None
    stalls: int
    stall_ms: int
    watch_ms: int  # since the first frame (rebuffer ratio = stall_ms / watch_ms)
    http_bytes: int
    p2p_bytes: int
    upload_bytes: int
    shadow_saved_bytes: int
    verify_failures: int
    peers: int
    conn_attempts: int
    conn_successes: int
    pairs: dict[str, int]
    latency_ms: int | None
    have: tuple[int, ...] = ()  # newest complete segments held (rarest-segment view)
    # What the viewer can upload (bits/s): 0 when it uploads nothing, its cap or set budget,
    # else its capacity measured while backlogged (peer/uplink_meter.py); None: unknown. Sums
    # into the upload bound; signaling's matcher ranks by it.
    upload_capacity_bps: int | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["have"] = list(self.have)
        return out


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    cap_bps: int | None  # per-viewer upload cap (bits/s); None: no cap
    save_data: bool  # True: no upload on `saveData`/metered connections
    background_percent: int  # upload budget in a background tab, % of the foreground one

    def to_json(self) -> dict[str, Any]:
        return {
            "cap_bps": self.cap_bps,
            "save_data": self.save_data,
            "background_percent": self.background_percent,
        }


DEFAULT_UPLOAD_POLICY: Final = UploadPolicy(cap_bps=None, save_data=True, background_percent=50)


@dataclass(frozen=True, slots=True)
class Control:
    """The operator's switches for one stream (docs/operator.md)."""

    stream: str
    version: int
    p2p: bool = True  # False: the kill switch, every viewer on the origin
    ramp_percent: int = 100  # viewers whose cohort bucket is below this % use P2P
    shadow: bool = False  # peers connect and measure; every byte from the origin
    upload: UploadPolicy = DEFAULT_UPLOAD_POLICY

    def to_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "version": self.version,
            "p2p": self.p2p,
            "ramp_percent": self.ramp_percent,
            "shadow": self.shadow,
            "upload": self.upload.to_json(),
        }


def _optional_int(value: object, what: str, maximum: int) -> int | None:
    return None if value is None else _int(value, what, 0, maximum)


def parse_beacon(data: object) -> Beacon:
    """`beacon {seq, rendition, p2p, reason, ttff_ms, stalls, ..., pairs?, latency_ms, have?,
    upload_capacity_bps?}`."""
    counters = (
        "stalls",
        "stall_ms",
        "watch_ms",
        "http_bytes",
        "p2p_bytes",
        "upload_bytes",
        "shadow_saved_bytes",
        "verify_failures",
        "conn_attempts",
        "conn_successes",
    )
    nullable = ("rendition", "reason", "ttff_ms", "latency_ms")
    optional = {"pairs", "have", "upload_capacity_bps"}
    obj = _object(data, "beacon", {"seq", "p2p", "peers", *counters, *nullable}, optional)
    mode = obj["p2p"]
    if mode not in P2P_MODES:
        raise SchemaError(f"beacon.p2p must be one of {', '.join(P2P_MODES)}")
    rendition = obj["rendition"]
    reason = obj["reason"]
    pairs_obj = _object(obj.get("pairs", {}), "beacon.pairs", set(), set(PAIR_TYPES))
    values = {name: _int(obj[name], f"beacon.{name}", 0, MAX_COUNTER) for name in counters}
    have = obj.get("have", [])
    if not isinstance(have, list) or len(have) > MAX_HAVE:
        raise SchemaError(f"beacon.have must be a list of at most {MAX_HAVE} sequence numbers")
    return Beacon(
        seq=_int(obj["seq"], "beacon.seq", 0, MAX_COUNTER),
        rendition=None if rendition is None else _string(rendition, "rendition", NAME_RE, 64),
        p2p=mode,
        reason=None if reason is None else _string(reason, "beacon.reason", REASON_RE, 40),
        ttff_ms=_optional_int(obj["ttff_ms"], "beacon.ttff_ms", MAX_MS),
        peers=_int(obj["peers"], "beacon.peers", 0, MAX_PEERS),
        pairs={
            kind: _int(pairs_obj.get(kind, 0), f"pairs.{kind}", 0, MAX_COUNTER)
            for kind in PAIR_TYPES
        },
        latency_ms=_optional_int(obj["latency_ms"], "beacon.latency_ms", MAX_MS),
        have=tuple(_int(seq, "beacon.have item", 0, MAX_COUNTER) for seq in have),
        upload_capacity_bps=_optional_int(
            obj.get("upload_capacity_bps"), "beacon.upload_capacity_bps", MAX_BPS
        ),
        **values,
    )


def _upload(value: object) -> UploadPolicy:
    obj = _object(value, "control.upload", {"cap_bps", "save_data", "background_percent"}, set())
    cap = obj["cap_bps"]
    return UploadPolicy(
        cap_bps=_optional_int(cap, "upload.cap_bps", MAX_BPS),
        save_data=_bool(obj["save_data"], "upload.save_data"),
        background_percent=_int(obj["background_percent"], "upload.background_percent", 0, 100),
    )


def parse_control(data: object) -> Control:
    """`control {stream, version, p2p, ramp_percent, shadow, upload}` (event or beacon ack's)."""
    obj = _object(
        data, "control", {"stream", "version", "p2p", "ramp_percent", "shadow", "upload"}, set()
    )
    return Control(
        stream=_string(obj["stream"], "control.stream", NAME_RE, 64),
        version=_int(obj["version"], "control.version", 0, MAX_COUNTER),
        p2p=_bool(obj["p2p"], "control.p2p"),
        ramp_percent=_int(obj["ramp_percent"], "control.ramp_percent", 0, 100),
        shadow=_bool(obj["shadow"], "control.shadow"),
        upload=_upload(obj["upload"]),
    )


def parse_beacon_ack(data: object) -> Control:
    """The ok ack of a beacon: `{ok: true, control}`."""
    fields = _object(parse_ack(data), "beacon ack", {"control"}, set())
    return parse_control(fields["control"])


def beacon_ack(control: Control) -> dict[str, Any]:
    return {"ok": True, "control": control.to_json()}


def cohort_bucket(viewer_key: str) -> int:
    """A viewer's stable ramp-up bucket in 0..9999: FNV-1a (32 bit) of its UTF-8 key."""
    value = 0x811C9DC5
    for byte in viewer_key.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value % COHORT_BUCKETS


def in_ramp(viewer_key: str, ramp_percent: int) -> bool:
    """Whether this viewer is among the `ramp_percent` % that use P2P (same set as it grows)."""
    return cohort_bucket(viewer_key) < ramp_percent * (COHORT_BUCKETS // 100)


def effective_mode(
    control: Control, viewer_key: str, page_allows: bool
) -> tuple[P2PMode, str | None]:
    """What one viewer does under `control`, and the reason when P2P is not on. The page can
    opt out, never opt in against the operator."""
    if not page_allows:
        return "off", "page-opt-out"
    if not control.p2p:
        return "off", "operator-off"
    if not in_ramp(viewer_key, control.ramp_percent):
        return "off", "ramp-cohort"
    if control.shadow:
        return "shadow", "shadow"
    return "on", None
