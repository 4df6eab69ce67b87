/**
 * Who takes a new live segment from the origin (peer/election.py, ported exactly). Every member
 * computes u = hash(peer_id, seq) in [0, 1) for itself and its neighbours. Tier 0 is u < c/N
 * (above `largeSwarm` members c grows per tenfold: `liveFirstCount`), tier k is c/N * growth^k wide; a member of tier k waits k tier spacings (plus a stagger per
 * neighbour of its tier with a smaller u, plus one tier behind an edge seeder) for a neighbour to
 * announce the segment before it fetches over HTTP. The deadline fallback still applies on top.
 * Hash: FNV-1a 32 over UTF-8 "<peer_id>/<seq>", then the MurmurHash3 fmix32 finaliser.
 */

export function electionHash(peerId: string, seq: number): number {
  let value = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`${peerId}/${seq}`)) {
    value ^= byte;
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  value ^= value >>> 16;
  value = Math.imul(value, 0x85ebca6b) >>> 0;
  value ^= value >>> 13;
  value = Math.imul(value, 0xc2b2ae35) >>> 0;
  value ^= value >>> 16;
  return value >>> 0;
}

export function electionUnit(peerId: string, seq: number): number {
  return electionHash(peerId, seq) / 4294967296.0;
}

/** Tier of a hash unit: tier 0 is [0, share), tier k is `share * growth**k` wide. */
export function electionTier(unit: number, share: number, growth: number): number {
  let tier = 0;
  let lower = 0.0;
  let width = share;
  while (unit >= lower + width && lower + width < 1.0) {
    lower += width;
    width *= growth;
    tier += 1;
  }
  return tier;
}

/**
 * Expected tier-0 members: `httpFirstCount`, growing by it per tenfold of members above
 * `largeSwarm` (0: never grows). A copy crosses about log N relay hops in a large swarm.
 */
export function liveFirstCount(httpFirstCount: number, members: number, largeSwarm: number): number {
  if (largeSwarm <= 0 || members <= largeSwarm) return httpFirstCount;
  return httpFirstCount * (1.0 + Math.log10(members / largeSwarm));
}

export interface ElectionParams {
  neighbourIds: Iterable<string>;
  swarmSize: number;
  httpFirstCount: number;
  tierSpacingS: number;
  tierGrowth: number;
  neighbourStaggerS: number;
  seederNeighbour: boolean;
  /** Above this many members tier 0 grows (`liveFirstCount`); absent or 0: never. */
  largeSwarm?: number;
  /** Move everyone known down so the lowest is in tier 1 when tiers 0-1 hold nobody known and the known are half the swarm (peer/election.py, "Empty tiers"). */
  skipEmptyTiers?: boolean;
  /** Knowing every member of the swarm, move everyone down so the lowest is in tier 0 (peer/election.py, "Known swarm"). */
  lowestKnownFirst?: boolean;
}

/** Seconds to wait after learning of live segment `seq` before taking it from HTTP; 0 = at once. */
export function httpFirstDelay(peerId: string, seq: number, p: ElectionParams): number {
  const neighbours = [...p.neighbourIds].sort();
  const members = Math.max(1, p.swarmSize, neighbours.length + 1);
  const share = Math.min(1.0, liveFirstCount(p.httpFirstCount, members, p.largeSwarm ?? 0) / members);
  const growth = Math.max(1.0, p.tierGrowth);
  const unit = electionUnit(peerId, seq);
  let tier = electionTier(unit, share, growth);
  let ahead = 0;
  let lowestKnownTier = tier;
  for (const other of neighbours) {
    const otherUnit = electionUnit(other, seq);
    const otherTier = electionTier(otherUnit, share, growth);
    lowestKnownTier = Math.min(lowestKnownTier, otherTier);
    if (otherUnit < unit && otherTier === tier) ahead += 1;
  }
  const knowsAll = neighbours.length + 1 >= members;
  const knowsHalf = 2 * (neighbours.length + 1) >= members;
  if (p.lowestKnownFirst === true && knowsAll) tier -= lowestKnownTier;
  else if (p.skipEmptyTiers === true && knowsHalf && lowestKnownTier > 1) tier -= lowestKnownTier - 1;
  const extraTier = p.seederNeighbour ? 1 : 0;
  return (tier + extraTier) * p.tierSpacingS + ahead * p.neighbourStaggerS;
}

/**
 * This member's turn (in units of a progress timeout) to take over a neighbour's stale copy of
 * `seq` (`OriginGate.staleTurn`): the live election's tiers among its neighbourhood, which hears the
 * copy's last word at about the same moment (peer/election.py `stale_copy_delay`).
 */
export function staleCopyDelay(peerId: string, seq: number, neighbourIds: Iterable<string>, tierGrowth: number): number {
  const neighbours = [...neighbourIds];
  return httpFirstDelay(peerId, seq, {
    neighbourIds: neighbours,
    swarmSize: neighbours.length + 1,
    httpFirstCount: 1.0,
    tierSpacingS: 1.0,
    tierGrowth,
    neighbourStaggerS: 0.5,
    seederNeighbour: false,
  });
}
