/**
 * Feeds the uplink meter (uplink_meter.ts) from the neighbour links, by wrapping the link factory
 * a SwarmSession uses (as LinkStats does). The meter outlives sessions: the browser's uplink does
 * not change with the rendition.
 *
 * What "left for the link" means differs from the Python peer's. Chromium hands a data channel's
 * bytes to its SCTP stack in bursts: in the realistic lab a channel held ~100 kB in
 * `bufferedAmount` for 10-20 s while its transport sent 5-15 kB/s, then dropped it all at once
 * (bench/results/realistic-README.md, series 6). Read from `bufferedAmount`, 1-s windows saw
 * either nothing or a burst (0 or 4-5x a 144 kbit/s uplink). So every `sampleMs` the feed reads
 * each link's ICE transport `bytesSent` (getStats) and gives the meter, per link, the bytes that
 * reached the wire as the bytes that left its buffer. The bytes waiting in the link's queue and
 * its channel's `bufferedAmount` still say whether the link set the pace: the meter hears the
 * smaller of them at the two ends of the interval (waiting all along).
 *
 * The same getStats gives each link's consent-check round trips, which feed `queueDelay`
 * (queue_delay.ts): whether the backlog the meter measures is the access link's own.
 */

import type { Link, LinkFactory } from "./peer_link";
import { QueueDelay, type RoundTrips } from "./queue_delay";
import { UplinkMeter, type ChannelCount } from "./uplink_meter";

/** One link's counters for the timeline's `uplink-wire` probe. */
export interface WireCount {
  id: string;
  /** Bytes that left the channel's buffer (handed to SCTP). */
  drained: number;
  /** Bytes waiting now: the link's queue and its channel's `bufferedAmount`. */
  buffered: number;
  /** What its ICE transport sent so far (null: unknown). */
  wire: number | null;
  /** Its selected pair's consent-check round trips so far (null: unknown). */
  rtt: RoundTrips | null;
}

/** How often the links' transports are read (ms); each read is one meter observation. */
export const UPLINK_SAMPLE_MS = 1_000;

export class UplinkFeed {
  /** Live links and the meter's id for each (a peer id may come back on a rebuilt link). */
  private readonly live = new Map<Link, string>();
  private nextId = 0;
  /** Each link's waiting bytes (queue and `bufferedAmount`) at the previous sample. */
  private lastBuffered = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private sampling = false;

  constructor(
    /** Seconds, monotonic. */
    private readonly nowS: () => number,
    /** A new estimate (bytes/s), once per backlogged window at most. */
    private readonly onMeasured: (rateBytesPerS: number) => void,
    readonly meter: UplinkMeter = new UplinkMeter(),
    /** Every sample's per-link counters (the timeline's `uplink-wire` probe). */
    private readonly onSample: ((links: WireCount[]) => void) | null = null,
    private readonly sampleMs = UPLINK_SAMPLE_MS,
    readonly queueDelay: QueueDelay = new QueueDelay(),
  ) {}

  /** `base` with every link it makes sampled; the first link starts the timer. */
  factory(base: LinkFactory): LinkFactory {
    return (options) => {
      let link: Link | null = null;
      link = base({
        ...options,
        handlers: {
          ...options.handlers,
          closed: (l, reason) => {
            this.live.delete(link ?? l);
            options.handlers.closed(l, reason);
          },
        },
      });
      this.live.set(link, `l${this.nextId++}`);
      this.timer ??= setInterval(() => void this.sample(), this.sampleMs);
      return link;
    };
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Per live link: bytes that left its channel's buffer, still in it, and its transport's bytes
   * sent. `all` false skips getStats (wire null) for a link with nothing buffered now or at the
   * previous sample: its interval cannot count, and getStats costs the page CPU every second.
   */
  async wireCounts(all = true): Promise<WireCount[]> {
    const rows = [...this.live].map(async ([link, id]) => {
      const count = link.channelCount?.();
      if (!count) return null;
      const idle = count.buffered === 0 && (this.lastBuffered.get(id) ?? 0) === 0;
      const stats = all || !idle ? await link.wireStats?.().catch(() => null) : null;
      return { id, drained: count.sent - count.buffered, buffered: count.buffered, wire: stats?.bytesSent ?? null, rtt: stats?.roundTrips ?? null };
    });
    return (await Promise.all(rows)).filter((r) => r !== null);
  }

  /** One observation: reads every link's transport, then hands the meter what reached the wire. */
  async sample(): Promise<void> {
    if (this.sampling) return; // a slow getStats: skip a tick rather than pile up
    this.sampling = true;
    try {
      const rows = await this.wireCounts(this.onSample !== null);
      this.onSample?.(rows);
      const channels: ChannelCount[] = [];
      const buffered = new Map<string, number>();
      for (const row of rows) {
        buffered.set(row.id, row.buffered);
        if (row.wire === null) continue;
        const waiting = Math.min(row.buffered, this.lastBuffered.get(row.id) ?? 0);
        channels.push({ id: row.id, sent: row.wire + waiting, buffered: waiting, left: row.drained });
      }
      this.lastBuffered = buffered;
      const now = this.nowS();
      this.queueDelay.observe(now, rows.flatMap((row): [string, RoundTrips][] => (row.rtt ? [[row.id, row.rtt]] : [])));
      this.queueDelay.retain(rows.map((row) => row.id));
      if (this.meter.observe(now, channels)) this.onMeasured(this.meter.rateBytesPerS as number);
    } finally {
      this.sampling = false;
    }
  }
}
