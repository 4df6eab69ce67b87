"""Runs `tests/vectors/scheduler/*.json` scenarios of kind "script" against the Python
scheduler. The format is documented in tests/vectors/scheduler/README.md; the TypeScript port
runs the same files with its own runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.peer.scheduler_config import SchedulerConfig

Json = dict[str, Any]


class ScenarioFailure(AssertionError):
    pass


def make_scheduler(scenario: Json, node_id: str | None = None) -> PieceScheduler:
    config = SchedulerConfig().with_overrides(scenario.get("config", {}))
    return PieceScheduler(
        config,
        node_id or scenario.get("local_peer_id", "me"),
        float(scenario.get("start", 0.0)),
        seeder=bool(scenario.get("seeder", False)),
    )


def apply_event(sched: PieceScheduler, now: float, event: Json) -> None:
    """Feed one JSON event (`{"event": name, ...fields}`) to the scheduler at `now`."""
    name = event["event"]
    handler = _EVENTS.get(name)
    if handler is None:
        raise ScenarioFailure(f"unknown event {name!r}")
    handler(sched, now, event)


def _pieces(method: str) -> Callable[[PieceScheduler, float, Json], None]:
    """`pieces_received` / `http_pieces_received`: one event per piece of a range."""

    def run(s: PieceScheduler, now: float, e: Json) -> None:
        for index in range(e["first_piece"], e["first_piece"] + e["piece_count"]):
            if method == "peer":
                s.piece_received(now, e["peer"], e["request_id"], e["seq"], index, True)
            else:
                s.http_piece_received(now, e["fetch_id"], e["seq"], index, True)

    return run


_EVENTS: dict[str, Callable[[PieceScheduler, float, Json], None]] = {
    "peer_connected": lambda s, now, e: s.peer_connected(
        now,
        e["peer"],
        capabilities=e.get("capabilities", 1),
        max_pieces_per_request=e.get("max_pieces_per_request", 16),
    ),
    "peer_closed": lambda s, now, e: s.peer_closed(now, e["peer"]),
    "peer_have": lambda s, now, e: s.peer_have(now, e["peer"], list(e["seqs"])),
    "peer_have_delta": lambda s, now, e: s.peer_have_delta(now, e["peer"], e["seq"]),
    "peer_have_pieces": lambda s, now, e: s.peer_have_pieces(
        now, e["peer"], e["seq"], list(e["pieces"]), e.get("origin_rate", 0)
    ),
    "peer_choked": lambda s, now, e: s.peer_choked(now, e["peer"], e["choked"]),
    "set_swarm_size": lambda s, now, e: s.set_swarm_size(now, e["size"]),
    "set_connecting_peers": lambda s, now, e: s.set_connecting_peers(now, e["count"]),
    "segment_added": lambda s, now, e: s.segment_added(
        now,
        e["seq"],
        size=e["size"],
        piece_size=e["piece_size"],
        start=e["start"],
        duration=e["duration"],
        live_edge=e.get("live_edge", False),
    ),
    "segment_removed": lambda s, now, e: s.segment_removed(now, e["seq"]),
    "set_playhead": lambda s, now, e: s.set_playhead(now, e["position"], e["playing"]),
    "piece_received": lambda s, now, e: s.piece_received(
        now, e["peer"], e["request_id"], e["seq"], e["index"], e.get("valid", True)
    ),
    "pieces_received": _pieces("peer"),
    "request_rejected": lambda s, now, e: s.request_rejected(
        now, e["peer"], e["request_id"], e["reason"]
    ),
    "http_piece_received": lambda s, now, e: s.http_piece_received(
        now, e["fetch_id"], e["seq"], e["index"], e.get("valid", True)
    ),
    "http_pieces_received": _pieces("http"),
    "http_failed": lambda s, now, e: s.http_failed(now, e["fetch_id"]),
    "upload_request": lambda s, now, e: s.upload_request(
        now, e["peer"], e["request_id"], e["seq"], e["first_piece"], e["piece_count"]
    ),
    "upload_cancel": lambda s, now, e: s.upload_cancel(now, e["peer"], e["request_id"]),
    "set_upload_limits": lambda s, now, e: s.set_upload_limits(
        now, e["rate_bytes_per_s"], e["slots"]
    ),
    "set_measured_uplink": lambda s, now, e: s.set_measured_uplink(now, e["rate_bytes_per_s"]),
    "seed_http_rate": lambda s, now, e: s.clock.seed_http_rate(
        e["rate_bytes_per_s"], e.get("measured_at")
    ),
    "player_load": lambda s, now, e: s.player_load(
        now, e["seq"], start=e["start"], duration=e["duration"], size=e.get("size", 0)
    ),
    "player_load_ended": lambda s, now, e: s.player_load_ended(now, e["seq"]),
}


def advance(sched: PieceScheduler, to: float, log: list[Json]) -> None:
    """Fire every timer due at or before `to`, in order, collecting the actions."""
    for _ in range(100_000):
        when = sched.next_timer()
        if when is None or when > to:
            return
        sched.handle_timer(when)
        log.extend({**a.to_json(), "at": when} for a in sched.pop_actions())
    raise ScenarioFailure("timers do not converge")


class _Bindings:
    """`"$name"` values in patterns bind on first use and must match afterwards."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def substitute(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$"):
            if value not in self.values:
                raise ScenarioFailure(f"unbound variable {value}")
            return self.values[value]
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        return value

    def matches(self, pattern: Json, action: Json, bind: bool) -> bool:
        new: dict[str, Any] = {}
        for key, want in pattern.items():
            if key == "at_max" or key == "at_min":
                late = action["at"] > want if key == "at_max" else action["at"] < want
                if late:
                    return False
                continue
            if key not in action:
                return False
            got = action[key]
            if isinstance(want, str) and want.startswith("$"):
                known = self.values.get(want, new.get(want))
                if known is None:
                    new[want] = got
                elif known != got:
                    return False
            elif want != got:
                return False
        if bind:
            self.values.update(new)
        return True


def run_script(scenario: Json) -> None:
    """Run a "script" scenario; raise ScenarioFailure with context on the first mismatch."""
    sched = make_scheduler(scenario)
    bindings = _Bindings()
    log: list[Json] = []
    now = float(scenario.get("start", 0.0))
    for number, step in enumerate(scenario["steps"]):
        at = float(step.get("at", now))
        if at < now:
            raise ScenarioFailure(f"step {number}: time goes backwards")
        if not step.get("before_timers", False):
            advance(sched, at, log)
        now = at
        try:
            if "event" in step:
                event = {k: bindings.substitute(v) for k, v in step.items()}
                apply_event(sched, now, event)
                log.extend({**a.to_json(), "at": now} for a in sched.pop_actions())
            if "expect" in step:
                _check(step["expect"], log, sched, bindings)
                log.clear()
        except ScenarioFailure as exc:
            raise ScenarioFailure(
                f"{scenario['name']}: step {number} at t={now}: {exc}\nactions: {log}"
            ) from None


def _check(expect: Json, log: list[Json], sched: PieceScheduler, bindings: _Bindings) -> None:
    if "actions" in expect:
        patterns = expect["actions"]
        if len(patterns) != len(log):
            raise ScenarioFailure(f"expected {len(patterns)} actions, got {len(log)}")
        for pattern, action in zip(patterns, log, strict=True):
            if not bindings.matches(pattern, action, bind=True):
                raise ScenarioFailure(f"{action} does not match {pattern}")
    for pattern in expect.get("contains", []):
        if not any(bindings.matches(pattern, a, bind=False) for a in log):
            raise ScenarioFailure(f"no action matches {pattern}")
        next(a for a in log if bindings.matches(pattern, a, bind=True))
    for pattern in expect.get("absent", []):
        hit = [a for a in log if bindings.matches(pattern, a, bind=False)]
        if hit:
            raise ScenarioFailure(f"unexpected {hit[0]} (matches {pattern})")
    stats = sched.stats.to_json()
    for key, want in expect.get("stats", {}).items():
        if stats.get(key) != want:
            raise ScenarioFailure(f"stats.{key} = {stats.get(key)}, expected {want}")
    if "next_timer" in expect:
        got = sched.next_timer()
        want = expect["next_timer"]
        if (got is None) != (want is None) or (
            got is not None and want is not None and abs(got - want) > 1e-9
        ):
            raise ScenarioFailure(f"next_timer = {got}, expected {want}")
