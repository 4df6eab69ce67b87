/**
 * Who takes a new live segment from the origin (peer/election.py, ported exactly): members with
 * hash(peer_id, seq) below c/N fetch at once, the others wait a hash-spread share of the window.
 * FNV-1a 32 over UTF-8 "<peer_id>/<seq>", then the MurmurHash3 fmix32 finaliser.
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

/** Seconds to wait after learning of live segment `seq` before taking it from HTTP; 0 = at once. */
export function httpFirstDelay(
  peerId: string,
  seq: number,
  opts: { swarmSize: number; httpFirstCount: number; waitWindowS: number; seederNeighbour: boolean },
): number {
  const unit = electionUnit(peerId, seq);
  const share = opts.seederNeighbour ? 0.0 : Math.min(1.0, opts.httpFirstCount / Math.max(1, opts.swarmSize));
  if (unit < share || share >= 1.0) return 0.0;
  return (opts.waitWindowS * (unit - share)) / (1.0 - share);
}
