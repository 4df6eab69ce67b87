/**
 * Counts what the operator wants to know about neighbour connections (docs/operator.md) by
 * wrapping the link factory a SwarmSession uses: attempts, opened data channels, local ICE
 * candidates sent, and the selected candidate-pair type of each opened link.
 */

import type { PairType } from "../protocol/beacon_schema";
import { PAIR_TYPES } from "../protocol/beacon_schema";
import { PeerLink, type Link, type LinkFactory } from "./peer_link";

export class LinkStats {
  attempts = 0;
  successes = 0;
  candidates = 0;
  readonly pairs: Record<PairType, number> = { host: 0, srflx: 0, prflx: 0, relay: 0 };
  /** When the latest attempt started (ms, the engine's clock), for "settled" checks. */
  lastAttemptAt = -Infinity;

  constructor(private readonly now: () => number) {}

  /** `base` (default: RTCPeerConnection-backed PeerLinks) with every link counted. */
  factory(base: LinkFactory = (o) => new PeerLink(o)): LinkFactory {
    return (options) => {
      this.attempts += 1;
      this.lastAttemptAt = this.now();
      let link: Link | null = null;
      link = base({
        ...options,
        sendSignal: (kind, data) => {
          if (kind === "candidate" && typeof data.candidate === "string" && data.candidate !== "") this.candidates += 1;
          options.sendSignal(kind, data);
        },
        handlers: {
          ...options.handlers,
          open: (l) => {
            this.successes += 1;
            void this.notePair(link ?? l);
            options.handlers.open(l);
          },
        },
      });
      return link;
    };
  }

  private async notePair(link: Link): Promise<void> {
    try {
      const type = await link.selectedPairType?.();
      if (type && (PAIR_TYPES as readonly string[]).includes(type)) this.pairs[type as PairType] += 1;
    } catch {
      // stats of a closed connection: nothing to count
    }
  }
}
