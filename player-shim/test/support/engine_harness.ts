/**
 * A `P2PEngine` on in-memory fakes: a recording `fetch` serving the origin's files (the engine's
 * `options.fetch`), a signaling server played over a fake socket, and neighbour links on a
 * `MemoryNetwork` (the engine's `EngineNetwork`). Time is the test's: the engine's clock reads
 * `performance.now()`, so vitest's fake timers (with "performance" faked) move both together.
 */
import { DEFAULT_OPTIONS, type SwarmcastOptions } from "../../src/config";
import { Emitter } from "../../src/events";
import { P2PEngine, type FragmentRef } from "../../src/p2p/p2p_engine";
import { integrityUrl } from "../../src/p2p/origin_client";
import { parseIntegrityRecord, type IntegrityRecord } from "../../src/protocol/integrity";
import { Timeline } from "../../src/timeline";
import { FakeSocket, type SocketCall } from "./fake_socket";
import { MemoryNetwork } from "./memory_links";
import { integrityDoc, makeSigner, pseudoRandomBytes, type TestSigner } from "./signed_segments";

export const ORIGIN = "https://cdn.example/live/demo";
export const SIGNALING_URL = "https://signal.example";
/** The engine's peer id in the join acks the stub signaling sends. */
export const ENGINE_PEER = "viewE000";

/** A promise the test settles: a held response, a held join ack. */
export class Gate<T> {
  readonly promise: Promise<T>;
  private settle: (value: T) => void = () => undefined;

  constructor() {
    this.promise = new Promise<T>((resolve) => (this.settle = resolve));
  }

  release(value: T): void {
    this.settle(value);
  }
}

/** One request the engine made: its URL, its Range header, and the clock (ms) when it went out. */
export interface FetchRequest {
  url: string;
  range: string | null;
  at: number;
}

/**
 * The engine's `fetch`: answers from a table (404 otherwise), records every request, and holds
 * the responses of `hold`'s URLs until the test releases them.
 */
export class RecordingFetch {
  readonly requests: FetchRequest[] = [];
  private readonly files = new Map<string, string | Uint8Array>();
  private readonly held = new Map<string, Gate<void>>();
  private readonly waiting: { match: (r: FetchRequest) => boolean; gate: Gate<FetchRequest> }[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  serve(url: string, body: string | Uint8Array): this {
    this.files.set(url, body);
    return this;
  }

  /** The response to `url` waits until `release()` is called. */
  hold(url: string): { release: () => void } {
    const gate = new Gate<void>();
    this.held.set(url, gate);
    return { release: () => gate.release() };
  }

  /** Resolves with the first request to `url` (at once if it was made already). */
  requested(url: string): Promise<FetchRequest> {
    const match = (r: FetchRequest): boolean => r.url === url;
    const done = this.requests.find(match);
    if (done) return Promise.resolve(done);
    const gate = new Gate<FetchRequest>();
    this.waiting.push({ match, gate });
    return gate.promise;
  }

  urls(): string[] {
    return this.requests.map((r) => r.url);
  }

  readonly fn = async (url: string, init: RequestInit): Promise<Response> => {
    const range = new Headers(init.headers).get("Range");
    const request = { url, range, at: this.now() };
    this.requests.push(request);
    for (const w of this.waiting.filter((w) => w.match(request))) {
      this.waiting.splice(this.waiting.indexOf(w), 1);
      w.gate.release(request);
    }
    await this.held.get(url)?.promise;
    const body = this.files.get(url);
    if (body === undefined) return new Response("", { status: 404 });
    if (range && body instanceof Uint8Array) {
      const [from, to] = range.slice("bytes=".length).split("-").map(Number) as [number, number];
      return new Response(body.slice(from, to + 1) as Uint8Array<ArrayBuffer>, { status: 206 });
    }
    return new Response(body as string | Uint8Array<ArrayBuffer>, { status: 200 });
  };
}

/** What the join ack says (docs/protocol.md §4.2): the neighbours and the crowd figures. */
export interface JoinAnswer {
  neighbours: string[];
  arrivals?: { swarmSize: number; recentJoins: number };
}

/**
 * The signaling server over a fake socket: connects at once, acks every beacon with `control`,
 * and hands each `join` to the test (`nextJoin`), which answers it when the scenario wants.
 */
export class StubSignaling {
  readonly socket = new FakeSocket();
  /** The stream's control in beacon acks (§4.7); P2P on for everyone by default. */
  control = { stream: "demo", version: 1, p2p: true, ramp_percent: 100, shadow: false, upload: { cap_bps: null, save_data: false, background_percent: 100 } };
  /** Released at the engine's first beacon: its signaling connection is up (ensureSignaling). */
  readonly firstBeacon = new Gate<void>();
  private readonly joins: SocketCall[] = [];
  private joinWaiter: Gate<SocketCall> | null = null;

  constructor() {
    this.socket.onCall = (call) => {
      if (call.event === "beacon") {
        this.firstBeacon.release();
        call.reply(null, { ok: true, control: this.control });
      }
      else if (call.event === "join") {
        if (this.joinWaiter) {
          this.joinWaiter.release(call);
          this.joinWaiter = null;
        } else this.joins.push(call);
      } else call.reply(null, { ok: true }); // leave, signal, report, path
    };
  }

  /** SignalingOptions.openSocket: the socket connects in the next microtask. */
  readonly openSocket = () => {
    queueMicrotask(() => this.socket.fire("connect"));
    return this.socket.asSocket();
  };

  /** The next `join` the engine sends, with `answer` to ack it. */
  async nextJoin(): Promise<{ payload: unknown; answer: (a: JoinAnswer) => void }> {
    let call = this.joins.shift();
    if (!call) {
      this.joinWaiter = new Gate<SocketCall>();
      call = await this.joinWaiter.promise;
    }
    const { payload, reply } = call;
    const { rendition } = payload as { rendition: string };
    return {
      payload,
      answer: (a) =>
        reply(null, {
          ok: true,
          peer_id: ENGINE_PEER,
          swarm: `demo/${rendition}`,
          neighbours: a.neighbours.map((peer_id) => ({ peer_id, initiator: false, seeder: false })),
          ice_servers: [],
          max_neighbours: 8,
          ...(a.arrivals ? { swarm_size: a.arrivals.swarmSize, recent_joins: a.arrivals.recentJoins } : {}),
        }),
    };
  }
}

/** A live playlist's fragment `sn` of rendition 360p (2 s segments, sn 0 at media time 0). */
export function fragment(sn: number): FragmentRef {
  return { sn, url: `${ORIGIN}/360p/seg-${sn}.m4s`, start: sn * 2, duration: 2, level: 0 };
}

/**
 * An engine with P2P on and its fakes. The origin serves `/api/config`, the stream's signing key,
 * and each of `sns`'s segments with its signed record; `records` has those records parsed (what a
 * neighbour's session is given). No swarm-size poll (it would be one more request per join).
 */
export function engineHarness(sns: number[], overrides: Partial<SwarmcastOptions> = {}) {
  const signer: TestSigner = makeSigner();
  const fetch = new RecordingFetch();
  fetch.serve("/api/config", JSON.stringify({ iceServers: [], signaling: { url: SIGNALING_URL, path: "/socket.io/", namespace: "/swarm" }, tokenUrl: "" }));
  fetch.serve(`${ORIGIN}/signing-key.json`, JSON.stringify(signer.signingKeyJson));
  const records = new Map<number, IntegrityRecord>();
  const segments = new Map<number, Uint8Array>();
  for (const sn of sns) {
    const data = pseudoRandomBytes(40_000, sn + 1);
    const doc = integrityDoc(signer, data, { seq: sn, uri: `seg-${sn}.m4s` });
    fetch.serve(fragment(sn).url, data);
    fetch.serve(integrityUrl(fragment(sn).url), JSON.stringify(doc));
    records.set(sn, parseIntegrityRecord(doc));
    segments.set(sn, data);
  }
  const signaling = new StubSignaling();
  const net = new MemoryNetwork();
  const emitter = new Emitter();
  const timeline = new Timeline();
  const options: SwarmcastOptions = { ...DEFAULT_OPTIONS, viewerKey: "engine-harness", swarmSizePollMs: 0, getToken: async () => "token", ...overrides, fetch: fetch.fn };
  const engine = new P2PEngine(options, emitter, { now: () => performance.now() }, timeline, {
    openSocket: signaling.openSocket,
    createLink: net.factoryFor(ENGINE_PEER),
  });
  /** Timeline events of `kind` so far. */
  const events = (kind: string) => timeline.events().filter((e) => e.kind === kind);
  return { engine, fetch, signaling, net, emitter, timeline, events, signer, records, segments };
}
