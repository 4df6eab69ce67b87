/**
 * This viewer's side of the operator plane (docs/protocol.md §4.7): sends beacons over the
 * signaling connection (when it opens, every `beaconIntervalMs`, and when the page is hidden)
 * and keeps the stream's control, from beacon acks and pushed `control` events, telling the
 * engine when this viewer's mode (on / off / shadow) or its upload limits change (a new
 * policy, the tab going to the background and back), so the running session follows at once.
 */

import type { SwarmcastOptions } from "../config";
import { effectiveMode, type Beacon, type Control, type OffReason, type P2PMode, type UploadPolicy } from "../protocol/beacon_schema";
import type { MeasuredLimits } from "./measured_cap";

export interface BeaconPort {
  beacon(payload: Beacon): Promise<Control>;
}

export interface OperatorLinkDeps {
  intervalMs: number;
  viewerKey: string;
  /** The page's own wish (`?p2p=0`, `setP2P(false)`): it can opt out, never in. */
  pageAllows: () => boolean;
  /** The beacon's counters, read when it is sent. */
  fields: () => Omit<Beacon, "seq">;
  /** The operator's decision for this viewer changed (or arrived). */
  onMode: (mode: P2PMode, reason: OffReason | null, control: Control) => void;
  /** The page's own upload options, narrowed by the operator's upload policy. */
  upload?: Pick<SwarmcastOptions, "uploadCapBytesPerS" | "uploadSlots" | "uploadBudgetBps">;
  /** This viewer's upload capacity measured while backlogged (uplink_meter.ts), bits/s; null: not yet. */
  measuredUploadBps?: () => number | null;
  /** The cap and budget that measurement allows now (measured_cap.ts); null: none. */
  measuredLimits?: () => MeasuredLimits | null;
  /** The upload limits changed (policy, visibility, saveData): apply them to the session. */
  onUpload?: (limits: UploadLimits) => void;
  /** This browser's state for the upload policy (tests pass their own). */
  env?: () => { saveData: boolean; hidden: boolean };
}

export interface UploadLimits {
  rateBytesPerS: number | null;
  slots: number;
  budgetBps: number;
}

const VIEWER_KEY_STORAGE = "swarmcast-viewer-key";

/** A stable random key per browser (ramp-up cohorts); a fresh one where storage is blocked. */
export function viewerKey(given: string | null): string {
  if (given) return given;
  const fresh = (): string => Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    const storage = globalThis.localStorage;
    const stored = storage?.getItem(VIEWER_KEY_STORAGE);
    if (stored) return stored;
    const key = fresh();
    storage?.setItem(VIEWER_KEY_STORAGE, key);
    return key;
  } catch {
    return fresh();
  }
}

export class OperatorLink {
  private port: BeaconPort | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Re-reads the measured limits (a probe starts or ends on its own clock). */
  private limitsTimer: ReturnType<typeof setInterval> | null = null;
  private seq = 0;
  private current: Control | null = null;
  private mode: { mode: P2PMode; reason: OffReason | null } | null = null;
  /** The limits the running session got (at join, or since): null before a join. */
  private applied: UploadLimits | null = null;
  private readonly onHidden = (): void => {
    if (globalThis.document?.visibilityState === "hidden") void this.send();
    this.refreshUpload();
  };
  private readonly onPageHide = (): void => void this.send();

  constructor(private readonly deps: OperatorLinkDeps) {}

  get control(): Control | null {
    return this.current;
  }

  /** The operator has P2P off for this viewer (kill switch or ramp-up cohort). */
  get off(): boolean {
    return this.mode?.mode === "off";
  }

  /** The operator's decision for this viewer (null before the first control). */
  get decision(): { mode: P2PMode; reason: OffReason | null } | null {
    return this.mode;
  }

  /** A signaling connection opened: beacon now (its ack brings the control), then periodically. */
  async attach(port: BeaconPort): Promise<void> {
    this.detach();
    this.port = port;
    this.timer = setInterval(() => void this.send(), this.deps.intervalMs);
    if (this.deps.measuredLimits) this.limitsTimer = setInterval(() => this.refreshUpload(), LIMITS_CHECK_MS);
    globalThis.document?.addEventListener("visibilitychange", this.onHidden);
    globalThis.addEventListener?.("pagehide", this.onPageHide);
    await this.send();
  }

  detach(): void {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.limitsTimer !== null) clearInterval(this.limitsTimer);
    this.timer = this.limitsTimer = null;
    this.port = null;
    globalThis.document?.removeEventListener("visibilitychange", this.onHidden);
    globalThis.removeEventListener?.("pagehide", this.onPageHide);
  }

  /** Sends one beacon now; resolves with it once its ack's control is applied (null: not sent). */
  async send(): Promise<Beacon | null> {
    const port = this.port;
    if (!port) return null;
    this.seq += 1;
    const beacon = { seq: this.seq, ...this.deps.fields(), upload_capacity_bps: this.uploadCapacityBps() };
    try {
      this.apply(await port.beacon(beacon));
      return beacon;
    } catch {
      // Refused (rate-limited) or lost: counters are cumulative, the next one carries them.
      return null;
    }
  }

  /** A control from a beacon ack or a `control` event; older versions are ignored. */
  apply(control: Control): void {
    if (this.current && control.stream === this.current.stream && control.version < this.current.version) return;
    this.current = control;
    this.reevaluate();
    this.refreshUpload();
  }

  /** Upload cap, slots and announced budget now: the page's options under the policy, or what the measured uplink allows. */
  uploadLimits(): UploadLimits {
    return this.limitsWith(this.deps.measuredLimits?.() ?? null);
  }

  private limitsWith(measured: MeasuredLimits | null): UploadLimits {
    const options = this.deps.upload ?? { uploadCapBytesPerS: null, uploadSlots: 0, uploadBudgetBps: 0 };
    return uploadLimits(options, this.current?.upload ?? null, (this.deps.env ?? uploadEnv)(), measured);
  }

  /**
   * What beacons report as `upload_capacity_bps` (peer/operator_control.py, same order): 0 when
   * this viewer uploads nothing, the cap or the page's budget when there is one (the smaller),
   * else the capacity measured while its channels were backlogged, else null (unknown: signaling
   * keeps the join's announcement). Never the bytes it happened to upload: that is demand.
   */
  uploadCapacityBps(): number | null {
    const given = this.limitsWith(null);
    if (given.slots === 0) return 0;
    if (given.budgetBps > 0) return given.budgetBps;
    return this.deps.measuredUploadBps?.() ?? null;
  }

  /**
   * The budget a join announces: the limits' (0 for a leech), else the measured capacity, else
   * UNMEASURED_BUDGET_BPS: before anything is measured signaling ranks the viewer as a good
   * uploader, as it did when every page announced that much.
   */
  joinBudgetBps(limits: UploadLimits): number {
    if (limits.slots === 0) return 0;
    return this.uploadCapacityBps() ?? UNMEASURED_BUDGET_BPS;
  }

  /** The limits for a session starting now (a join); later changes go to `onUpload`. */
  takeUploadLimits(): UploadLimits {
    this.applied = this.uploadLimits();
    return this.applied;
  }

  /** Tells the engine when the limits differ from the ones its session has (a policy, the tab, a new measurement). */
  refreshUpload(): void {
    const next = this.uploadLimits();
    const last = this.applied;
    if (!last || (last.rateBytesPerS === next.rateBytesPerS && last.slots === next.slots)) return;
    this.applied = next;
    this.deps.onUpload?.(next);
  }

  /** Recomputes this viewer's mode (e.g. after the page changed its own wish). */
  reevaluate(): void {
    if (!this.current) return;
    const next = effectiveMode(this.current, this.deps.viewerKey, this.deps.pageAllows());
    const changed = !this.mode || this.mode.mode !== next.mode || this.mode.reason !== next.reason;
    this.mode = next;
    if (changed) this.deps.onMode(next.mode, next.reason, this.current);
  }
}

/** Upload budget per upload slot (signaling's good upload per link; peer/operator_control.py). */
export const SLOT_BPS = 1_000_000;

/** How often the measured limits are re-read (ms): a probe of measured_cap.ts starts or ends. */
const LIMITS_CHECK_MS = 1_000;

/** What a join announces with no cap, no page budget and nothing measured yet (bits/s). */
export const UNMEASURED_BUDGET_BPS = 20_000_000;

/**
 * Upload cap (bytes/s), slots and the budget announced at join, under the operator's upload
 * policy: its cap, no upload on saveData/metered connections, a share in background tabs. A page
 * that sets no cap gets the one its measured uplink allows (`measured`, measured_cap.ts): its
 * rate (none while probing) and its budget, which sets the slots.
 */
export function uploadLimits(
  options: Pick<SwarmcastOptions, "uploadCapBytesPerS" | "uploadSlots" | "uploadBudgetBps">,
  policy: UploadPolicy | null,
  env: { saveData: boolean; hidden: boolean },
  measured: MeasuredLimits | null = null,
): UploadLimits {
  const fromMeasurement = options.uploadCapBytesPerS === null ? measured : null;
  let rate = options.uploadCapBytesPerS ?? fromMeasurement?.rateBytesPerS ?? null;
  if (policy?.cap_bps != null) rate = Math.min(rate ?? Infinity, policy.cap_bps / 8);
  if (policy && env.hidden && policy.background_percent < 100 && rate !== null) rate = (rate * policy.background_percent) / 100;
  if ((policy?.save_data && env.saveData) || rate === 0 || (policy && env.hidden && policy.background_percent === 0)) {
    return { rateBytesPerS: null, slots: 0, budgetBps: 0 }; // leech only
  }
  // The smaller of the page's budget and the cap; one slot per SLOT_BPS of it, at least one:
  // a 1 Mbit/s uplink serving eight neighbours at once trickles every piece past its deadline
  // (the Python peer's rule, tests/vectors/upload_limits.json).
  const budgets = [options.uploadBudgetBps, rate !== null ? Math.round(rate * 8) : 0, fromMeasurement?.budgetBps ?? 0].filter((b) => b > 0);
  const budgetBps = budgets.length > 0 ? Math.min(...budgets) : 0;
  const slots = budgetBps > 0 ? Math.min(options.uploadSlots, Math.max(1, Math.floor(budgetBps / SLOT_BPS))) : options.uploadSlots;
  return { rateBytesPerS: rate, slots, budgetBps };
}

/** This browser's state for the upload policy: saveData or a cellular link, a hidden tab. */
export function uploadEnv(): { saveData: boolean; hidden: boolean } {
  const connection = (globalThis.navigator as { connection?: { saveData?: boolean; type?: string } } | undefined)?.connection;
  return { saveData: connection?.saveData === true || connection?.type === "cellular", hidden: globalThis.document?.visibilityState === "hidden" };
}
