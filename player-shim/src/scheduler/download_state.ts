/**
 * Book-keeping records of the download side of the scheduler (peer/download_state.py): what we
 * know about each incomplete segment, each neighbour and each request in flight. No policy.
 */

/** Owner of a piece nobody is fetching; > 0 is a request id, < 0 is minus a fetch id. */
export const UNASSIGNED = 0;

/** An incomplete segment whose integrity record we hold. */
export class SegmentState {
  readonly have: boolean[];
  readonly owner: number[];
  haveCount = 0;
  httpRetryAt = 0.0;
  missed = false;

  constructor(
    readonly seq: number,
    readonly size: number,
    readonly pieceSize: number,
    readonly start: number,
    readonly duration: number,
    readonly httpFirstAt: number | null,
    count: number,
  ) {
    this.have = new Array<boolean>(count).fill(false);
    this.owner = new Array<number>(count).fill(UNASSIGNED);
  }

  get pieceCount(): number {
    return this.have.length;
  }

  get complete(): boolean {
    return this.haveCount === this.have.length;
  }

  pieceBytes(index: number): number {
    return Math.min(this.pieceSize, this.size - index * this.pieceSize);
  }

  /** The first run [first, end) of at most `limit` missing, unowned pieces at or after `start`. */
  freeRun(start: number, limit: number): [number, number] | null {
    let first = start;
    while (first < this.pieceCount && (this.have[first] || this.owner[first] !== UNASSIGNED)) first += 1;
    if (first >= this.pieceCount) return null;
    let end = first;
    while (end < this.pieceCount && end - first < limit && !this.have[end] && this.owner[end] === UNASSIGNED) end += 1;
    return [first, end];
  }

  assign(first: number, end: number, owner: number): void {
    for (let index = first; index < end; index++) this.owner[index] = owner;
  }

  missingBytes(): number {
    let total = 0;
    for (let i = 0; i < this.have.length; i++) if (!this.have[i]) total += this.pieceBytes(i);
    return total;
  }
}

/** A REQUEST in flight; `pending` are the pieces not received yet. */
export interface PeerRequest {
  requestId: number;
  peerId: string;
  seq: number;
  pending: Set<number>;
  sentAt: number;
}

/** An HTTP (Range) fetch in flight. */
export interface HttpFetch {
  fetchId: number;
  seq: number;
  pending: Set<number>;
  sentAt: number;
  size: number;
}

/** A connected neighbour, as a source of pieces. */
export class RemotePeer {
  haves = new Set<number>();
  chokingUs = false;
  readonly requests = new Map<number, PeerRequest>();
  lastPieceAt = 0.0;
  cooldownUntil = 0.0;

  constructor(
    readonly peerId: string,
    readonly capabilities: number,
    readonly maxPiecesPerRequest: number,
  ) {}

  inflightPieces(): number {
    let total = 0;
    for (const r of this.requests.values()) total += r.pending.size;
    return total;
  }
}

/**
 * Where playback is: at wall time `setAt` it was at media time `position`, advancing in real
 * time if `playing`. Deadlines of segments follow from it.
 */
export class Playhead {
  constructor(
    readonly setAt: number,
    readonly position: number,
    readonly playing: boolean,
  ) {}

  positionAt(now: number): number {
    return this.position + (this.playing ? now - this.setAt : 0.0);
  }

  /** When playback reaches the segment's start; null if already played. Not playing: as if it starts `startupDeadlineS` after `setAt`. */
  deadline(segment: SegmentState, startupDeadlineS: number): number | null {
    if (segment.start + segment.duration <= this.position) return null;
    const ahead = Math.max(0.0, segment.start - this.position);
    return this.setAt + ahead + (this.playing ? 0.0 : startupDeadlineS);
  }

  /** Not playing (startup or stall) and this is the segment playback waits for. */
  waitingOn(segment: SegmentState): boolean {
    return !this.playing && segment.start <= this.position;
  }
}
