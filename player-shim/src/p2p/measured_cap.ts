/**
 * An upload cap from the measured uplink, for viewers whose page sets none (pure; the Python
 * peer's peer/measured_cap.py is the same rule, shared cases in tests/vectors/measured_cap.json).
 *
 * A viewer that uploads at its full uplink queues its own origin requests and ACKs behind the
 * backlog: on a 150 kbit/s uplink its fallback fetches then land late and it stalls (the
 * realistic lab, bench/results/realistic-README.md series 5: a cap of 0.8 x the uplink cut the
 * browsers' stall time 3-4x at the same offload). The page seldom knows its uplink, so the cap
 * is `share` of the capacity the uplink meter measured while the channels were backlogged
 * (uplink_meter.ts), and the slots follow it (operator_link.ts `uploadLimits`).
 *
 * Only on a small uplink that queues: one that cannot carry `smallBelowX` copies of the
 * rendition played, measured while the access link itself was queueing (queue_delay.ts). On such
 * an uplink every window is the link's (the meter read 144-154 kbit/s links within 5-15 %,
 * realistic-README series 9); elsewhere a backlog is often a slow receiver's or a busy
 * renderer's (cable links of 1.3-1.6 Mbit/s read 0.6-1.0; the flash lab's uncapped links
 * 0.3-0.8 on 8 of 24 pages), and a cap from it starved honest uploaders and the flash crowd.
 * Once engaged the cap holds while the uplink stays small: capped, the link stops queueing.
 * Small, once engaged, is against the heaviest rendition seen since: a switch to a lighter rung
 * does not lift the cap of an uplink that was queueing.
 * `share` leaves room for the ACKs of the viewer's own downloads (~3 % of its downlink, a fifth
 * of a 150 kbit/s uplink beside a 1 Mbit/s downlink) and the meter's few percent high.
 *
 * Once capped below its link a viewer's channels no longer back up, so the meter cannot see a
 * faster link (or a first estimate that read low): every `probeEveryS` the cap is lifted for
 * `probeForS`, and what the meter measures meanwhile becomes the next cap. The slots stay during
 * a probe (lifting them would unchoke and choke neighbours every probe). Small moves of the
 * estimate (below `minChange`) keep the cap: each change restarts the scheduler's token bucket.
 */

export interface MeasuredCapConfig {
  /** The cap as a share of the measured capacity (0: measurements cap nothing). */
  share: number;
  /** Seconds a cap holds before it is lifted for a probe. */
  probeEveryS: number;
  /** Seconds a probe lasts. */
  probeForS: number;
  /** Relative change of the measured capacity below which the cap stays as it is. */
  minChange: number;
  /** Capped only while the measured capacity is below this many copies of the rendition's bitrate. */
  smallBelowX: number;
}

export const DEFAULT_MEASURED_CAP: Readonly<MeasuredCapConfig> = Object.freeze({
  share: 0.7,
  probeEveryS: 30,
  probeForS: 5,
  minChange: 0.1,
  smallBelowX: 1.0,
});

/** What the measurement allows now: the rate cap (null: none, e.g. probing) and the budget for slots. */
export interface MeasuredLimits {
  rateBytesPerS: number | null;
  budgetBps: number;
}

export class MeasuredUploadCap {
  /** The measured capacity the cap is a share of (bytes/s); null until the first measurement. */
  private capacity: number | null = null;
  /** When the current phase (capped or probing) began, seconds. */
  private phaseStart = 0;
  private probing = false;
  /** Small and seen queueing: capped until a measurement says the uplink is not small. */
  private engaged = false;
  /** The heaviest rendition seen while engaged (bits/s; 0: not engaged): the uplink stays small for it after a down-switch. */
  private engagedBps = 0;

  constructor(readonly config: MeasuredCapConfig = DEFAULT_MEASURED_CAP) {
    if (config.share < 0 || config.share > 1) throw new RangeError("share must be in [0, 1]");
    if (config.probeEveryS <= 0 || config.probeForS < 0) throw new RangeError("probe times must be positive");
    if (config.smallBelowX < 0) throw new RangeError("smallBelowX must be >= 0");
  }

  /** A new estimate from the uplink meter (bytes/s) at `now` (seconds). */
  measured(now: number, rateBytesPerS: number): void {
    const first = this.capacity === null;
    const held = this.capacity ?? rateBytesPerS;
    if (first || Math.abs(rateBytesPerS - held) >= this.config.minChange * held) this.capacity = rateBytesPerS;
    if (first) this.phaseStart = now;
  }

  /**
   * The limits at `now` (seconds; call with non-decreasing times) for a rendition of
   * `renditionBps` (bits/s; null: unknown) while the access link is `queueing` or not; null:
   * nothing measured yet, share 0, or an uplink not (yet) known to be small and queueing.
   */
  at(now: number, renditionBps: number | null, queueing: boolean): MeasuredLimits | null {
    const capacity = this.capacity;
    if (capacity === null || this.config.share <= 0) return null;
    const budgetBps = Math.round(capacity * this.config.share * 8);
    const phaseEnds = this.phaseStart + (this.probing ? this.config.probeForS : this.config.probeEveryS);
    if (now >= phaseEnds) {
      this.probing = !this.probing;
      this.phaseStart = now;
    }
    // Engaged, the uplink is judged against the heaviest rendition it was small for: after a
    // down-switch to a rung it can carry once, an uncapped small uplink filled again and its ACKs
    // queued behind it (peer/measured_cap.py, same rule).
    // An unknown rendition (a new session before its first segment) keeps an engaged cap.
    const heaviest = Math.max(renditionBps ?? 0, this.engagedBps);
    const small = heaviest > 0 && capacity * 8 < this.config.smallBelowX * heaviest;
    this.engaged = small && (this.engaged || queueing);
    this.engagedBps = this.engaged ? heaviest : 0;
    if (!this.engaged) return null;
    return { rateBytesPerS: this.probing ? null : capacity * this.config.share, budgetBps };
  }
}
