"""peer.aiortc_timing: the shared scheduler config fitted to the Python peer's transport."""

from __future__ import annotations

from swarmcast.peer.aiortc_timing import SCTP_RTO_MIN_S, fit_to_transport
from swarmcast.peer.relay_hold import RELAY_HOLD_S
from swarmcast.peer.scheduler_config import SchedulerConfig


def test_startup_wait_covers_the_relay_hold_and_silence_outlasts_a_retransmission() -> None:
    shared = SchedulerConfig()
    fitted = fit_to_transport(shared)
    assert fitted.connect_wait_s == shared.connect_wait_s + RELAY_HOLD_S
    assert fitted.peer_silence_timeout_s > SCTP_RTO_MIN_S >= shared.peer_silence_timeout_s
    patient = SchedulerConfig(peer_silence_timeout_s=4.0)
    assert fit_to_transport(patient).peer_silence_timeout_s == 4.0  # already longer: kept
    assert fitted.upload_slots == shared.upload_slots  # nothing else changes


def test_aiortc_minimum_retransmission_timeout_is_what_we_assume() -> None:
    from aiortc import rtcsctptransport

    assert rtcsctptransport.SCTP_RTO_MIN == SCTP_RTO_MIN_S
