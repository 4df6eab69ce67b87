"""The `application/trickle-ice-sdpfrag` bodies of WHIP PATCH requests (RFC 8840). Pure.

A fragment names its ICE credentials (`a=ice-ufrag`/`a=ice-pwd`), one or more `m=` sections
with `a=mid`, and their `a=candidate` lines, possibly `a=end-of-candidates`. New credentials
mean an ICE restart (RFC 9725 §4.3.2); otherwise the candidates are trickled (§4.3.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def is_ice_restart(self, current_ufrag: str | None) -> bool:
        return self.ice_ufrag is not None and self.ice_ufrag != current_ufrag


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
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:") :]
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
