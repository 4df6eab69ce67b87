"""The shared scheduler config (peer/scheduler_config.py, also the browser shim's) fitted to
what the Python peer's own transport does, so that neither turns into an HTTP fetch or a
stall (issue 12):

- A relayed link opens `RELAY_HOLD_S` later than the ICE checks alone would open it (the peer
  holds remote relay candidates back so direct checks win; peer/relay_hold.py). A newcomer
  behind a symmetric or carrier-grade NAT, whose links all need the relay, would otherwise stop
  waiting for its connecting neighbours (`connect_wait_s`) before any of them opened and take
  its first segments from the origin: the wait starts after the hold.
- aiortc's SCTP retransmits a lost chunk after its retransmission timeout, at least
  `SCTP_RTO_MIN_S` (1 s), and an ordered data channel delivers nothing meanwhile: one packet
  dropped by a home router's full buffer makes a busy neighbour look silent for a second. A
  silence timeout at or below that abandons (and cools down) neighbours that are only
  recovering a loss, so the peer waits `SCTP_RTO_MIN_S + SILENCE_MARGIN_S` at least.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from swarmcast.peer.relay_hold import RELAY_HOLD_S
from swarmcast.peer.scheduler_config import SchedulerConfig

SCTP_RTO_MIN_S: Final = 1.0  # aiortc.rtcsctptransport.SCTP_RTO_MIN
SILENCE_MARGIN_S: Final = 0.5  # the retransmission's own round trip, on a loaded machine


def fit_to_transport(config: SchedulerConfig) -> SchedulerConfig:
    """`config` with the startup wait extended by the relay hold and the silence timeout above
    SCTP's minimum retransmission timeout (unchanged when already longer)."""
    return dataclasses.replace(
        config,
        connect_wait_s=config.connect_wait_s + RELAY_HOLD_S,
        peer_silence_timeout_s=max(
            config.peer_silence_timeout_s, SCTP_RTO_MIN_S + SILENCE_MARGIN_S
        ),
    )
