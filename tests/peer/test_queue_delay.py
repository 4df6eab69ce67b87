"""peer/queue_delay.py: the shared cases (tests/vectors/queue_delay.json, also run by vitest
against player-shim/src/p2p/queue_delay.ts) and the config's checks."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from swarmcast.peer.queue_delay import QueueDelay, QueueDelayConfig, RoundTrips

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "queue_delay.json").read_text()
)


def test_vector_config_is_the_default() -> None:
    cfg = QueueDelayConfig()
    assert VECTORS["config"] == {
        "base_window_s": cfg.base_window_s,
        "recent_s": cfg.recent_s,
        "threshold_s": cfg.threshold_s,
        "min_samples": cfg.min_samples,
    }


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"][:60])
def test_queue_delay_vectors(case: dict[str, Any]) -> None:
    delay = QueueDelay()
    for step in case["steps"]:
        at = step["at"]
        if "observe" in step:
            delay.observe(at, [(link, RoundTrips(t, r)) for link, t, r in step["observe"]])
        elif "retain" in step:
            delay.retain(step["retain"])
        else:
            excess = delay.excess_s(at)
            if step["expect_excess_s"] is None:
                assert excess is None, step
            else:
                assert excess is not None, step
                assert math.isclose(excess, step["expect_excess_s"], abs_tol=1e-6), step
            assert delay.queueing(at) is step["expect_queueing"], step


@pytest.mark.parametrize("kwargs", [{"recent_s": 0.0}, {"base_window_s": 5.0}, {"min_samples": 0}])
def test_config_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        QueueDelayConfig(**kwargs)  # type: ignore[arg-type]
