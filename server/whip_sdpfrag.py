"""The `application/trickle-ice-sdpfrag` bodies of WHIP PATCH requests (RFC 8840). No I/O.

A fragment names its ICE credentials (`a=ice-ufrag`/`a=ice-pwd`), one or more `m=` sections
with `a=mid`, and their `a=candidate` lines, possibly `a=end-of-candidates`. New credentials
mean an ICE restart (RFC 9725 §4.3.2); otherwise the candidates are trickled (§4.3.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc import RTCIceCandidate
from aiortc.sdp import candidate_from_sdp

MAX_CANDIDATES = 64  # per fragment: a host has a handful; more is abuse


class SdpFragError(ValueError):
    """The body is not a usable sdpfrag."""


@dataclass(slots=True)
class SdpFrag:
    ice_ufrag: str | None = None
    ice_pwd: str | None = None
    candidates: list[tuple[str | None, str]] = field(default_factory=list)
    """(mid of the enclosing m= section, candidate attribute value after `candidate:`)."""
    end_of_candidates: bool = False
    media_line: str | None = None
    """The first `m=` line (an ICE restart answer repeats it)."""
    first_mid: str | None = None

    def is_ice_restart(self, current_ufrag: str | None) -> bool:
        return self.ice_ufrag is not None and self.ice_ufrag != current_ufrag


def candidates_of(frag: SdpFrag) -> list[RTCIceCandidate]:
    """The fragment's candidates as aiortc objects (bundled: all on the first transport)."""
    candidates = []
    for mid, value in frag.candidates:
        try:
            candidate = candidate_from_sdp(value)
        except (ValueError, IndexError, AssertionError) as exc:  # aiortc asserts
            raise SdpFragError(f"bad candidate: {value[:60]}") from exc
        candidate.sdpMid = mid if mid is not None else "0"
        candidates.append(candidate)
    return candidates


def parse_sdpfrag(text: str) -> SdpFrag:
    frag = SdpFrag()
    mid: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if len(line) < 2 or line[1] != "=":
            raise SdpFragError(f"not an SDP line: {line[:40]!r}")
        if line.startswith("m="):
            mid = None
            frag.media_line = frag.media_line or line
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:") :]
            frag.first_mid = frag.first_mid if frag.first_mid is not None else mid
        elif line.startswith("a=ice-ufrag:"):
            frag.ice_ufrag = line[len("a=ice-ufrag:") :]
        elif line.startswith("a=ice-pwd:"):
            frag.ice_pwd = line[len("a=ice-pwd:") :]
        elif line.startswith("a=candidate:"):
            if len(frag.candidates) >= MAX_CANDIDATES:
                raise SdpFragError(f"more than {MAX_CANDIDATES} candidates")
            frag.candidates.append((mid, line[len("a=candidate:") :]))
        elif line == "a=end-of-candidates":
            frag.end_of_candidates = True
    return frag
