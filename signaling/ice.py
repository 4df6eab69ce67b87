"""ICE servers for a join ack, with TURN REST credentials (coturn --use-auth-secret). Pure."""

from __future__ import annotations

from swarmcast.protocol.signaling_schema import IceServer
from swarmcast.protocol.turn import turn_credentials
from swarmcast.signaling.config import SignalingConfig


def ice_servers_for(config: SignalingConfig, peer_id: str, now: float) -> tuple[IceServer, ...]:
    servers = config.ice_servers
    if config.turn_urls and config.turn_secret:
        username, password = turn_credentials(config.turn_secret, peer_id, now, config.turn_ttl_s)
        servers = (*servers, IceServer(config.turn_urls, username, password))
    return servers
