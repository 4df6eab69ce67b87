/**
 * The swarm's member count from signaling's public `/api/swarm-size` (docs/protocol.md §4.6),
 * at the join and then every `intervalMs`, like the Python peer (peer/swarm_membership.py). The
 * live election sizes its tiers with it: seen through the neighbour map alone (neighbours + 1)
 * about one member in six of a large swarm is in tier 0 and fetches every new segment from the
 * origin, which a congested origin cannot carry (issue 8).
 */

import type { FetchFn } from "./api_client";

export interface SwarmSizePollDeps {
  /** Where signaling is (`ApiConfig.signaling.url`). */
  signalingUrl: string;
  swarm: string;
  intervalMs: number;
  fetchFn: FetchFn;
  /** A valid count (> 0) arrived. */
  onSize: (peers: number) => void;
}

/** Parses `{"swarm", "peers"}`; null for anything else (an older server, an error page). */
export function parseSwarmSize(body: unknown): number | null {
  if (typeof body !== "object" || body === null) return null;
  const peers = (body as { peers?: unknown }).peers;
  return typeof peers === "number" && Number.isInteger(peers) && peers > 0 ? peers : null;
}

export class SwarmSizePoll {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(private readonly deps: SwarmSizePollDeps) {}

  /** Asks now, then every `intervalMs` until `stop()`. */
  start(): void {
    void this.ask();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async ask(): Promise<void> {
    const { signalingUrl, swarm, fetchFn, onSize, intervalMs } = this.deps;
    const url = `${signalingUrl.replace(/\/+$/, "")}/api/swarm-size?swarm=${encodeURIComponent(swarm).replace("%2F", "/")}`;
    try {
      const response = await fetchFn(url, { cache: "no-store" });
      const peers = response.ok ? parseSwarmSize(await response.json()) : null;
      if (peers !== null && !this.stopped) onSize(peers);
    } catch {
      // Not served (an older signaling) or unreachable: the neighbour count stands in.
    }
    if (!this.stopped && intervalMs > 0) this.timer = setTimeout(() => void this.ask(), intervalMs);
  }
}
