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
 */

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
 * from; null otherwise (the caller then uses plain HTTP). Rejects with an AbortError if `signal`
 * fires first (hls.js aborted the load).
 */
export function startupSession<S extends JoinedSwarm>(joining: Promise<S | null>, waitMs: number, signal: AbortSignal): Promise<S | null> {
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
