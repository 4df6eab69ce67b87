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
  haveBytes = 0;
  httpRetryAt = 0.0;
  missed = false;
  /** Set when the fallback point is first reached: until then holders get one round (PieceScheduler.httpTakeoverAt). */
  peerGraceUntil: number | null = null;
  /**
   * Our partial holding changed (an origin fetch started, an origin piece arrived) and
   * neighbours have not been told: announced once per scheduling pass (cut-through).
   */
  announcePending = false;
  /** Some neighbour was asked for pieces of it (then it gets no further peer round). */
  requested = false;
  /** Pieces we held at our last HAVE_PIECES of it (-1: not announced yet). */
  announcedCount = -1;
  /**
   * This member's election wait for the segment (`httpFirstAt` - when it was added): when the
   * election horizon holds the turn back, the turn comes this long after the segment came within
   * the horizon, so the tiers stay apart instead of all firing at the horizon.
   */
  electionDelay = 0;
  /** `OriginGate.linksHold` held it back; its election is drawn again when the hold ends. */
  heldForLinks = false;
  /** This member's turn, in progress timeouts, to take over a neighbour's stale copy of it (`OriginGate.staleTurn`; -1: not computed yet). */
  staleTurn = -1;
  /** How many neighbours `staleTurn` was computed among (recomputed when that changes). */
  staleTurnNeighbours = -1;
  /** When it was first asked of a neighbour (null: never): with `peerBytes`, how fast its neighbours' copy is reaching us (`OriginGate.stalledRaceAt`). */
  peerWaitSince: number | null = null;
  /** Its bytes that came from neighbours. */
  peerBytes = 0;
  /** Bytes of later segments' transfers on our downlink that a fetch of its rest shares the link with (`sharedLinkX`); set by each scheduling pass. */
  linkSharedBytes = 0;

  constructor(
    readonly seq: number,
    readonly size: number,
    readonly pieceSize: number,
    readonly start: number,
    readonly duration: number,
    /** When this member takes the segment from the origin if nobody announced it (live or blocked election); null: no election. */
    public httpFirstAt: number | null,
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

  /**
   * The first run [first, end) of at most `limit` missing, unowned pieces at or after `start`;
   * with `held`, only pieces in it (what a neighbour holding part of the segment announced).
   */
  freeRun(start: number, limit: number, held: ReadonlySet<number> | null = null): [number, number] | null {
    const free = (index: number): boolean => !this.have[index] && this.owner[index] === UNASSIGNED && (held === null || held.has(index));
    let first = start;
    while (first < this.pieceCount && !free(first)) first += 1;
    if (first >= this.pieceCount) return null;
    let end = first;
    while (end < this.pieceCount && end - first < limit && free(end)) end += 1;
    return [first, end];
  }

  /** Indices of the verified pieces we hold (what HAVE_PIECES announces). */
  heldPieces(): number[] {
    const held: number[] = [];
    this.have.forEach((have, index) => {
      if (have) held.push(index);
    });
    return held;
  }

  assign(first: number, end: number, owner: number): void {
    for (let index = first; index < end; index++) this.owner[index] = owner;
  }

  /** Its media rate in bytes/s (0 without a duration). */
  get bitrate(): number {
    return this.duration > 0 ? this.size / this.duration : 0;
  }

  missingBytes(): number {
    return this.size - this.haveBytes;
  }

  /** Ids of the peer requests that owe missing pieces of it (ascending). */
  owingRequestIds(): number[] {
    const ids = new Set<number>();
    for (let index = 0; index < this.have.length; index++) {
      const owner = this.owner[index] as number;
      if (owner > 0 && !this.have[index]) ids.add(owner);
    }
    return [...ids].sort((x, y) => x - y);
  }

  markHave(index: number): void {
    this.have[index] = true;
    this.haveCount += 1;
    this.haveBytes += this.pieceBytes(index);
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
export class HttpFetch {
  constructor(
    readonly fetchId: number,
    readonly seq: number,
    readonly pending: Set<number>,
    readonly sentAt: number,
    readonly size: number,
    readonly pieceSize: number,
    readonly segmentSize: number,
  ) {}

  pieceBytes(index: number): number {
    return Math.min(this.pieceSize, this.segmentSize - index * this.pieceSize);
  }
}

/** A connected neighbour, as a source of pieces. */
export class RemotePeer {
  haves = new Set<number>();
  /**
   * Segments it holds part of (HAVE_PIECES: seq -> verified piece indices; empty = fetching it
   * from the origin now). Bounded: see PieceScheduler.peerHavePieces.
   */
  readonly partial = new Map<number, Set<number>>();
  /** When it last announced progress on each of those segments (its copy is still arriving). */
  readonly partialAt = new Map<number, number>();
  /**
   * How fast its own origin fetch of each of those segments was arriving when it last said
   * (HAVE_PIECES origin rate, bytes/s): how fast the origin serves the swarm right now.
   */
  readonly originRate = new Map<number, number>();
  chokingUs = false;
  readonly requests = new Map<number, PeerRequest>();
  lastPieceAt = 0.0;
  /**
   * How long it has been taking per piece it owed us (moving average; 0: not measured): from the
   * later of its previous piece and the piece's request to the piece. The pace rule
   * (`OriginGate.paceTakeoverAt`) projects its queue of owed pieces with it.
   */
  pieceTimeS = 0.0;
  cooldownUntil = 0.0;

  constructor(
    readonly peerId: string,
    readonly capabilities: number,
    readonly maxPiecesPerRequest: number,
  ) {}

  /** A piece it owed (asked for at `requestedAt`) came: update `pieceTimeS` (before `lastPieceAt` moves to `now`). */
  pieceOwedArrived(now: number, requestedAt: number, weight: number): void {
    const took = now - Math.max(this.lastPieceAt, requestedAt);
    this.pieceTimeS = this.pieceTimeS > 0 ? (1 - weight) * this.pieceTimeS + weight * took : took;
  }

  inflightPieces(): number {
    let total = 0;
    for (const r of this.requests.values()) total += r.pending.size;
    return total;
  }

  /** Announced the whole segment, or part of it (or an origin fetch of it). */
  holdsAny(seq: number): boolean {
    return this.haves.has(seq) || this.partial.has(seq);
  }

  /** Pieces of `seq` it can serve: null = all of them (a complete segment). */
  held(seq: number): ReadonlySet<number> | null {
    return this.haves.has(seq) ? null : (this.partial.get(seq) ?? new Set<number>());
  }

  forgetPartial(seq: number): void {
    this.partial.delete(seq);
    this.partialAt.delete(seq);
    this.originRate.delete(seq);
  }
}
