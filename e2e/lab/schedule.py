"""Who joins and leaves when, planned up front from a phase spec and a seed (pure, no I/O).

Viewers sit on host slots: a slot is a viewer host namespace, reused by a new viewer after the
previous one left (a churned-in viewer arrives from a network that had a viewer before).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from swarmcast.e2e.lab.config import PhaseSpec

Action = Literal["join", "leave"]
Kind = Literal["browser", "python"]


@dataclass(frozen=True)
class ViewerEvent:
    at_s: float  # seconds after the phase starts
    action: Action
    viewer: str  # unique within the run, e.g. "p2p-b03"
    kind: Kind
    slot: int  # index into the run's viewer hosts of that kind


def plan_phase(phase: PhaseSpec, seed: int) -> list[ViewerEvent]:
    """Joins (staggered or random), churn leaves/joins, in time order. Final leaves are implicit."""
    rng = random.Random(f"{seed}/{phase.name}")
    events: list[ViewerEvent] = []
    counter = {"browser": 0, "python": 0}

    def new_id(kind: Kind) -> str:
        counter[kind] += 1
        return f"{phase.name}-{kind[0]}{counter[kind]:02d}"

    browser_joins = _join_times(phase.viewers, phase.join_window_s, phase.random_joins, rng)
    for slot, at in enumerate(browser_joins):
        events.append(ViewerEvent(at, "join", new_id("browser"), "browser", slot))
    peer_joins = _join_times(phase.python_peers, phase.peer_join_window_s, False, rng)
    for slot, at in enumerate(peer_joins):
        events.append(ViewerEvent(at, "join", new_id("python"), "python", slot))

    if phase.churn_every_s:
        present = {e.slot: e.viewer for e in events if e.kind == "browser"}
        leaving_count = max(1, round(phase.viewers * phase.churn_fraction))
        at = phase.join_window_s + phase.churn_every_s
        # No churn in the last 20 s: a joiner needs time to start before the phase ends.
        while at <= phase.duration_s - 20:
            for slot in sorted(rng.sample(sorted(present), leaving_count)):
                events.append(ViewerEvent(at, "leave", present[slot], "browser", slot))
                viewer = new_id("browser")
                # The replacement joins a moment later, as a new page would.
                events.append(ViewerEvent(at + 1.0, "join", viewer, "browser", slot))
                present[slot] = viewer
            at += phase.churn_every_s
    events.sort(key=lambda e: (e.at_s, e.action != "leave", e.viewer))
    return events


def slots_needed(phase: PhaseSpec, kind: Kind) -> int:
    """Host slots a phase uses at most (churn reuses slots, so the audience size)."""
    return phase.viewers if kind == "browser" else phase.python_peers


def _join_times(count: int, window_s: float, randomly: bool, rng: random.Random) -> list[float]:
    if count <= 0:
        return []
    if randomly:
        return sorted(round(rng.uniform(0.0, window_s), 3) for _ in range(count))
    step = window_s / count
    return [round(i * step, 3) for i in range(count)]
