"""Who may open a signaling connection (docs/protocol.md §4.1, docs/security.md §4.4).

Every check that runs before a socket becomes a `Session`, in the order that costs an attacker
the most: the page origin, the viewer token, bans of the token's identity or address, then the
per-token/address/prefix connection caps. A refusal is a `ConnectionRefusedError` whose body
says why, so a player can tell "try later" from "your token is bad".
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

import socketio

from swarmcast.protocol import signaling_schema as schema
from swarmcast.protocol.token_bucket import TokenBucket
from swarmcast.protocol.tokens import TokenError
from swarmcast.signaling.admission import EventGate
from swarmcast.signaling.auth import make_verifier
from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.conn_limits import ConnectionCounter
from swarmcast.signaling.metrics import SignalingMetrics
from swarmcast.signaling.moderation import Moderation
from swarmcast.signaling.netaddr import (
    client_address,
    host_in,
    host_key,
    network_prefix,
    parse_networks,
)
from swarmcast.signaling.origin_policy import page_refusal
from swarmcast.signaling.session import Session

log = logging.getLogger(__name__)

Clock = Callable[[], float]


def _refused(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    return socketio.exceptions.ConnectionRefusedError(code, schema.error_body(code, message))


class ConnectAdmission:
    """Turns an accepted connect into a `Session` and counts it until `release`."""

    def __init__(
        self,
        config: SignalingConfig,
        token_secret: bytes,
        moderation: Moderation,
        metrics: SignalingMetrics,
        clock: Clock,
        monotonic: Clock,
    ) -> None:
        self.config = config
        self._verify = make_verifier(token_secret, config.jwt)
        self._moderation = moderation
        self._metrics = metrics
        self._clock = clock
        self._monotonic = monotonic
        self._trusted_proxies = parse_networks(config.trusted_proxies)
        self._shared_networks = parse_networks(config.shared_address_networks)
        self._connections = ConnectionCounter(
            config.max_connections_per_token,
            config.max_connections_per_address,
            config.max_connections_per_prefix,
        )

    async def admit(self, sid: str, environ: dict[str, Any], auth: object) -> Session:
        """The new connection's session; raises `ConnectionRefusedError` with the reason."""
        request = environ.get("aiohttp.request")
        refusal = page_refusal(
            request, environ.get("HTTP_ORIGIN"), self.config, self._trusted_proxies
        )
        if refusal is not None:
            log.info("signaling: refused a page: %s", refusal)
            raise _refused("origin-not-allowed", refusal)
        try:
            claims = self._verify(schema.parse_auth(auth), self._clock())
        except (schema.SchemaError, TokenError) as error:
            self._metrics.connect(error.code)
            raise _refused(error.code, str(error)) from None
        remote = getattr(request, "remote", None)
        forwarded = request.headers.get("X-Forwarded-For") if request is not None else None
        address = client_address(remote, forwarded, self._trusted_proxies)
        host, prefix = host_key(address), network_prefix(address)
        if await self._moderation.banned(claims.stream, claims.sub, host, self._clock()):
            self._metrics.connect("banned")
            raise _refused("banned", "reported by several peers; try later")
        shared = host_in(host, self._shared_networks)
        full = self._connections.refusal(claims.sub, host, prefix, shared)
        if full is not None:
            self._metrics.connect("too-many-connections")
            raise _refused("too-many-connections", full)
        self._connections.add(claims.sub, host, prefix)
        now = self._monotonic()
        return Session(
            sid=sid,
            peer_id=secrets.token_urlsafe(9),
            sub=claims.sub,
            stream=claims.stream,
            address=host,
            prefix=prefix,
            seeder_token=claims.seeder,
            shared_address=shared,
            gate=EventGate(
                TokenBucket(self.config.event_rate, self.config.event_burst, now),
                TokenBucket(self.config.join_rate, self.config.join_burst, now),
                self.config.max_refusals,
                self.config.refusal_window_s,
            ),
        )

    def release(self, session: Session) -> None:
        """The session's connection closed: it no longer counts against its caps."""
        self._connections.remove(session.sub, session.address, session.prefix)
