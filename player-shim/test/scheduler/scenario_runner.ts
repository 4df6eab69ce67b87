/**
 * Runs tests/vectors/scheduler/*.json scenarios of kind "script" against the TS scheduler, with
 * the same semantics as tests/peer/peer_scenario_runner.py (format: that directory's README.md).
 */

import { actionToJson } from "../../src/scheduler/actions";
import { PieceScheduler } from "../../src/scheduler/piece_scheduler";
import { schedulerConfig } from "../../src/scheduler/scheduler_config";
import type { SchedulerStats } from "../../src/scheduler/scheduler_stats";

export type Json = Record<string, unknown>;

export class ScenarioFailure extends Error {}

export function makeScheduler(scenario: Json, nodeId?: string): PieceScheduler {
  const config = schedulerConfig((scenario.config as Record<string, unknown>) ?? {});
  return new PieceScheduler(config, nodeId ?? ((scenario.local_peer_id as string) ?? "me"), Number(scenario.start ?? 0), Boolean(scenario.seeder ?? false));
}

const num = (e: Json, k: string): number => e[k] as number;
const str = (e: Json, k: string): string => e[k] as string;

const EVENTS: Record<string, (s: PieceScheduler, now: number, e: Json) => void> = {
  peer_connected: (s, now, e) => s.peerConnected(now, str(e, "peer"), (e.capabilities as number) ?? 1, (e.max_pieces_per_request as number) ?? 16),
  peer_closed: (s, now, e) => s.peerClosed(now, str(e, "peer")),
  peer_have: (s, now, e) => s.peerHave(now, str(e, "peer"), [...(e.seqs as number[])]),
  peer_have_delta: (s, now, e) => s.peerHaveDelta(now, str(e, "peer"), num(e, "seq")),
  peer_have_pieces: (s, now, e) => s.peerHavePieces(now, str(e, "peer"), num(e, "seq"), [...(e.pieces as number[])], (e.origin_rate as number | undefined) ?? 0),
  peer_choked: (s, now, e) => s.peerChoked(now, str(e, "peer"), e.choked as boolean),
  set_swarm_size: (s, now, e) => s.setSwarmSize(now, num(e, "size")),
  set_connecting_peers: (s, now, e) => s.setConnectingPeers(now, num(e, "count")),
  segment_added: (s, now, e) =>
    s.segmentAdded(now, num(e, "seq"), {
      size: num(e, "size"),
      pieceSize: num(e, "piece_size"),
      start: num(e, "start"),
      duration: num(e, "duration"),
      liveEdge: (e.live_edge as boolean) ?? false,
    }),
  segment_removed: (s, now, e) => s.segmentRemoved(now, num(e, "seq")),
  set_playhead: (s, now, e) => s.setPlayhead(now, num(e, "position"), e.playing as boolean),
  piece_received: (s, now, e) => s.pieceReceived(now, str(e, "peer"), num(e, "request_id"), num(e, "seq"), num(e, "index"), (e.valid as boolean) ?? true),
  pieces_received: (s, now, e) => {
    for (let i = num(e, "first_piece"); i < num(e, "first_piece") + num(e, "piece_count"); i++) {
      s.pieceReceived(now, str(e, "peer"), num(e, "request_id"), num(e, "seq"), i, true);
    }
  },
  request_rejected: (s, now, e) => s.requestRejected(now, str(e, "peer"), num(e, "request_id"), e.reason as "busy"),
  http_piece_received: (s, now, e) => s.httpPieceReceived(now, num(e, "fetch_id"), num(e, "seq"), num(e, "index"), (e.valid as boolean) ?? true),
  http_pieces_received: (s, now, e) => {
    for (let i = num(e, "first_piece"); i < num(e, "first_piece") + num(e, "piece_count"); i++) {
      s.httpPieceReceived(now, num(e, "fetch_id"), num(e, "seq"), i, true);
    }
  },
  http_failed: (s, now, e) => s.httpFailed(now, num(e, "fetch_id")),
  upload_request: (s, now, e) => s.uploadRequest(now, str(e, "peer"), num(e, "request_id"), num(e, "seq"), num(e, "first_piece"), num(e, "piece_count")),
  upload_cancel: (s, now, e) => s.uploadCancel(now, str(e, "peer"), num(e, "request_id")),
  set_upload_limits: (s, now, e) => s.setUploadLimits(now, e.rate_bytes_per_s === null ? null : num(e, "rate_bytes_per_s"), num(e, "slots")),
  set_measured_uplink: (s, now, e) => s.setMeasuredUplink(now, e.rate_bytes_per_s === null ? null : num(e, "rate_bytes_per_s")),
  seed_http_rate: (s, _now, e) => s.clock.seedHttpRate(num(e, "rate_bytes_per_s"), e.measured_at === undefined ? null : num(e, "measured_at")),
  player_load: (s, now, e) => s.playerLoad(now, num(e, "seq"), num(e, "start"), num(e, "duration"), e.size === undefined ? 0 : num(e, "size")),
  player_load_ended: (s, now, e) => s.playerLoadEnded(now, num(e, "seq")),
};

export function applyEvent(sched: PieceScheduler, now: number, event: Json): void {
  const handler = EVENTS[event.event as string];
  if (!handler) throw new ScenarioFailure(`unknown event ${String(event.event)}`);
  handler(sched, now, event);
}

/** Fires every timer due at or before `to`, in order, collecting the actions. */
export function advance(sched: PieceScheduler, to: number, log: Json[]): void {
  for (let i = 0; i < 100_000; i++) {
    const when = sched.nextTimer();
    if (when === null || when > to) return;
    sched.handleTimer(when);
    for (const a of sched.popActions()) log.push({ ...actionToJson(a), at: when });
  }
  throw new ScenarioFailure("timers do not converge");
}

function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `"$name"` values in patterns bind on first use and must match afterwards. */
class Bindings {
  readonly values = new Map<string, unknown>();

  substitute(value: unknown): unknown {
    if (typeof value === "string" && value.startsWith("$")) {
      if (!this.values.has(value)) throw new ScenarioFailure(`unbound variable ${value}`);
      return this.values.get(value);
    }
    if (Array.isArray(value)) return value.map((v) => this.substitute(v));
    return value;
  }

  matches(pattern: Json, action: Json, bind: boolean): boolean {
    const fresh = new Map<string, unknown>();
    for (const [key, want] of Object.entries(pattern)) {
      if (key === "at_max" || key === "at_min") {
        const at = action.at as number;
        if (key === "at_max" ? at > (want as number) : at < (want as number)) return false;
        continue;
      }
      if (!(key in action)) return false;
      const got = action[key];
      if (typeof want === "string" && want.startsWith("$")) {
        const known = this.values.has(want) ? this.values.get(want) : fresh.get(want);
        if (known === undefined) fresh.set(want, got);
        else if (!jsonEqual(known, got)) return false;
      } else if (!jsonEqual(want, got)) {
        return false;
      }
    }
    if (bind) for (const [k, v] of fresh) this.values.set(k, v);
    return true;
  }
}

function snake(stats: SchedulerStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  return out;
}

function check(expect: Json, log: Json[], sched: PieceScheduler, bindings: Bindings): void {
  if ("actions" in expect) {
    const patterns = expect.actions as Json[];
    if (patterns.length !== log.length) throw new ScenarioFailure(`expected ${patterns.length} actions, got ${log.length}`);
    patterns.forEach((pattern, i) => {
      if (!bindings.matches(pattern, log[i] as Json, true)) throw new ScenarioFailure(`${JSON.stringify(log[i])} does not match ${JSON.stringify(pattern)}`);
    });
  }
  for (const pattern of (expect.contains as Json[] | undefined) ?? []) {
    const hit = log.find((a) => bindings.matches(pattern, a, false));
    if (!hit) throw new ScenarioFailure(`no action matches ${JSON.stringify(pattern)}`);
    bindings.matches(pattern, hit, true);
  }
  for (const pattern of (expect.absent as Json[] | undefined) ?? []) {
    const hit = log.find((a) => bindings.matches(pattern, a, false));
    if (hit) throw new ScenarioFailure(`unexpected ${JSON.stringify(hit)} (matches ${JSON.stringify(pattern)})`);
  }
  const stats = snake(sched.stats);
  for (const [key, want] of Object.entries((expect.stats as Json | undefined) ?? {})) {
    if (stats[key] !== want) throw new ScenarioFailure(`stats.${key} = ${stats[key]}, expected ${String(want)}`);
  }
  if ("next_timer" in expect) {
    const got = sched.nextTimer();
    const want = expect.next_timer as number | null;
    if ((got === null) !== (want === null) || (got !== null && want !== null && Math.abs(got - want) > 1e-9)) {
      throw new ScenarioFailure(`next_timer = ${got}, expected ${want}`);
    }
  }
}

/** Runs a "script" scenario; throws ScenarioFailure with context on the first mismatch. */
export function runScript(scenario: Json): void {
  const sched = makeScheduler(scenario);
  const bindings = new Bindings();
  const log: Json[] = [];
  let now = Number(scenario.start ?? 0);
  (scenario.steps as Json[]).forEach((step, number) => {
    const at = Number(step.at ?? now);
    if (at < now) throw new ScenarioFailure(`step ${number}: time goes backwards`);
    if (step.before_timers !== true) advance(sched, at, log);
    now = at;
    try {
      if ("event" in step) {
        const event: Json = {};
        for (const [k, v] of Object.entries(step)) event[k] = bindings.substitute(v);
        applyEvent(sched, now, event);
        for (const a of sched.popActions()) log.push({ ...actionToJson(a), at: now });
      }
      if ("expect" in step) {
        check(step.expect as Json, log, sched, bindings);
        log.length = 0;
      }
    } catch (e) {
      if (!(e instanceof ScenarioFailure)) throw e;
      throw new ScenarioFailure(`${String(scenario.name)}: step ${number} at t=${now}: ${e.message}\nactions: ${JSON.stringify(log)}`);
    }
  });
}
