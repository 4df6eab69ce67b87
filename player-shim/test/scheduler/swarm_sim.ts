/**
 * Deterministic discrete-event simulation of a swarm of schedulers for scenarios of kind "swarm",
 * ported from tests/peer/peer_swarm_sim.py (rules: tests/vectors/scheduler/README.md).
 */

import { actionToJson } from "../../src/scheduler/actions";
import { electionHash } from "../../src/scheduler/election";
import type { PieceScheduler } from "../../src/scheduler/piece_scheduler";
import { makeScheduler, ScenarioFailure, type Json } from "./scenario_runner";

const CONTROL_BYTES = 16; // every non-PIECE message is this big on the wire model

interface SimNode {
  nodeId: string;
  sched: PieceScheduler;
  neighbours: Set<string>;
  seeder: boolean;
  alive: boolean;
  corrupt: boolean;
  silentFrom: number | null;
  timerGen: number;
  httpSeqs: Set<number>;
}

type Task = () => void;
type Entry = [number, number, Task];

/** Min-heap on (time, insertion order), like Python's heapq of tuples. */
class EventQueue {
  private readonly heap: Entry[] = [];
  private order = 0;

  push(when: number, fn: Task): void {
    const heap = this.heap;
    heap.push([when, this.order++, fn]);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i] as Entry, heap[parent] as Entry)) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry, heap[i] as Entry];
      i = parent;
    }
  }

  peekTime(): number | null {
    return this.heap.length > 0 ? (this.heap[0] as Entry)[0] : null;
  }

  pop(): Entry {
    const heap = this.heap;
    const top = heap[0] as Entry;
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l] as Entry, heap[m] as Entry)) m = l;
        if (r < heap.length && less(heap[r] as Entry, heap[m] as Entry)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Entry, heap[i] as Entry];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

export class SwarmSim {
  readonly nodes = new Map<string, SimNode>();
  private readonly queue = new EventQueue();
  private readonly linkFree = new Map<string, number>();
  now = 0.0;
  readonly missed: [string, number][] = [];
  readonly drops: [string, string][] = [];
  readonly abandons: [string, string, string][] = [];
  private readonly firstSeq: number;
  private readonly count: number;
  private readonly interval: number;
  private readonly size: number;
  private readonly pieceSize: number;
  private readonly linkLatency: number;
  private readonly linkRate: number;
  private readonly httpLatency: number;
  private readonly httpRate: number;

  constructor(private readonly scenario: Json) {
    const stream = scenario.stream as Json;
    const link = scenario.link as Json;
    const http = scenario.http as Json;
    this.firstSeq = Number(stream.first_seq ?? 0);
    this.count = Number(stream.segments);
    this.interval = Number(stream.interval_s);
    this.size = Number(stream.size);
    this.pieceSize = Number(stream.piece_size);
    this.linkLatency = Number(link.latency_s);
    this.linkRate = Number(link.rate_bytes_per_s);
    this.httpLatency = Number(http.latency_s);
    this.httpRate = Number(http.rate_bytes_per_s);
    const ids = (scenario.node_ids as string[] | undefined) ?? Array.from({ length: Number(scenario.nodes) }, (_, i) => `p${String(i).padStart(2, "0")}`);
    const seeders = new Set((scenario.seeders as string[] | undefined) ?? []);
    const adjacency = buildAdjacency(ids, scenario.neighbours ?? "all");
    for (const nodeId of ids) {
      const sched = makeScheduler({ ...scenario, seeder: seeders.has(nodeId) }, nodeId);
      this.nodes.set(nodeId, {
        nodeId,
        sched,
        neighbours: adjacency.get(nodeId) as Set<string>,
        seeder: seeders.has(nodeId),
        alive: true,
        corrupt: false,
        silentFrom: null,
        timerGen: 0,
        httpSeqs: new Set(),
      });
    }
  }

  // --- event queue ---

  at(when: number, fn: Task): void {
    this.queue.push(when, fn);
  }

  /** Runs `fn` on a live node now, then routes its actions and re-arms its timer. */
  onNode(node: SimNode, fn: (s: PieceScheduler, now: number) => void): void {
    if (!node.alive) return;
    fn(node.sched, this.now);
    this.route(node);
    this.arm(node);
  }

  private arm(node: SimNode): void {
    node.timerGen += 1;
    const generation = node.timerGen;
    const when = node.sched.nextTimer();
    if (when === null) return;
    this.at(when, () => {
      if (node.timerGen === generation) this.onNode(node, (s, now) => s.handleTimer(now));
    });
  }

  run(): void {
    const scenario = this.scenario;
    const stream = scenario.stream as Json;
    const delay = Number(scenario.playback_delay_s);
    const duration = Number(stream.duration_s ?? this.interval);
    const size = Number(scenario.swarm_size ?? this.nodes.size);
    const spread = Number(scenario.poll_spread_s ?? 0.0);
    for (const node of this.nodes.values()) {
      this.onNode(node, (s, now) => s.setSwarmSize(now, size));
      if (!node.seeder) this.onNode(node, (s, now) => s.setPlayhead(now, -delay, true));
    }
    const sortedIds = [...this.nodes.keys()].sort();
    for (const aId of sortedIds) {
      const a = this.nodes.get(aId) as SimNode;
      for (const bId of [...a.neighbours].sort()) {
        if (aId < bId) {
          const b = this.nodes.get(bId) as SimNode;
          this.connect(a, b);
          this.connect(b, a);
        }
      }
    }
    const nodes = [...this.nodes.values()];
    for (let k = 0; k < this.count; k++) {
      nodes.forEach((node, index) => {
        const learnAt = k * this.interval + (spread * index) / nodes.length;
        this.at(learnAt, this.addSegment(node, k, duration));
      });
    }
    for (const fault of (scenario.faults as Json[] | undefined) ?? []) this.scheduleFault(fault);
    const end = Number(scenario.run_until_s ?? this.count * this.interval + delay + 2.0);
    for (let t = this.queue.peekTime(); t !== null && t <= end; t = this.queue.peekTime()) {
      const [when, , fn] = this.queue.pop();
      this.now = when;
      fn();
    }
  }

  // --- scripted inputs ---

  private connect(node: SimNode, other: SimNode): void {
    const caps = 1 | (other.seeder ? 2 : 0);
    this.onNode(node, (s, now) => s.peerConnected(now, other.nodeId, caps));
  }

  private addSegment(node: SimNode, k: number, duration: number): Task {
    const seq = this.firstSeq + k;
    return () =>
      this.onNode(node, (s, now) =>
        s.segmentAdded(now, seq, { size: this.size, pieceSize: this.pieceSize, start: k * duration, duration, liveEdge: true }),
      );
  }

  private scheduleFault(fault: Json): void {
    const node = this.nodes.get(fault.node as string) as SimNode;
    const when = Number(fault.at ?? 0.0);
    if (fault.corrupt) node.corrupt = true;
    if ("silent_from" in fault) node.silentFrom = Number(fault.silent_from);
    if (fault.kill) {
      this.at(when, () => {
        node.alive = false;
        for (const otherId of [...node.neighbours].sort()) {
          const other = this.nodes.get(otherId) as SimNode;
          const detect = this.now + Number(fault.close_detect_s ?? 0.0);
          this.at(detect, this.deliver(other, (s, now) => s.peerClosed(now, node.nodeId)));
        }
      });
    }
  }

  // --- routing ---

  private deliver(node: SimNode, fn: (s: PieceScheduler, now: number) => void): Task {
    return () => this.onNode(node, fn);
  }

  /** One message over the ordered src->dst channel. */
  private send(src: SimNode, dstId: string, size: number, fn: (s: PieceScheduler, now: number) => void): void {
    if (src.silentFrom !== null && this.now >= src.silentFrom) return;
    const dst = this.nodes.get(dstId);
    if (!dst || !src.neighbours.has(dstId)) return;
    const key = `${src.nodeId}>${dstId}`;
    const start = Math.max(this.now, this.linkFree.get(key) ?? 0.0);
    const done = start + size / this.linkRate;
    this.linkFree.set(key, done);
    const srcId = src.nodeId;
    // A dropped connection loses what was still in the pipe.
    this.at(done + this.linkLatency, () => {
      if (dst.neighbours.has(srcId)) this.onNode(dst, fn);
    });
  }

  private pieceBytes(index: number): number {
    return Math.min(this.pieceSize, this.size - index * this.pieceSize);
  }

  private route(node: SimNode): void {
    const me = node.nodeId;
    for (const action of node.sched.popActions()) {
      const a = actionToJson(action) as Json & { peer: string };
      const n = (k: string): number => a[k] as number;
      switch (a.action) {
        case "request":
          this.send(node, a.peer, CONTROL_BYTES, (s, now) => s.uploadRequest(now, me, n("request_id"), n("seq"), n("first_piece"), n("piece_count")));
          break;
        case "cancel":
          this.send(node, a.peer, CONTROL_BYTES, (s, now) => s.uploadCancel(now, me, n("request_id")));
          break;
        case "send_piece": {
          const valid = !node.corrupt;
          this.send(node, a.peer, this.pieceBytes(n("index")), (s, now) => s.pieceReceived(now, me, n("request_id"), n("seq"), n("index"), valid));
          break;
        }
        case "reject":
          this.send(node, a.peer, CONTROL_BYTES, (s, now) => s.requestRejected(now, me, n("request_id"), a.reason as "busy"));
          break;
        case "choke":
        case "unchoke": {
          const choked = a.action === "choke";
          this.send(node, a.peer, CONTROL_BYTES, (s, now) => s.peerChoked(now, me, choked));
          break;
        }
        case "send_have":
          this.send(node, a.peer, CONTROL_BYTES, (s, now) => s.peerHave(now, me, a.seqs as number[]));
          break;
        case "announce_have":
          for (const other of [...node.neighbours].sort()) this.send(node, other, CONTROL_BYTES, (s, now) => s.peerHaveDelta(now, me, n("seq")));
          break;
        case "announce_pieces": {
          const pieces = [...(a.pieces as number[])];
          const rate = (a.origin_rate as number | undefined) ?? 0;
          for (const other of [...node.neighbours].sort()) this.send(node, other, CONTROL_BYTES, (s, now) => s.peerHavePieces(now, me, n("seq"), pieces, rate));
          break;
        }
        case "http_fetch":
          this.http(node, a);
          break;
        case "drop_peer":
          this.drops.push([me, a.peer]);
          this.send(node, a.peer, CONTROL_BYTES, (s, now) => s.peerClosed(now, me));
          node.neighbours.delete(a.peer);
          this.nodes.get(a.peer)?.neighbours.delete(me);
          break;
        case "abandon_peer":
          this.abandons.push([me, a.peer, a.reason as string]);
          break;
        case "deadline_missed":
          this.missed.push([me, n("seq")]);
          break;
        default:
          throw new ScenarioFailure(`simulator cannot route ${String(a.action)}`);
      }
    }
  }

  private http(node: SimNode, a: Json): void {
    const seq = a.seq as number;
    node.httpSeqs.add(seq);
    let done = this.now + this.httpLatency;
    const first = a.first_piece as number;
    for (let index = first; index < first + (a.piece_count as number); index++) {
      done += this.pieceBytes(index) / this.httpRate;
      this.at(done, this.deliver(node, (s, now) => s.httpPieceReceived(now, a.fetch_id as number, seq, index, true)));
    }
  }

  // --- results ---

  metrics(): Record<string, number> {
    const viewers = [...this.nodes.values()].filter((n) => !n.seeder);
    const http = viewers.reduce((t, n) => t + n.sched.stats.bytesFromHttp, 0);
    const peers = viewers.reduce((t, n) => t + n.sched.stats.bytesFromPeers, 0);
    const perSeq: number[] = [];
    for (let seq = this.firstSeq; seq < this.firstSeq + this.count; seq++) perSeq.push(viewers.filter((n) => n.httpSeqs.has(seq)).length);
    let incomplete = 0;
    for (const n of viewers) {
      if (!n.alive) continue;
      const complete = new Set(n.sched.completeSeqs());
      for (let seq = this.firstSeq; seq < this.firstSeq + this.count; seq++) if (!complete.has(seq)) incomplete++;
    }
    return {
      offload: http + peers ? peers / (http + peers) : 0.0,
      missed_deadlines: this.missed.length,
      http_nodes_per_segment_mean: perSeq.reduce((t, x) => t + x, 0) / perSeq.length,
      http_nodes_per_segment_max: Math.max(...perSeq),
      bad_pieces: [...this.nodes.values()].reduce((t, n) => t + n.sched.stats.badPieces, 0),
      drops: this.drops.length,
      abandons: this.abandons.length,
      incomplete_segments: incomplete,
    };
  }
}

function buildAdjacency(ids: string[], spec: unknown): Map<string, Set<string>> {
  const adjacency = new Map<string, Set<string>>(ids.map((i) => [i, new Set<string>()]));
  const link = (a: string, b: string): void => {
    adjacency.get(a)?.add(b);
    adjacency.get(b)?.add(a);
  };
  const s = spec as Json;
  if (spec === "all") {
    for (const a of ids) adjacency.set(a, new Set(ids.filter((b) => b !== a)));
  } else if (typeof spec === "object" && spec !== null && "ring" in s) {
    const n = ids.length;
    ids.forEach((a, i) => {
      for (let step = 1; step <= Number(s.ring); step++) {
        for (const b of [ids[(i + step) % n] as string, ids[(((i - step) % n) + n) % n] as string]) if (b !== a) link(a, b);
      }
    });
  } else if (typeof spec === "object" && spec !== null && "random" in s) {
    // Degree-capped random graph, deterministic in any port (see the README).
    const salt = Number(s.seed ?? 0);
    const degree = Number(s.random);
    for (const a of ids) {
      const others = ids.filter((b) => b !== a).sort((x, y) => electionHash(`${a}>${x}`, salt) - electionHash(`${a}>${y}`, salt));
      for (const b of others) {
        if ((adjacency.get(a) as Set<string>).size >= degree) break;
        if ((adjacency.get(b) as Set<string>).size < degree) link(a, b);
      }
    }
  } else {
    for (const [a, others] of Object.entries(s)) for (const b of others as string[]) link(a, b);
  }
  return adjacency;
}

/** Runs a "swarm" scenario and checks its `expect` bounds; returns the metrics. */
export function runSwarm(scenario: Json): Record<string, number> {
  const sim = new SwarmSim(scenario);
  sim.run();
  const metrics = sim.metrics();
  for (const [name, bounds] of Object.entries((scenario.expect as Record<string, { min?: number; max?: number }>) ?? {})) {
    const value = metrics[name] as number;
    if (bounds.min !== undefined && value < bounds.min) throw new ScenarioFailure(`${String(scenario.name)}: ${name} = ${value} < ${bounds.min}`);
    if (bounds.max !== undefined && value > bounds.max) throw new ScenarioFailure(`${String(scenario.name)}: ${name} = ${value} > ${bounds.max}`);
  }
  return metrics;
}
