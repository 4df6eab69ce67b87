"""Relay candidates held back briefly (issue 12). aioice nominates the first pair whose check
succeeds, and a check through TURN often beats a direct one across two port-restricted NATs
(the first direct checks are dropped until both NATs have opened their mappings), so a pair
that could connect directly ended up relayed. The Python peer therefore applies a remote
description without its relay candidates and adds them `RELAY_HOLD_S` later (pure part here)."""

from __future__ import annotations

from typing import Final

RELAY_HOLD_S: Final = 1.5  # direct checks here succeed within ~0.7 s (the NAT lab's figures)
END = "a=end-of-candidates"


def hold_relays(sdp: str) -> tuple[str, list[str]]:
    """(`sdp` without its relay candidates, the held `candidate:...` texts). Nothing is held
    when the description has no other candidate (relay-only peers), and then
    end-of-candidates stays; else it is dropped too (the held ones follow, then the end)."""
    lines = sdp.split("\r\n")
    relays = [ln for ln in lines if ln.startswith("a=candidate:") and " typ relay" in ln]
    others = [ln for ln in lines if ln.startswith("a=candidate:") and " typ relay" not in ln]
    if not relays or not others:
        return sdp, []
    kept = [ln for ln in lines if ln not in relays and ln != END]
    return "\r\n".join(kept), [ln.removeprefix("a=") for ln in relays]
