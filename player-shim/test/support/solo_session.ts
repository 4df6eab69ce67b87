/**
 * A swarm session with no neighbours yet, its origin answering Range requests with `streamRange`.
 * `overrides` swaps in a test's own signaling port or link factory (e.g. fake links with a path).
 */
import { DEFAULT_OPTIONS } from "../../src/config";
import { Emitter } from "../../src/events";
import { SwarmSession, type SessionDeps } from "../../src/p2p/swarm_session";
import { schedulerConfig } from "../../src/scheduler/scheduler_config";
import { MemoryNetwork } from "./memory_links";

export function soloSession(
  streamRange: SessionDeps["origin"]["streamRange"],
  record: SessionDeps["record"],
  overrides: Partial<Pick<SessionDeps, "signaling" | "createLink">> = {},
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
