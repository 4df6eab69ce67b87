"""peer/channel_window.py: the shared cases (tests/vectors/channel_window.json, also run by
vitest against player-shim/src/p2p/channel_window.ts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swarmcast.peer.channel_window import ChannelWindow, ChannelWindowConfig

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "channel_window.json").read_text()
)


def test_vector_config_is_the_default() -> None:
    cfg = ChannelWindowConfig()
    assert VECTORS["config"] == {
        "min_bytes": cfg.min_bytes,
        "max_bytes": cfg.max_bytes,
        "buffer_s": cfg.buffer_s,
        "sample_s": cfg.sample_s,
    }


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"][:60])
def test_channel_window_vectors(case: dict[str, object]) -> None:
    window = ChannelWindow()
    for step in case["steps"]:  # type: ignore[attr-defined]
        window.observe(step["at"], step["drained"], step["backlogged"])
        assert window.high_water == step["high_water"], step
        assert window.low_water == step["high_water"] // 2


def test_a_window_without_a_positive_range_is_refused() -> None:
    with pytest.raises(ValueError):
        ChannelWindowConfig(min_bytes=0)
    with pytest.raises(ValueError):
        ChannelWindowConfig(max_bytes=1000)
    with pytest.raises(ValueError):
        ChannelWindowConfig(buffer_s=0)
