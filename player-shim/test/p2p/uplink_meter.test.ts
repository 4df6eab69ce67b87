/**
 * The uplink meter (measured only while the channels are backlogged) and its feed from the links:
 * the shared cases of tests/vectors/uplink_meter.json (the Python peer runs them too), an idle
 * viewer against a backlogged one, a link that changes rate, and the feed's sampling.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CHANNEL_WINDOW } from "../../src/p2p/channel_window";
import type { Link, PeerLinkHandlers, PeerLinkOptions, WireStats } from "../../src/p2p/peer_link";
import type { RoundTrips } from "../../src/p2p/queue_delay";
import { UplinkFeed } from "../../src/p2p/uplink_feed";
import { DEFAULT_UPLINK_METER, UplinkMeter } from "../../src/p2p/uplink_meter";
import { loadVectors } from "../vectors";

interface Step {
  at: number;
  channels: [string, number, number][];
  changed: boolean;
  rate_bytes_per_s: number | null;
}
const vectors = loadVectors<{ config: Record<string, number>; cases: { name: string; steps: Step[] }[] }>("uplink_meter.json");

describe("uplink meter: shared vectors (tests/vectors/uplink_meter.json)", () => {
  it("uses the defaults of the vectors", () => {
    expect(vectors.config).toEqual({
      backlog_bytes: DEFAULT_UPLINK_METER.backlogBytes,
      window_s: DEFAULT_UPLINK_METER.windowS,
      fast_half_life_s: DEFAULT_UPLINK_METER.fastHalfLifeS,
      slow_half_life_s: DEFAULT_UPLINK_METER.slowHalfLifeS,
      stalled_s: DEFAULT_UPLINK_METER.stalledS,
      floor_bytes_per_s: DEFAULT_UPLINK_METER.floorBytesPerS,
      peak_span_s: DEFAULT_UPLINK_METER.peakSpanS,
      peak_memory_s: DEFAULT_UPLINK_METER.peakMemoryS,
      peak_step: DEFAULT_UPLINK_METER.peakStep,
    });
  });
  for (const c of vectors.cases) {
    it(c.name, () => {
      const meter = new UplinkMeter();
      for (const step of c.steps) {
        const changed = meter.observe(
          step.at,
          step.channels.map(([id, sent, buffered]) => ({ id, sent, buffered })),
        );
        expect(changed, `changed at ${step.at}`).toBe(step.changed);
        if (step.rate_bytes_per_s === null) expect(meter.rateBytesPerS, `rate at ${step.at}`).toBeNull();
        else expect(Math.abs((meter.rateBytesPerS as number) / step.rate_bytes_per_s - 1), `rate at ${step.at}`).toBeLessThan(1e-6);
      }
    });
  }
});

describe("uplink meter", () => {
  it("reports nothing for an idle viewer (its upload is demand), a backlogged one's link rate", () => {
    const idle = new UplinkMeter();
    for (let i = 0; i < 100; i++) idle.observe(i * 0.1, [{ id: "a", sent: i * 16_384, buffered: 0 }]); // 160 kB/s asked, each piece gone before the next
    expect(idle.capacityBps()).toBeNull();
    const busy = new UplinkMeter();
    for (let i = 0; i <= 10; i++) busy.observe(i * 0.2, [{ id: "a", sent: 204_800 + i * 50_000, buffered: 204_800 }]);
    expect(busy.capacityBps()).toBe(2_000_000); // 250 kB/s
  });

  it("follows a link that slows down within seconds, and one that speeds up more cautiously (the averages, floor off)", () => {
    const meter = new UplinkMeter({ ...DEFAULT_UPLINK_METER, peakSpanS: Infinity });
    let sent = 204_800;
    let t = 0;
    const run = (seconds: number, rate: number): void => {
      for (let i = 0; i < seconds * 4; i++) {
        meter.observe(t, [{ id: "a", sent, buffered: 204_800 }]);
        t += 0.25;
        sent += rate / 4;
      }
      meter.observe(t, [{ id: "a", sent, buffered: 204_800 }]);
    };
    run(5, 250_000);
    expect(meter.rateBytesPerS).toBeCloseTo(250_000, 0);
    run(3, 50_000); // 3 backlogged seconds, the fast average's half-life: half way down
    expect(meter.rateBytesPerS).toBeCloseTo(150_000, 0);
    run(30, 50_000);
    expect(meter.rateBytesPerS as number).toBeLessThan(51_000);
    run(3, 250_000); // the slow average holds the way up back: a quarter of it
    expect(meter.rateBytesPerS as number).toBeLessThan(105_000);
    run(30, 250_000);
    expect(meter.rateBytesPerS as number).toBeGreaterThan(230_000);
  });
});

describe("uplink meter: what left is a floor", () => {
  // The lab's misread (bench/results/uplink-s48/README.md): a fast link serving bursts of demand is
  // backlogged at some observations only, so its windows read the demand.
  const labLike = (meter: UplinkMeter): number | null => {
    let sent = 0;
    for (let i = 0; i <= 40; i++) {
      const at = i * 0.25;
      const waiting = at < 3 ? 131_072 : 71_680; // 0-3 s: 150 kB/s; then 20 kB/s
      meter.observe(at, [{ id: "a", sent: sent + waiting, buffered: waiting }]);
      sent += at < 3 ? 37_500 : 5_000;
    }
    return meter.rateBytesPerS;
  };

  it("holds the estimate at what 3 s moved, where the windows alone read the demand", () => {
    expect(labLike(new UplinkMeter()) as number).toBeCloseTo(150_000, -3);
    expect(labLike(new UplinkMeter({ ...DEFAULT_UPLINK_METER, peakSpanS: Infinity })) as number).toBeLessThan(100_000);
  });

  it("counts the lesser of what left the channel (`left`) and the wire: not retransmissions", () => {
    // One backlogged second at 100 kB/s, then the wire carries 200 kB/s (retransmissions among
    // them) with little waiting while 50 kB/s leave the channel: the floor is 50, the estimate 100.
    const meter = new UplinkMeter();
    for (let i = 0; i <= 24; i++) {
      const out = i <= 4 ? i * 25_000 : 100_000 + (i - 4) * 50_000;
      const buffered = i <= 4 ? 100_000 : 1_000;
      meter.observe(i * 0.25, [{ id: "a", sent: out + buffered, buffered, left: i * 12_500 }]);
    }
    expect(meter.rateBytesPerS as number).toBeCloseTo(100_000, -2);
    const wired = new UplinkMeter(); // the same counters without `left`: the wire's 200 kB/s would be the floor
    for (let i = 0; i <= 24; i++) {
      const out = i <= 4 ? i * 25_000 : 100_000 + (i - 4) * 50_000;
      const buffered = i <= 4 ? 100_000 : 1_000;
      wired.observe(i * 0.25, [{ id: "a", sent: out + buffered, buffered }]);
    }
    expect(wired.rateBytesPerS as number).toBeGreaterThan(150_000);
  });

  it("nor a burst out of the channel's buffer faster than the wire", () => {
    // 25 kB/s reach the wire all along (a backlogged 200 kB wait); the channel's buffer empties
    // 150 kB at once at 2 s (Chromium's bursts into SCTP): the floor stays at the wire's pace.
    const meter = new UplinkMeter();
    for (let i = 0; i <= 24; i++) {
      const at = i * 0.25;
      meter.observe(at, [{ id: "a", sent: 200_000 + i * 6_250, buffered: 200_000, left: i * 6_250 + (at >= 2 ? 150_000 : 0) }]);
    }
    expect(meter.rateBytesPerS as number).toBeCloseTo(25_000, -2);
  });

  it("raises an estimate but never makes one", () => {
    const meter = new UplinkMeter();
    for (let i = 0; i <= 20; i++) meter.observe(i * 0.25, [{ id: "a", sent: i * 25_000, buffered: 0 }]);
    expect(meter.rateBytesPerS).toBeNull();
  });
});

/** A link whose channel and transport counters the test sets. */
class CountedLink implements Link {
  readonly piecesSent = 0;
  sent = 0;
  buffered = 0;
  constructor(
    readonly peerId: string,
    private readonly handlers: PeerLinkHandlers,
  ) {}
  async start(): Promise<void> {}
  async handleSignal(): Promise<void> {}
  send(): void {}
  purge(): void {}
  close(reason: string): void {
    this.handlers.closed(this, reason);
  }
  channelCount(): { sent: number; buffered: number } {
    return { sent: this.sent, buffered: this.buffered };
  }
  wire: number | null = null;
  rtt: RoundTrips | null = null;
  async wireStats(): Promise<WireStats> {
    if (this.wire === -1) throw new Error("stats of a closed connection");
    return { bytesSent: this.wire, roundTrips: this.rtt };
  }
}

describe("uplink feed", () => {
  const options = (peerId: string, handlers: Partial<PeerLinkHandlers> = {}): PeerLinkOptions => ({
    peerId,
    initiator: true,
    rtcConfig: {},
    sendSignal: () => undefined,
    window: DEFAULT_CHANNEL_WINDOW,
    connectTimeoutMs: 10_000,
    handlers: { open: () => undefined, message: () => undefined, protocolError: () => undefined, closed: () => undefined, pieceSent: () => undefined, ...handlers },
  });

  it("hands the meter what each link's transport sent while bytes waited in its channel at both ends, and forgets closed links", async () => {
    let now = 0;
    const estimates: number[] = [];
    const feed = new UplinkFeed(() => now, (rate) => void estimates.push(rate), undefined, null, 3_600_000);
    const factory = feed.factory((o) => new CountedLink(o.peerId, o.handlers));
    const a = factory(options("A")) as CountedLink;
    const b = factory(options("B")) as CountedLink;
    a.sent = a.buffered = 200_000; // Chromium's plateau: nothing leaves bufferedAmount...
    a.wire = b.wire = 0;
    await feed.sample();
    for (let i = 1; i <= 2; i++) {
      now = i * 0.5;
      a.wire += 40_000; // ...while its transport sends 80 kB/s
      b.wire += 10_000; // B's transport sends too, but with nothing buffered it is not read (getStats costs CPU): an underestimate
      await feed.sample();
    }
    expect(estimates).toEqual([80_000]);
    a.buffered = 0; // A's burst into SCTP: from now on nothing waits
    a.wire += 40_000;
    now = 1.5;
    await feed.sample();
    a.buffered = 150_000; // refilled just before this sample: not waiting all along
    a.wire += 40_000;
    now = 2.0;
    await feed.sample();
    expect(estimates).toEqual([80_000]);
    a.close("gone");
    for (let i = 5; i <= 8; i++) {
      now = i * 0.5;
      b.wire += 5_000;
      await feed.sample(); // B alone never has bytes waiting: nothing more is measured
    }
    expect(estimates).toEqual([80_000]);
    feed.stop();
  });

  it("ignores links whose transport bytes are unknown", async () => {
    let now = 0;
    const feed = new UplinkFeed(() => now, () => undefined, undefined, null, 3_600_000);
    const a = feed.factory((o) => new CountedLink(o.peerId, o.handlers))(options("A")) as CountedLink;
    a.sent = a.buffered = 200_000;
    for (let i = 0; i <= 4; i++) {
      now = i * 0.5;
      a.sent += 50_000; // bufferedAmount moves, but without a wire count nothing is measured
      await feed.sample();
    }
    expect(feed.meter.rateBytesPerS).toBeNull();
    feed.stop();
  });

  it("probes each live link's drained, buffered and wire bytes for the timeline (a failed getStats is unknown)", async () => {
    const feed = new UplinkFeed(() => 0, () => undefined, undefined, null, 3_600_000);
    const factory = feed.factory((o) => new CountedLink(o.peerId, o.handlers));
    const a = factory(options("A")) as CountedLink;
    const b = factory(options("B")) as CountedLink;
    const c = factory(options("C")) as CountedLink;
    a.sent = 300_000;
    a.buffered = 100_000;
    a.wire = 90_000; // 200 kB left the buffer, 90 kB reached the wire
    b.wire = -1;
    c.close("gone");
    expect(await feed.wireCounts()).toEqual([
      { id: "l0", drained: 200_000, buffered: 100_000, wire: 90_000, rtt: null },
      { id: "l1", drained: 0, buffered: 0, wire: null, rtt: null },
    ]);
    feed.stop();
  });

  it("hands each busy link's consent-check round trips to the queue-delay detector, and forgets closed links", async () => {
    let now = 0;
    const feed = new UplinkFeed(() => now, () => undefined, undefined, null, 3_600_000);
    const factory = feed.factory((o) => new CountedLink(o.peerId, o.handlers));
    const a = factory(options("A")) as CountedLink;
    const b = factory(options("B")) as CountedLink;
    a.wire = b.wire = 0;
    a.buffered = b.buffered = 20_000; // busy links are read
    a.rtt = { totalS: 0.01, responses: 1 };
    b.rtt = { totalS: 0.02, responses: 1 };
    await feed.sample(); // baselines
    for (let i = 1; i <= 3; i++) {
      now = i;
      a.rtt = { totalS: a.rtt.totalS + (i === 1 ? 0.01 : 0.21), responses: a.rtt.responses + 1 }; // then 200 ms above its 10-ms base
      b.rtt = { totalS: b.rtt.totalS + (i === 1 ? 0.02 : 0.25), responses: b.rtt.responses + 1 };
      await feed.sample();
    }
    expect(feed.queueDelay.queueing(now)).toBe(true);
    a.close("gone");
    b.close("gone");
    await feed.sample();
    expect(feed.queueDelay.excessS(now)).toBeNull(); // nothing left of closed links
    feed.stop();
  });
});
