"""Reports, bans and seeder claims: the policy side of signaling (docs/security.md §4.2-4.3).

The server hands each blaming report here with what it knows of both peers; this decides, over
the shared `SwarmStore`, whether the target is banned (`signaling.report_policy` weighs) and
keeps bans on both the target's address and its token identity.
"""

from __future__ import annotations

import logging

from swarmcast.protocol.signaling_schema import Capabilities
from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.netaddr import address_in, parse_networks
from swarmcast.signaling.report_policy import (
    Accusation,
    ReportPolicy,
    history_factor,
    should_ban,
    standing,
)
from swarmcast.signaling.session import Session
from swarmcast.signaling.swarm_matcher import PeerInfo
from swarmcast.signaling.swarm_store import BAN_ADDRESS, BAN_SUB, SwarmStore

log = logging.getLogger(__name__)


class Moderation:
    def __init__(self, config: SignalingConfig, store: SwarmStore) -> None:
        self.config = config
        self.store = store
        self.policy = ReportPolicy(
            threshold=config.report_threshold,
            full_standing_s=config.report_full_standing_s,
            young_weight=config.report_young_weight,
            budget_per_address=config.report_budget_per_address,
            budget_per_prefix=config.report_budget_per_prefix,
        )
        self._seeder_networks = parse_networks(config.seeder_networks)

    async def banned(self, stream: str, sub: str, address: str, now: float) -> bool:
        """Whether this token identity or this client address is banned from `stream`."""
        for key in (BAN_SUB + sub, BAN_ADDRESS + address):
            if await self.store.banned_until(stream, key, now) is not None:
                return True
        return False

    def seeder_allowed(self, address: str, seeder_token: bool) -> bool:
        """Seeder claims count from the configured networks or with an operator-signed
        seeder token; from anyone else they are ignored (the peer joins as a viewer)."""
        return seeder_token or address_in(address, self._seeder_networks)

    def peer_info(self, session: Session, caps: Capabilities, now: float) -> PeerInfo:
        """The joining peer as the matcher sees it: a seeder only if `seeder_allowed`, and
        its neighbour count capped by the server."""
        seeder = caps.seeder and self.seeder_allowed(session.address, session.seeder_token)
        limit = self.config.seeder_max_neighbours if seeder else self.config.max_neighbours
        return PeerInfo(
            peer_id=session.peer_id,
            prefix=session.prefix,
            joined_at=now,
            max_neighbours=min(caps.max_neighbours or limit, limit),
            upload_budget_bps=caps.upload_budget_bps,
            seeder=seeder,
            sub=session.sub,
            address=session.address,
        )

    async def weigh_report(
        self, stream: str, reporter: PeerInfo, target: PeerInfo, now: float
    ) -> bool:
        """Record a blaming report; True when the target is now to be banned."""
        if not reporter.address or reporter.address == target.address:
            return False  # one client (or one NAT) accusing itself tells nothing
        target_key = BAN_ADDRESS + target.address if target.address else BAN_SUB + target.sub
        window, history = self.config.report_window_s, self.config.report_history_s
        by_address = await self.store.count_distinct(
            stream, f"blamer:{reporter.address}", target_key, now, history
        )
        by_prefix = await self.store.count_distinct(
            stream, f"blamer-net:{reporter.prefix}", target_key, now, history
        )
        weight = standing(now - reporter.joined_at, self.policy) * history_factor(
            by_address, by_prefix, self.policy
        )
        accusation = Accusation(reporter.address, reporter.prefix, round(weight, 6), now)
        standing_reports = await self.store.record_accusation(
            stream, target_key, accusation, window
        )
        log.info(
            "signaling: %s reported %s: weight %.2f (%d/%d blamed), %d reporters",
            reporter.peer_id,
            target.peer_id,
            weight,
            by_address,
            by_prefix,
            len(standing_reports),
        )
        return should_ban(standing_reports, self.policy)

    async def ban(self, stream: str, target: PeerInfo, now: float) -> None:
        until = now + self.config.ban_s
        await self.store.ban(stream, BAN_SUB + target.sub, until)
        if target.address:
            await self.store.ban(stream, BAN_ADDRESS + target.address, until)
        log.warning(
            "signaling: banned %s (peer %s, %s) from %s",
            target.sub,
            target.peer_id,
            target.address,
            stream,
        )
