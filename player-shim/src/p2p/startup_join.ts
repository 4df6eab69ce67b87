/**
 * A newcomer's first fragments: from the swarm when it can, not each newcomer from the origin.
 *
 * Before this, a fragment hls.js asked for while the swarm join was still running went over plain
 * HTTP at once. In a flash crowd (everyone arriving together) that is every newcomer pulling the
 * same startup segments from an origin that cannot carry them: the first frame came later than
 * with no P2P at all (bench/results/flash-crowd/README.md, "3x all at once"). Now the engine waits,
 * bounded, for the join; if signaling named neighbours, the fragment goes through the swarm,
 * whose scheduler waits for neighbours still connecting and lets one member fetch a segment
 * nobody holds while the others relay its pieces as they arrive (player-shim/README.md, "How a
 * segment is fetched").
 *
 * The wait costs a steady audience on a fast origin its first frame: a fragment from neighbours
 * that are still connecting comes later than the same fragment over an idle link (steady lab,
 * bench/results/flash-crowd/README.md: TTFF 1.04 s against CDN-only's 0.67 s). So once joined,
 * `startsFromSwarm` decides: from the swarm only when it helps (a crowd is arriving, or the
 * origin answered the join's own requests slowly); otherwise hls.js starts over plain HTTP at
 * once and those fragments are handed to the swarm store (p2p_engine.ts `offerHttp`).
 *
 * The wait itself still cost a steady newcomer 0.2-1 s (the join's round trips on a loaded
 * machine: bench/results/flash-crowd/README.md, "Steady"). So a fragment wanted before the join
 * is done goes over plain HTTP at once (`StartupPlan.hedges`), and the engine takes it over for
 * the swarm only if the join then says a crowd is arriving (hls_loader.ts aborts the HTTP copy
 * unless half of it is in). And a startup fragment that came over plain HTTP slowly (more than
 * SLOW_MEDIA_SHARE of its duration) means the origin is congested after all: the fragments after
 * it come from the swarm, where the neighbours that arrived first already hold them. A startup
 * fragment still arriving over HTTP past that point goes to the swarm itself once a neighbour
 * holds the whole segment (`P2PEngine.slowStartupFragment`; hls_loader.ts drops the HTTP copy
 * unless half of it is in).
 */

/** What a newcomer knows when its first fragment is due: the join's figures and its own requests. */
export interface StartupSignals {
  /** Neighbours signaling named in the join ack. */
  neighbours: number;
  /** The ack's crowd figures (docs/protocol.md §4.2); null from a signaling that does not send them. */
  arrivals: { swarmSize: number; recentJoins: number } | null;
  /** How long the slowest of the join's own origin requests (API config, signing key) took, ms. */
  originMs: number | null;
  /** A startup fragment over plain HTTP took more than SLOW_MEDIA_SHARE of its duration. */
  mediaSlow?: boolean;
}

/** Others that joined within signaling's window (4 s: a steady audience joining every 2 s shows at most 2) to count a crowd. */
export const CROWD_RECENT_JOINS = 3;
/**
 * A small origin request slower than this means the origin's link is queueing (the lab's capped
 * link holds up to 200 ms of queue, and a dropped packet costs TCP's 200 ms+ retransmit timer; an
 * idle link answers in a few ms, tens on a loaded machine).
 */
export const SLOW_ORIGIN_MS = 500;

/**
 * A startup fragment over plain HTTP slower than this share of its duration: the viewer's share of
 * the origin's link is under 2x the stream's rate (idle lab origin: 10-120 ms for a 2 s segment,
 * up to 0.6 s on the loaded machine; a 3x-capped origin in a crowd: 2-3 s).
 */
export const SLOW_MEDIA_SHARE = 0.5;

export type StartupWhy = "no-neighbours" | "crowd" | "origin-slow" | "media-slow" | "unknown-arrivals" | "origin-fast";

/**
 * What to do with a startup fragment still arriving over plain HTTP (`P2PEngine.slowStartupFragment`):
 * "take" it from the swarm now, "wait" (ask again later), or "never" (stop asking).
 */
export type SlowStartupAnswer = "take" | "wait" | "never";

/** How often the loader asks about a slow startup fragment over plain HTTP once it is slow, ms. */
export const SLOW_STARTUP_POLL_MS = 250;

/**
 * Whether a newcomer's startup fragments go through the swarm (true) or over plain HTTP (false).
 * A crowd: at least CROWD_RECENT_JOINS others joined recently and they are at least half of the
 * swarm's other members (a large steady audience always has a few recent joins; it is not a crowd).
 */
export function startsFromSwarm(s: StartupSignals): { swarm: boolean; why: StartupWhy } {
  if (s.neighbours <= 0) return { swarm: false, why: "no-neighbours" };
  if (s.mediaSlow) return { swarm: true, why: "media-slow" };
  if (s.originMs !== null && s.originMs >= SLOW_ORIGIN_MS) return { swarm: true, why: "origin-slow" };
  if (s.arrivals === null) return { swarm: true, why: "unknown-arrivals" }; // as before the figures existed
  const others = s.arrivals.swarmSize - 1;
  const recent = s.arrivals.recentJoins;
  if (recent >= CROWD_RECENT_JOINS && 2 * recent >= others) return { swarm: true, why: "crowd" };
  return { swarm: false, why: "origin-fast" };
}

/**
 * Whether the scheduler holds its live election over a segment (`liveEdge`): new at the live edge,
 * or wanted before the first frame. Newcomers arriving together block on the same startup segments
 * nobody holds yet; without the election they all reach the fallback point as their neighbours
 * finish connecting and each fetches them from the origin at the same moment. With it one member
 * goes first, announces its download (HAVE_PIECES) and the others relay it. A segment neighbours
 * already hold is taken from them either way (the election waits only for unheld segments).
 */
export function electsFirstCopy(liveEdge: boolean, started: boolean): boolean {
  return liveEdge || !started;
}

/** Something that knows how many neighbours signaling assigned (a joined swarm session). */
export interface JoinedSwarm {
  readonly neighbourCount: number;
}

/**
 * The session `joining` resolves with, if it does within `waitMs` and has neighbours to start
 * from; null otherwise (the caller then uses plain HTTP). Null too as soon as `started` resolves
 * (the first frame played while the fragment waited): from then on playback never waits for
 * signaling, as for a fragment asked for after the first frame. A page whose first frame came
 * 2 s after it asked for the next fragment waited the whole bound for a join that came 1.6 s
 * after the first frame, then for its connecting neighbours, and stalled 16.9 s (realistic lab,
 * bench/results/realistic-README.md series 28). Rejects with an AbortError if `signal` fires
 * first (hls.js aborted the load).
 */
export function startupSession<S extends JoinedSwarm>(
  joining: Promise<S | null>,
  waitMs: number,
  signal: AbortSignal,
  started?: Promise<unknown>,
): Promise<S | null> {
  if (signal.aborted) return Promise.reject(new DOMException("aborted", "AbortError"));
  if (waitMs <= 0) return Promise.resolve(null);
  return new Promise<S | null>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(new DOMException("aborted", "AbortError"));
    };
    const timer = setTimeout(() => {
      done();
      resolve(null);
    }, waitMs);
    signal.addEventListener("abort", onAbort);
    void started?.then(() => {
      done();
      resolve(null);
    });
    joining.then(
      (session) => {
        done();
        resolve(session && session.neighbourCount > 0 ? session : null);
      },
      () => {
        done();
        resolve(null);
      },
    );
  });
}

/**
 * One engine's startup decisions: what the join's own origin requests and its startup fragments
 * tell about the origin, and whether fragments wanted before the first frame come from the swarm.
 */
export class StartupPlan {
  /** Startup fragments come from the swarm (until a join decides otherwise: the wait path). */
  fromSwarm = true;
  /** The slowest of the join's own origin requests (API config, signing key), ms; null: none made. */
  originMs: number | null = null;
  mediaSlow = false;
  /** Whether a join has decided (`decide`): before that, `hedges` may send fragments over HTTP. */
  decided = false;

  constructor(private readonly nowMs: () => number) {}

  /** One of the join's own origin requests: its duration feeds `originMs`. */
  timed<T>(request: Promise<T>): Promise<T> {
    const t0 = this.nowMs();
    return request.then((value) => {
      this.originMs = Math.max(this.originMs ?? 0, this.nowMs() - t0);
      return value;
    });
  }

  /** The join is done: where startup fragments come from (startsFromSwarm). */
  decide(neighbours: number, arrivals: StartupSignals["arrivals"]): { swarm: boolean; why: StartupWhy } {
    const decision = startsFromSwarm({ neighbours, arrivals, originMs: this.originMs, mediaSlow: this.mediaSlow });
    this.fromSwarm = decision.swarm;
    this.decided = true;
    return decision;
  }

  /**
   * A fragment wanted before the first frame with no joined swarm yet: plain HTTP at once (the
   * engine may still take it over) unless a join already found the origin congested.
   */
  hedges(): boolean {
    return !this.mediaSlow && !(this.originMs !== null && this.originMs >= SLOW_ORIGIN_MS);
  }

  /** Whether a startup fragment over plain HTTP that has taken `elapsedMs` so far is slow (SLOW_MEDIA_SHARE). */
  static slow(durationS: number, elapsedMs: number): boolean {
    return durationS > 0 && elapsedMs > durationS * 1000 * SLOW_MEDIA_SHARE;
  }

  /**
   * A startup fragment came over plain HTTP in `transferMs`: true when that was slow enough to
   * switch the remaining startup fragments to the swarm (it was not already).
   */
  httpFragment(durationS: number, transferMs: number): boolean {
    if (!StartupPlan.slow(durationS, transferMs)) return false;
    const switched = !this.mediaSlow && this.decided && !this.fromSwarm;
    this.mediaSlow = true; // a join still to come decides with it
    if (switched) this.fromSwarm = true;
    return switched;
  }
}
