/**
 * The media sequence number in a segment URL. protocol.md §1 names every media segment
 * `/live/<stream>/<rendition>/seg-<seq>.m4s` for HLS and DASH alike (the MPD's `$Number$` is the
 * HLS media sequence number), so a DASH request maps to the same (swarm, seq) as hls.js's `sn`.
 */

const SEGMENT_RE = /\/seg-(\d{1,15})\.m4s$/;

/** `seq` of `…/seg-<seq>.m4s` (query and fragment ignored), or null for any other URL. */
export function segmentSeq(url: string): number | null {
  let path: string;
  try {
    path = new URL(url, globalThis.location?.href).pathname;
  } catch {
    return null;
  }
  const match = SEGMENT_RE.exec(path);
  return match ? Number(match[1]) : null;
}
