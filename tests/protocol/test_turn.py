"""TURN REST credentials: the coturn `--use-auth-secret` formula, pinned by one known value."""

from __future__ import annotations

from swarmcast.protocol.turn import turn_credentials


def test_known_value() -> None:
    username, password = turn_credentials("north", "viewer", 1700000000.7, 86400)
    assert username == "1700086400:viewer"
    assert password == "KjXXRZ8n2EK/ZeUUm6uiwXVLUAA="
