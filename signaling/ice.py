"""ICE for a stream: servers for a join ack, with TURN REST credentials (coturn
--use-auth-secret) minted per viewer, and what a relay-only stream lets through. Pure."""

from __future__ import annotations

import dataclasses

from swarmcast.protocol.relay_only import relay_only_signal
from swarmcast.protocol.signaling_schema import IceServer, SignalRequest
from swarmcast.protocol.turn import turn_credentials
from swarmcast.signaling.config import SignalingConfig


def ice_servers_for(config: SignalingConfig, peer_id: str, now: float) -> tuple[IceServer, ...]:
    """The TURN user is the viewer's peer id: credentials are per viewer and expire after
    `turn_ttl_s`."""
    servers = config.ice_servers
    if config.turn_urls and config.turn_secret:
        username, password = turn_credentials(config.turn_secret, peer_id, now, config.turn_ttl_s)
        servers = (*servers, IceServer(config.turn_urls, username, password))
    return servers


def signal_for_stream(
    config: SignalingConfig, stream: str, request: SignalRequest
) -> SignalRequest | None:
    """`request` as it may be relayed in `stream`, None to drop it. In a relay-only stream only
    relay candidates (related address hidden) pass, even from a client that ignored the
    policy: a neighbour never sees another viewer's host or server-reflexive address."""
    if not config.relay_only(stream):
        return request
    data = relay_only_signal(request.kind, request.data)
    return None if data is None else dataclasses.replace(request, data=data)
