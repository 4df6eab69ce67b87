"""signaling.admission.EventGate: rate limits and the flood cut-off (pure, time passed in)."""

from __future__ import annotations

from swarmcast.protocol.token_bucket import TokenBucket
from swarmcast.signaling.admission import EventGate, Verdict


def gate(max_refusals: int = 5) -> EventGate:
    return EventGate(
        TokenBucket(10.0, 2.0, 0.0),
        TokenBucket(0.5, 1.0, 0.0),
        max_refusals,
        window_s=10.0,
    )


def test_refusals_are_counted_across_allowed_events_and_the_cap_is_the_last_answer() -> None:
    g = gate()
    assert [g.admit(False, 0.0) for _ in range(2)] == [Verdict.ALLOW] * 2
    assert g.admit(False, 0.0) is Verdict.REFUSE_AND_WARN
    assert g.admit(False, 0.0) is Verdict.REFUSE
    assert g.admit(False, 0.1) is Verdict.ALLOW, "refilled one token"
    assert g.admit(False, 0.1) is Verdict.REFUSE
    assert g.admit(False, 0.1) is Verdict.REFUSE
    assert g.admit(False, 0.1) is Verdict.REFUSE_AND_CLOSE, "5 refusals in the window"
    assert g.admit(False, 5.0) is Verdict.DROP, "nothing is answered after the cut-off"


def test_refusals_older_than_the_window_are_forgotten() -> None:
    g = gate(max_refusals=3)
    g.admit(False, 0.0), g.admit(False, 0.0)
    assert g.admit(False, 0.0) is Verdict.REFUSE_AND_WARN
    assert g.admit(False, 0.0) is Verdict.REFUSE
    # 20 s later the bucket is full again and the old refusals are out of the window.
    assert [g.admit(False, 20.0) for _ in range(2)] == [Verdict.ALLOW] * 2
    assert g.admit(False, 20.0) is Verdict.REFUSE_AND_WARN


def test_joins_have_their_own_bucket() -> None:
    g = gate()
    assert g.admit(True, 0.0) is Verdict.ALLOW
    assert g.admit(True, 0.0) is Verdict.REFUSE_AND_WARN
    assert g.admit(False, 0.0) is Verdict.REFUSE, "the refused join still spent an event"
