/**
 * The viewer's side of the operator plane: control from acks and pushes (newest wins), the
 * effective mode and its reason, beacons' counters, the upload policy, link counting.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_CHANNEL_WINDOW } from "../../src/p2p/channel_window";
import { LinkStats } from "../../src/p2p/link_stats";
import { OperatorLink, SLOT_BPS, UNMEASURED_BUDGET_BPS, uploadLimits, viewerKey, type BeaconPort } from "../../src/p2p/operator_link";
import { MeasuredUploadCap, type MeasuredLimits } from "../../src/p2p/measured_cap";
import { loadVectors } from "../vectors";
import { p2pStatus, type StatusInput } from "../../src/p2p/p2p_status";
import { selectedPairType, type Link, type PeerLinkOptions } from "../../src/p2p/peer_link";
import { cohortBucket, type Beacon, type Control } from "../../src/protocol/beacon_schema";
import { DEFAULT_OPTIONS } from "../../src/config";
import { beaconCounters } from "../../src/swarm";
import { emptyStats } from "../../src/stats";

const control = (changes: Partial<Control> = {}): Control => ({
  stream: "demo",
  version: 1,
  p2p: true,
  ramp_percent: 100,
  shadow: false,
  upload: { cap_bps: null, save_data: true, background_percent: 50 },
  ...changes,
});

function fields(): Omit<Beacon, "seq"> {
  return {
    ...beaconCounters(emptyStats(), 0),
    rendition: "360p",
    p2p: "on",
    reason: null,
    conn_attempts: 0,
    conn_successes: 0,
    pairs: { host: 0, srflx: 0, prflx: 0, relay: 0 },
  };
}

function link(key = "viewer-1", answer: Control = control()) {
  const sent: Beacon[] = [];
  const modes: [string, string | null][] = [];
  const port: BeaconPort = {
    beacon: async (b) => {
      sent.push(b);
      return answer;
    },
  };
  const op = new OperatorLink({ intervalMs: 10_000, viewerKey: key, pageAllows: () => true, fields, onMode: (m, r) => void modes.push([m, r]) });
  return { op, port, sent, modes };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("operator link", () => {
  it("beacons when attached and every interval, and applies the ack's control", async () => {
    vi.useFakeTimers();
    const { op, port, sent, modes } = link("viewer-1", control({ p2p: false }));
    await op.attach(port);
    expect(sent.map((b) => b.seq)).toEqual([1]);
    expect(modes).toEqual([["off", "operator-off"]]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sent.map((b) => b.seq)).toEqual([1, 2, 3]);
    expect(modes).toHaveLength(1); // unchanged control: no new decision
    op.detach();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sent).toHaveLength(3);
  });

  it("takes pushed control, ignores an older version, and keeps a ramp-up cohort stable", () => {
    // A key in the lower half of the buckets and one in the upper half.
    const keys = Array.from({ length: 50 }, (_, i) => `v${i}`);
    const low = keys.find((k) => cohortBucket(k) < 5000) as string;
    const high = keys.find((k) => cohortBucket(k) >= 5000) as string;
    const a = link(low);
    const b = link(high);
    for (const { op } of [a, b]) {
      op.apply(control({ version: 3, ramp_percent: 50 }));
      op.apply(control({ version: 2, ramp_percent: 0 })); // stale: ignored
    }
    expect(a.op.decision).toEqual({ mode: "on", reason: null });
    expect(b.op.decision).toEqual({ mode: "off", reason: "ramp-cohort" });
    b.op.apply(control({ version: 4, ramp_percent: 100, shadow: true }));
    expect(b.modes.at(-1)).toEqual(["shadow", "shadow"]);
  });

  it("keeps a random viewer key in localStorage", () => {
    const store = new Map<string, string>();
    vi.stubGlobal("localStorage", { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) });
    try {
      const first = viewerKey(null);
      expect(first).toMatch(/^[0-9a-f]{24}$/);
      expect(viewerKey(null)).toBe(first);
      expect(viewerKey("given")).toBe("given");
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("p2p status", () => {
  const base: StatusInput = {
    pageAllows: true,
    secureContext: true,
    banned: false,
    signalingRefused: null,
    signalingDown: false,
    operator: { mode: "on", reason: null },
    joined: true,
    neighbours: 2,
    attempts: 2,
    successes: 1,
    candidates: 4,
    attemptsSettled: true,
  };
  it.each([
    [{}, "on", null],
    [{ pageAllows: false, operator: { mode: "off", reason: "operator-off" } }, "off", "page-opt-out"],
    [{ secureContext: false }, "off", "insecure-context"],
    [{ banned: true }, "off", "banned"],
    [{ signalingRefused: "prefix-full" }, "off", "signaling-refused"],
    [{ operator: { mode: "off", reason: "ramp-cohort" } }, "off", "ramp-cohort"],
    [{ signalingDown: true }, "off", "signaling-unreachable"],
    [{ operator: { mode: "shadow", reason: "shadow" } }, "shadow", "shadow"],
    [{ successes: 0, candidates: 0 }, "on", "no-ice-candidates"],
    [{ successes: 0 }, "on", "all-connections-failed"],
    [{ successes: 0, attemptsSettled: false }, "on", null],
    [{ successes: 0, attempts: 0, neighbours: 0 }, "on", "no-neighbours"],
  ] as const)("%j -> %s (%s)", (changes, mode, reason) => {
    const status = p2pStatus({ ...base, ...changes } as StatusInput);
    expect([status.mode, status.reason]).toEqual([mode, reason]);
    expect(status.text.length).toBeGreaterThan(1);
  });
  it("says which refusal", () => {
    expect(p2pStatus({ ...base, signalingRefused: "token-expired" }).text).toContain("token-expired");
  });
});

describe("upload policy", () => {
  const env = { saveData: false, hidden: false };
  it("caps, halves in the background, and leeches on saveData", () => {
    expect(uploadLimits(DEFAULT_OPTIONS, null, env)).toEqual({ rateBytesPerS: null, slots: 8, budgetBps: 0 }); // nothing set
    const policy = control({ upload: { cap_bps: 8_000_000, save_data: true, background_percent: 50 } }).upload;
    expect(uploadLimits(DEFAULT_OPTIONS, policy, env)).toEqual({ rateBytesPerS: 1_000_000, slots: 8, budgetBps: 8_000_000 });
    expect(uploadLimits(DEFAULT_OPTIONS, policy, { ...env, hidden: true }).rateBytesPerS).toBe(500_000);
    expect(uploadLimits(DEFAULT_OPTIONS, policy, { ...env, saveData: true })).toEqual({ rateBytesPerS: null, slots: 0, budgetBps: 0 });
    const page = { ...DEFAULT_OPTIONS, uploadCapBytesPerS: 100_000 }; // the page's own cap is lower
    expect(uploadLimits(page, policy, env).rateBytesPerS).toBe(100_000);
  });
});

describe("upload policy in the running session", () => {
  function governed(initial: Control, upload = DEFAULT_OPTIONS, measuredLimits?: () => MeasuredLimits | null) {
    const applied: [number | null, number][] = [];
    const env = { saveData: false, hidden: false };
    const sent: Beacon[] = [];
    const measured: { bps: number | null } = { bps: null };
    const op = new OperatorLink({
      intervalMs: 10_000,
      viewerKey: "v",
      pageAllows: () => true,
      fields,
      onMode: () => undefined,
      upload,
      measuredUploadBps: () => measured.bps,
      measuredLimits,
      onUpload: (l) => void applied.push([l.rateBytesPerS, l.slots]),
      env: () => env,
    });
    const port: BeaconPort = { beacon: async (b) => (sent.push(b), initial) };
    return { op, port, applied, env, sent, measured };
  }

  it("hands a changed policy and a background tab to the session, and beacons the capacity", async () => {
    const doc = Object.assign(new EventTarget(), { visibilityState: "visible" });
    vi.stubGlobal("document", doc); // node has none: the link listens to this one
    const { op, port, applied, env, sent } = governed(control(), { ...DEFAULT_OPTIONS, uploadBudgetBps: 20_000_000 });
    await op.attach(port);
    expect(op.takeUploadLimits()).toEqual({ rateBytesPerS: null, slots: 8, budgetBps: 20_000_000 }); // the join's
    expect(sent[0]?.upload_capacity_bps).toBe(20_000_000); // no cap: the page's budget
    op.apply(control({ version: 2 })); // same limits: nothing to do
    expect(applied).toEqual([]);
    op.apply(control({ version: 3, upload: { cap_bps: 800_000, save_data: true, background_percent: 50 } }));
    expect(applied).toEqual([[100_000, 1]]); // 0.8 Mbit/s: one neighbour served at a time
    env.hidden = true;
    doc.visibilityState = "hidden";
    doc.dispatchEvent(new Event("visibilitychange"));
    expect(applied.at(-1)).toEqual([50_000, 1]); // half in the background
    env.saveData = true;
    op.apply(control({ version: 4, upload: { cap_bps: 800_000, save_data: true, background_percent: 50 } }));
    expect(applied.at(-1)).toEqual([null, 0]); // leech only
    await op.send();
    expect(sent.at(-1)?.upload_capacity_bps).toBe(0);
    op.detach();
    vi.unstubAllGlobals();
  });

  it("beacons the measured capacity when neither a cap nor a budget is set, else null; a cap or budget wins", async () => {
    const { op, port, sent, measured } = governed(control());
    await op.attach(port);
    expect(sent[0]?.upload_capacity_bps).toBeNull(); // nothing measured yet: unknown, not 0 and not a guess
    const limits = op.takeUploadLimits();
    expect(limits).toEqual({ rateBytesPerS: null, slots: 8, budgetBps: 0 });
    expect(op.joinBudgetBps(limits)).toBe(UNMEASURED_BUDGET_BPS); // the join still ranks it as before
    measured.bps = 1_600_000;
    await op.send();
    expect(sent.at(-1)?.upload_capacity_bps).toBe(1_600_000);
    expect(op.joinBudgetBps(op.takeUploadLimits())).toBe(1_600_000); // a rejoin announces it too
    op.apply(control({ version: 2, upload: { cap_bps: 8_000_000, save_data: true, background_percent: 50 } }));
    await op.send();
    expect(sent.at(-1)?.upload_capacity_bps).toBe(8_000_000); // the operator's cap in force
    op.apply(control({ version: 3, upload: { cap_bps: 0, save_data: true, background_percent: 50 } }));
    await op.send();
    expect(sent.at(-1)?.upload_capacity_bps).toBe(0); // leech only: 0 whatever was measured
    expect(op.joinBudgetBps(op.takeUploadLimits())).toBe(0);
    op.detach();

    const budgeted = governed(control(), { ...DEFAULT_OPTIONS, uploadBudgetBps: 5_000_000 });
    budgeted.measured.bps = 1_600_000;
    await budgeted.op.attach(budgeted.port);
    expect(budgeted.sent[0]?.upload_capacity_bps).toBe(5_000_000); // the page's own budget wins
    budgeted.op.detach();
  });

  it("caps a page without a cap at 0.7 of its measured small uplink, lifts the cap to probe, and beacons the measurement", async () => {
    let now = 0;
    const cap = new MeasuredUploadCap();
    // A 300 kbit/s stream, the link queueing.
    const { op, port, applied, sent, measured } = governed(control(), DEFAULT_OPTIONS, () => cap.at(now, 300_000, true));
    measured.bps = 150_000;
    await op.attach(port);
    expect(op.takeUploadLimits()).toEqual({ rateBytesPerS: null, slots: 8, budgetBps: 0 }); // nothing measured yet
    cap.measured(now, 18_750); // 150 kbit/s
    op.refreshUpload();
    expect(applied).toEqual([[13_125, 1]]); // 105 kbit/s, one neighbour at a time
    now = 30;
    op.refreshUpload();
    expect(applied.at(-1)).toEqual([null, 1]); // probing: no rate cap, the slots stay
    now = 35;
    op.refreshUpload();
    expect(applied.at(-1)).toEqual([13_125, 1]);
    await op.send();
    expect(sent.at(-1)?.upload_capacity_bps).toBe(150_000); // the measurement, not the cap derived from it
    op.detach();
    const capped = governed(control(), { ...DEFAULT_OPTIONS, uploadCapBytesPerS: 50_000 });
    expect(uploadLimits(DEFAULT_OPTIONS, null, { saveData: false, hidden: false }, null).rateBytesPerS).toBeNull();
    expect(capped.op.takeUploadLimits().rateBytesPerS).toBe(50_000); // the page's own cap: no measured one
  });

  it("tells no session before a join took limits", () => {
    const { op, applied } = governed(control());
    op.apply(control({ version: 5, upload: { cap_bps: 800_000, save_data: true, background_percent: 50 } }));
    expect(applied).toEqual([]);
    expect(op.takeUploadLimits().rateBytesPerS).toBe(100_000);
  });
});

describe("link stats", () => {
  it("counts attempts, opened channels, candidates and pair types", async () => {
    let now = 0;
    const stats = new LinkStats(() => now);
    let captured: PeerLinkOptions | null = null;
    const fake = (o: PeerLinkOptions): Link => {
      captured = o;
      return { peerId: o.peerId, piecesSent: 0, start: async () => undefined, handleSignal: async () => undefined, send: () => undefined, purge: () => undefined, close: () => undefined, selectedPairType: async () => "relay" };
    };
    const opened: string[] = [];
    const relayed: string[] = [];
    const factory = stats.factory(fake);
    now = 5;
    const made = factory({
      peerId: "peer-aaaa",
      initiator: true,
      rtcConfig: {},
      sendSignal: (kind) => void relayed.push(kind),
      handlers: { open: (l) => void opened.push(l.peerId), message: () => undefined, protocolError: () => undefined, closed: () => undefined, pieceSent: () => undefined },
      window: DEFAULT_CHANNEL_WINDOW,
      connectTimeoutMs: 1,
    });
    const options = captured as unknown as PeerLinkOptions;
    options.sendSignal("candidate", { candidate: "candidate:1 1 udp 1 10.0.0.1 1 typ host" });
    options.sendSignal("candidate", { candidate: "" });
    options.handlers.open(made);
    await new Promise((r) => setTimeout(r, 0));
    expect([stats.attempts, stats.successes, stats.candidates, stats.lastAttemptAt]).toEqual([1, 1, 1, 5]);
    expect(stats.pairs.relay).toBe(1);
    expect(opened).toEqual(["peer-aaaa"]);
    expect(relayed).toEqual(["candidate", "candidate"]);
  });

  it("reads the selected pair's local candidate type from WebRTC stats", () => {
    const report = new Map<string, Record<string, unknown>>([
      ["T", { id: "T", type: "transport", selectedCandidatePairId: "P" }],
      ["P", { id: "P", type: "candidate-pair", localCandidateId: "L" }],
      ["L", { id: "L", type: "local-candidate", candidateType: "srflx" }],
    ]);
    expect(selectedPairType(report as unknown as RTCStatsReport)).toBe("srflx");
    expect(selectedPairType(new Map() as unknown as RTCStatsReport)).toBeNull();
  });
});

describe("upload limits: shared vectors (tests/vectors/upload_limits.json)", () => {
  interface Case {
    name: string;
    rate_bytes_per_s: number | null;
    slots: number;
    budget_bps: number;
    cap_bps: number | null;
    expect: { rate_bytes_per_s: number | null; slots: number; budget_bps: number };
  }
  const vectors = loadVectors<{ slot_bps: number; cases: Case[] }>("upload_limits.json");
  it("uses the Python peer's slot size", () => expect(vectors.slot_bps).toBe(SLOT_BPS));
  for (const c of vectors.cases) {
    it(c.name, () => {
      const options = { uploadCapBytesPerS: c.rate_bytes_per_s, uploadSlots: c.slots, uploadBudgetBps: c.budget_bps };
      const policy = c.cap_bps === null ? null : { cap_bps: c.cap_bps, save_data: true, background_percent: 50 };
      expect(uploadLimits(options, policy, { saveData: false, hidden: false })).toEqual({
        rateBytesPerS: c.expect.rate_bytes_per_s,
        slots: c.expect.slots,
        budgetBps: c.expect.budget_bps,
      });
    });
  }
  interface MeasuredCase extends Omit<Case, "expect"> {
    measured: { rate_bytes_per_s: number | null; budget_bps: number };
    expect: { rate_bytes_per_s: number | null; slots: number };
  }
  const measured = loadVectors<{ measured_cases: MeasuredCase[] }>("upload_limits.json").measured_cases;
  for (const c of measured) {
    it(`measured: ${c.name}`, () => {
      const options = { uploadCapBytesPerS: c.rate_bytes_per_s, uploadSlots: c.slots, uploadBudgetBps: c.budget_bps };
      const policy = c.cap_bps === null ? null : { cap_bps: c.cap_bps, save_data: true, background_percent: 50 };
      const got = uploadLimits(options, policy, { saveData: false, hidden: false }, { rateBytesPerS: c.measured.rate_bytes_per_s, budgetBps: c.measured.budget_bps });
      expect({ rate: got.rateBytesPerS, slots: got.slots }).toEqual({ rate: c.expect.rate_bytes_per_s, slots: c.expect.slots });
    });
  }
});
