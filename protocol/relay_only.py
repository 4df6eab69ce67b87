"""Relay-only (privacy) streams: keep only TURN relay candidates in relayed SDP and ICE, so no
viewer ever learns another viewer's address (docs/protocol.md §4.3). Pure; used by signaling
(what it relays) and by the Python peer (what it accepts), as defence in depth.

A relay candidate's related address (`raddr`/`rport`) is the viewer's server-reflexive
address: it is hidden (0.0.0.0 0) like Chromium does under `iceTransportPolicy: "relay"`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

HIDDEN_ADDRESS = "0.0.0.0"


def candidate_type(text: str) -> str | None:
    """`typ` of an ICE candidate line (with or without `a=` / `candidate:`), None if unparsable."""
    tokens = text.split()
    try:
        return tokens[tokens.index("typ") + 1]
    except (ValueError, IndexError):
        return None


def relay_candidate(text: str) -> str | None:
    """The candidate with its related address hidden if it is a relay candidate, else None."""
    tokens = text.split()
    if len(tokens) < 8 or candidate_type(text) != "relay":
        return None
    for key, hidden in (("raddr", HIDDEN_ADDRESS), ("rport", "0")):
        if key in tokens[6:]:
            at = tokens.index(key, 6)
            if at + 1 < len(tokens):
                tokens[at + 1] = hidden
    return " ".join(tokens)


def _is_address(token: str) -> bool:
    try:
        ipaddress.ip_address(token)
    except ValueError:
        return False
    return True


def relay_only_sdp(sdp: str) -> str:
    """`sdp` without non-relay candidate lines; connection (`c=`) and `a=rtcp:` addresses that
    are not a relay candidate's address become 0.0.0.0 (they are informational under ICE)."""
    newline = "\r\n" if "\r\n" in sdp else "\n"
    kept: list[str] = []
    relay_hosts: set[str] = set()
    for line in sdp.split(newline):
        if line.startswith("a=candidate:"):
            relay = relay_candidate(line)
            if relay is None:
                continue
            relay_hosts.add(relay.split()[4])
            line = relay
        kept.append(line)
    out: list[str] = []
    for line in kept:
        if line.startswith(("c=", "a=rtcp:")):
            tokens = line.split(" ")
            if tokens and _is_address(tokens[-1]) and tokens[-1] not in relay_hosts:
                if tokens[-2:-1] == ["IP6"]:
                    tokens[-2] = "IP4"
                tokens[-1] = HIDDEN_ADDRESS
                line = " ".join(tokens)
        out.append(line)
    return newline.join(out)


def signal_addresses(kind: str, data: dict[str, Any]) -> set[str]:
    """Every IP address a `signal` payload (§4.3) tells its receiver: candidate and related
    addresses, `c=` / `a=rtcp:` addresses. The lab's privacy check: in a relay-only stream these
    must all be the TURN server's (or hidden, 0.0.0.0)."""
    if kind in ("offer", "answer"):
        lines = str(data.get("sdp", "")).splitlines()
    else:
        lines = [str(data.get("candidate", ""))]
    found: set[str] = set()
    for line in lines:
        tokens = line.strip().split()
        if line.startswith(("c=", "a=rtcp:")) and tokens and _is_address(tokens[-1]):
            found.add(tokens[-1])
        elif "typ" in tokens:
            if len(tokens) > 4 and _is_address(tokens[4]):
                found.add(tokens[4])
            if "raddr" in tokens[6:]:
                at = tokens.index("raddr", 6)
                if at + 1 < len(tokens) and _is_address(tokens[at + 1]):
                    found.add(tokens[at + 1])
    return found


def relay_only_signal(kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """A `signal` payload (§4.3) as it may travel in a relay-only stream, or None to drop it:
    descriptions lose their non-relay candidates, a non-relay trickled candidate is dropped,
    the end-of-candidates marker ("") passes."""
    if kind in ("offer", "answer"):
        return {**data, "sdp": relay_only_sdp(str(data.get("sdp", "")))}
    text = data.get("candidate")
    if not isinstance(text, str):
        return None
    if text == "":
        return data
    relay = relay_candidate(text)
    return None if relay is None else {**data, "candidate": relay}
