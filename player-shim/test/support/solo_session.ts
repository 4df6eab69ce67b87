/**
 * A swarm session with no neighbours yet, its origin answering Range requests with `streamRange`.
 * `overrides` swaps in a test's own dependencies (signaling port, link factory, options, ...).
 */
import { DEFAULT_OPTIONS } from "../../src/config";
import { Emitter } from "../../src/events";
import { SwarmSession, type SessionDeps } from "../../src/p2p/swarm_session";
import { schedulerConfig } from "../../src/scheduler/scheduler_config";
import { MemoryNetwork } from "./memory_links";

export function soloSession(
  streamRange: SessionDeps["origin"]["streamRange"],
  record: SessionDeps["record"],
  overrides: Partial<SessionDeps> = {},
): SwarmSession {
  return new SwarmSession({
    swarm: "demo/360p",
    localPeerId: "viewC000",
    options: { ...DEFAULT_OPTIONS },
    schedulerConfig: schedulerConfig(),
    rtcConfig: {},
    clock: performance,
    emitter: new Emitter(),
    signaling: { signal: () => undefined, report: () => undefined },
    origin: { streamRange },
    record,
    createLink: new MemoryNetwork().factoryFor("viewC000"),
    ...overrides,
  });
}

/**
 * Member `peerId` of a memory network whose origin serves `body`, recording what it asks of
 * signaling (reports) and of the origin (ranges fetched).
 */
export function recordingSession(
  net: MemoryNetwork,
  peerId: string,
  record: SessionDeps["record"],
  body: (start: number, end: number) => AsyncGenerator<Uint8Array>,
  overrides: Partial<SessionDeps> = {},
) {
  const reports: [string, string, number | null][] = [];
  const fetches: [number, number][] = [];
  const streamRange = (_url: string, start: number, end: number) => {
    fetches.push([start, end]);
    return body(start, end);
  };
  const session = soloSession(streamRange, record, {
    localPeerId: peerId,
    signaling: { signal: () => undefined, report: (p, r, s) => void reports.push([p, r, s]) },
    createLink: net.factoryFor(peerId),
    ...overrides,
  });
  return { session, reports, fetches };
}
