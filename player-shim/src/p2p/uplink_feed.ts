/**
 * Feeds the uplink meter (uplink_meter.ts) from the data channels, by wrapping the link factory
 * a SwarmSession uses (as LinkStats does): every time a link is about to hand frames to its
 * channel, all live links' channel counters are sampled. The meter outlives sessions: the
 * browser's uplink does not change with the rendition.
 */

import type { Link, LinkFactory } from "./peer_link";
import { UplinkMeter, type ChannelCount } from "./uplink_meter";

export class UplinkFeed {
  /** Live links and the meter's id for each (a peer id may come back on a rebuilt link). */
  private readonly live = new Map<Link, string>();
  private nextId = 0;

  constructor(
    /** Seconds, monotonic. */
    private readonly nowS: () => number,
    /** A new estimate (bytes/s), once per backlogged window at most. */
    private readonly onMeasured: (rateBytesPerS: number) => void,
    readonly meter: UplinkMeter = new UplinkMeter(),
  ) {}

  /** `base` with every link it makes sampled. */
  factory(base: LinkFactory): LinkFactory {
    return (options) => {
      let link: Link | null = null;
      link = base({
        ...options,
        handlers: {
          ...options.handlers,
          flushing: (l) => {
            this.sample();
            options.handlers.flushing?.(l);
          },
          closed: (l, reason) => {
            this.live.delete(link ?? l);
            options.handlers.closed(l, reason);
          },
        },
      });
      this.live.set(link, `l${this.nextId++}`);
      return link;
    };
  }

  /**
   * Per live link: bytes that left its channel's buffer, still in it, and what its transport put
   * on the wire (null: unknown). A probe for the timeline (`uplink-wire`): in Chromium the buffer
   * drains into SCTP's own send queue, so the first two need not follow the link.
   */
  async wireCounts(): Promise<{ id: string; drained: number; buffered: number; wire: number | null }[]> {
    const rows = [...this.live].map(async ([link, id]) => {
      const count = link.channelCount?.();
      if (!count) return null;
      const wire = await link.wireBytesSent?.().catch(() => null);
      return { id, drained: count.sent - count.buffered, buffered: count.buffered, wire: wire ?? null };
    });
    return (await Promise.all(rows)).filter((r) => r !== null);
  }

  private sample(): void {
    const channels: ChannelCount[] = [];
    for (const [link, id] of this.live) {
      const count = link.channelCount?.();
      if (count) channels.push({ id, ...count });
    }
    if (this.meter.observe(this.nowS(), channels)) this.onMeasured(this.meter.rateBytesPerS as number);
  }
}
