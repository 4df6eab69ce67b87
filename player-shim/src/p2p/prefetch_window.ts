/**
 * Which fragments of a refreshed playlist the engine brings in before the player asks (pure).
 *
 * From the playhead to the prefetch horizon, except what the player will not ask for: what it
 * already has buffered ahead of the playhead, and what it is loading over plain HTTP itself.
 * After an ABR switch the new rendition's swarm is joined while the old rendition's fragments
 * fill the buffer, and the player's first fragment of the new one goes over HTTP while the join
 * runs; prefetching those too fetched each twice on the viewer's downlink (realistic lab, a DSL
 * viewer at 1 Mbit/s: the engine fetched three fragments behind the buffer's end beside the
 * player's own load of the next one, which then took 5 s; bench/results/realistic-README.md,
 * session 22).
 */

export interface PrefetchFragment {
  url: string;
  start: number;
  duration: number;
}

export interface PrefetchView {
  /** The playhead (media time). */
  position: number;
  /** End of the media buffered contiguously from the playhead (the position when none is). */
  bufferedEnd: number;
  /** Media time up to which fragments are brought in early. */
  horizon: number;
  /** URLs the player is loading over plain HTTP itself. */
  playerLoads: ReadonlySet<string>;
}

/** A fragment that ends this little after a buffer's end counts as buffered (the media's ranges end a few frames short). */
export const BUFFERED_SLACK_S = 0.25;

export function prefetchWindow<F extends PrefetchFragment>(fragments: readonly F[], view: PrefetchView): F[] {
  const before = view.bufferedEnd > view.position ? view.bufferedEnd + BUFFERED_SLACK_S : view.position;
  return fragments.filter((f) => f.start + f.duration > before && f.start <= view.horizon && !view.playerLoads.has(f.url));
}
