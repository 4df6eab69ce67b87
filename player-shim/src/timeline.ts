/**
 * An optional per-viewer timeline (`timeline: true`, the demo page's `?timeline=1`): what the
 * engine saw and decided, per segment, with wall-clock times, so a lab run that collapses can be
 * read afterwards (bench lab `--timeline`). Bounded: a ring of the last `capacity` events.
 */

/** One timeline entry; `t` is wall-clock ms (Date.now) so viewers line up with each other. */
export interface TimelineEvent {
  t: number;
  kind: string;
  seq?: number;
  [field: string]: unknown;
}

export interface TimelineDump {
  capacity: number;
  /** Events recorded in all (the oldest `recorded - events.length` were overwritten). */
  recorded: number;
  events: TimelineEvent[];
}

interface OpenTransfer {
  t0: number;
  kind: string;
  seq: number;
  bytes: number;
  detail: Record<string, unknown>;
}

/** Transfers open at once beyond this are forgotten (oldest first): a leak guard, not a limit. */
const MAX_OPEN_TRANSFERS = 1000;

export const DEFAULT_TIMELINE_CAPACITY = 5000;

export class Timeline {
  private readonly ring: (TimelineEvent | undefined)[];
  private next = 0;
  private recordedCount = 0;
  private readonly open = new Map<string, OpenTransfer>();

  constructor(
    readonly capacity = DEFAULT_TIMELINE_CAPACITY,
    private readonly wall: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error(`timeline capacity must be a positive integer, not ${capacity}`);
    this.ring = new Array<TimelineEvent | undefined>(capacity);
  }

  record(kind: string, seq: number | null, detail: Record<string, unknown> = {}): void {
    const event: TimelineEvent = { ...detail, t: this.wall(), kind };
    if (seq !== null) event.seq = seq;
    this.ring[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    this.recordedCount += 1;
  }

  /**
   * A transfer (HTTP fetch, peer request) starts: `<kind>-start` now, and `<kind>-end` with its
   * start time `t0`, bytes and outcome when `end(id)` is called, so one event draws a bar.
   */
  begin(id: string, kind: string, seq: number, detail: Record<string, unknown> = {}): void {
    if (this.open.size >= MAX_OPEN_TRANSFERS) this.open.delete(this.open.keys().next().value as string);
    this.open.set(id, { t0: this.wall(), kind, seq, bytes: 0, detail });
    this.record(`${kind}-start`, seq, { id, ...detail });
  }

  /** Bytes arrived for transfer `id`; true when it is open. */
  progress(id: string, bytes: number): boolean {
    const transfer = this.open.get(id);
    if (transfer) transfer.bytes += bytes;
    return transfer !== undefined;
  }

  end(id: string, outcome: string, detail: Record<string, unknown> = {}): void {
    const transfer = this.open.get(id);
    if (!transfer) return;
    this.open.delete(id);
    this.record(`${transfer.kind}-end`, transfer.seq, {
      id,
      ...transfer.detail,
      ...detail,
      t0: transfer.t0,
      bytes: transfer.bytes,
      outcome,
    });
  }

  /** Ids of open transfers whose id starts with `prefix` (e.g. every request to one peer). */
  openIds(prefix: string): string[] {
    return [...this.open.keys()].filter((id) => id.startsWith(prefix));
  }

  /** The kept events, oldest first. */
  events(): TimelineEvent[] {
    const kept = Math.min(this.recordedCount, this.capacity);
    const out: TimelineEvent[] = [];
    for (let i = 0; i < kept; i++) {
      const event = this.ring[(this.next - kept + i + this.capacity) % this.capacity];
      if (event) out.push(event);
    }
    return out;
  }

  dump(): TimelineDump {
    return { capacity: this.capacity, recorded: this.recordedCount, events: this.events() };
  }
}
