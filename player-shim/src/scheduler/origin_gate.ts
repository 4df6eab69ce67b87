/**
 * When a segment may, or must, come from the origin (peer/origin_gate.py, same rules): the
 * deadline fallback point, the live HTTP-first election, a neighbour's copy that is still
 * arriving (cut-through) and neighbours that are still connecting (startup). Pure: it reads the
 * scheduler's book and clock, holds the little state these rules need, and never acts itself.
 */

import type { DecisionHook } from "./actions";
import type { DeadlineClock } from "./deadline_clock";
import type { DownloadBook } from "./download_book";
import type { SegmentState } from "./download_state";
import { httpFirstDelay, staleCopyDelay } from "./election";
import { OriginPace } from "./origin_pace";
import { freePieceShares } from "./peer_requests";
import type { SchedulerConfig } from "./scheduler_config";

/** HELLO capability bit 1: the neighbour is an edge seeder (it takes every segment from HTTP). */
export const EDGE_SEEDER_CAPABILITY = 0x2;

export class OriginGate {
  swarmSize = 1;
  /** While assigned neighbours are still connecting: until when a blocked segment nobody holds waits for them. */
  connectWaitUntil: number | null = null;
  /** None was left connecting once: the member's first links are up, and later ones hold no segment playback waits on (see `fetchUnheldReason`). */
  linksUp = false;
  /** Assigned neighbours still connecting, as last reported. */
  connecting = 0;
  /** Until when `linksHold` may hold (`connectHoldS` from the first report of connecting neighbours). */
  connectHoldUntil: number | null = null;
  /** How the origin's pace bounds a playing member's wait (upload cap, measured uplink). */
  readonly pace: OriginPace;

  constructor(
    private readonly config: SchedulerConfig,
    private readonly book: DownloadBook,
    private readonly clock: DeadlineClock,
    private readonly onDecision: DecisionHook | null = null,
    private readonly localPeerId: string = "",
  ) {
    this.pace = new OriginPace(config, book, clock);
  }

  /**
   * `count` neighbours are still connecting; the wait starts at the first report and ends at
   * `connectWaitS` (the hold of `linksHold` at `connectHoldS`) or when none is left.
   */
  setConnecting(now: number, count: number): void {
    this.connecting = Math.max(0, count);
    if (count <= 0) {
      this.connectWaitUntil = null;
      this.linksUp = true;
      if (this.connectHoldUntil !== null) this.connectHoldUntil = now; // the first links are up: the hold is over for good
      return;
    }
    if (this.connectWaitUntil === null) this.connectWaitUntil = now + this.config.connectWaitS;
    if (this.connectHoldUntil === null && this.config.connectHoldS > 0) this.connectHoldUntil = now + this.config.connectHoldS;
  }

  /**
   * While at least half of a member's first neighbours are still connecting (at most `connectHoldS`),
   * this member takes no live election turn for `segment`, and (see `takeoverAt`) while not
   * playing takes no later segment over. The election relies on hearing neighbours' copies: a
   * member that hears from nobody sees every tier's turn pass, and a newcomer drew its tiers in a
   * swarm of two or three, so every newcomer took nearly every segment from the origin (peer/origin_gate.py,
   * same rule, says what the simulator showed). When the hold ends the turn is drawn again from
   * then, among the neighbours and swarm size known then. Only for the first links (`setConnecting`
   * ends it for good): holding again whenever signaling assigned more neighbours delayed playing
   * members' turns in a 40-viewer simulated crowd.
   */
  linksHold(now: number, segment: SegmentState): boolean {
    const until = this.connectHoldUntil;
    const held =
      segment.httpFirstAt !== null &&
      until !== null &&
      now < until &&
      this.connecting > 0 &&
      this.connecting >= this.book.peers.size;
    if (held) segment.heldForLinks = true;
    else if (segment.heldForLinks) {
      segment.heldForLinks = false;
      if (segment.httpFirstAt !== null) {
        segment.httpFirstAt = this.httpFirstAt(now, this.localPeerId, segment.seq, segment.bitrate);
        segment.electionDelay = segment.httpFirstAt - now;
      }
    }
    return held;
  }

  /**
   * When this member takes a new live segment nobody announced from the origin (`bitrate`: the
   * segment's, bytes/s).
   */
  httpFirstAt(now: number, localPeerId: string, seq: number, bitrate: number): number {
    const stepBack = this.config.weakUplinkStepBackTiers;
    if (stepBack > 0 && this.pace.weakUplink(bitrate) && this.strongerNeighbour(bitrate)) {
      now += stepBack * this.config.liveTierSpacingS; // see weakUplinkStepBackTiers
    }
    return (
      now +
      httpFirstDelay(localPeerId, seq, {
        neighbourIds: this.book.peers.keys(),
        swarmSize: this.swarmSize,
        httpFirstCount: this.config.liveHttpFirstCount,
        largeSwarm: this.config.liveHttpFirstLargeSwarm,
        tierSpacingS: this.config.liveTierSpacingS,
        tierGrowth: this.config.liveTierGrowth,
        neighbourStaggerS: this.config.liveNeighbourStaggerS,
        seederNeighbour: [...this.book.peers.values()].some((p) => (p.capabilities & EDGE_SEEDER_CAPABILITY) !== 0),
        skipEmptyTiers: this.config.liveSkipEmptyTiers,
        lowestKnownFirst: this.config.liveLowestKnownFirst,
      })
    );
  }

  /**
   * A neighbour has been sending us pieces (at its time per piece) at the stream's `bitrate` or at
   * `strongerNeighbourX` times our own uplink, whichever is lower: its uplink relays a copy sooner
   * than ours would. Judged from what reached us, so a strong neighbour serving several members at
   * once still counts against a much weaker one.
   */
  strongerNeighbour(bitrate: number): boolean {
    const own = this.pace.uplink();
    let floor = this.config.weakUplinkX * bitrate;
    if (own !== null) floor = Math.min(floor, this.config.strongerNeighbourX * own);
    const pieceSize = this.clock.pieceSize;
    if (floor <= 0) return false;
    for (const peer of this.book.peers.values()) {
      if (peer.pieceTimeS > 0 && pieceSize / peer.pieceTimeS >= floor) return true;
    }
    return false;
  }

  /**
   * Playback waits on a segment nobody holds while we have neighbours (a flash crowd arriving at
   * once: they are all blocked on the same startup segment). Rather than all of them fetching it
   * at the same instant, they hold the live election over it with short tiers
   * (`blockedTierSpacingS`): the first one's fetch is announced (HAVE_PIECES) and the others relay
   * it. True while this member's turn has not come.
   */
  blockedElection(now: number, localPeerId: string, segment: SegmentState): boolean {
    if (segment.httpFirstAt === null && this.book.peers.size > 0 && this.clock.waitingOn(segment)) {
      segment.httpFirstAt =
        now +
        httpFirstDelay(localPeerId, segment.seq, {
          neighbourIds: this.book.peers.keys(),
          swarmSize: this.book.peers.size + 1, // only neighbours can relay it to us
          httpFirstCount: this.config.liveHttpFirstCount,
          tierSpacingS: this.config.blockedTierSpacingS,
          tierGrowth: this.config.liveTierGrowth,
          neighbourStaggerS: this.config.blockedTierSpacingS / 2,
          seederNeighbour: false,
        });
      this.onDecision?.(now, segment.seq, "blocked-election", { httpFirstInS: segment.httpFirstAt - now });
    }
    return this.turnPending(now, segment);
  }

  /** This member's election turn for `segment` has not come, unless playback waits on it and a neighbour announced it complete, usable or not (peer/origin_gate.py `turn_pending` says why). */
  turnPending(now: number, segment: SegmentState): boolean {
    const turn = segment.httpFirstAt;
    return turn !== null && now < turn && !(this.clock.waitingOn(segment) && [...this.book.peers.values()].some((p) => p.haves.has(segment.seq)));
  }

  /**
   * From then on HTTP takes over every missing piece: the fallback point, held back by the live
   * election, neighbours still connecting (startup) or a neighbour's copy still arriving; then a
   * segment that usable neighbours hold and none was asked for yet gets one round from them
   * (`peerSilenceTimeoutS`). Without that round a stall or a low HTTP rate estimate puts the
   * fallback point before any peer is asked, and every stalled viewer fetches from the congested
   * origin at once. A playing member waits for the election and that round at most until
   * `holdLimit`.
   */
  takeoverAt(now: number, segment: SegmentState, deadline: number): number {
    const fallback = this.clock.fallbackAt(segment, deadline);
    if (now < fallback) {
      const pace = this.paceTakeoverAt(now, segment, deadline);
      return pace === null ? fallback : Math.min(fallback, pace);
    }
    // Not playing, a later segment than the one playback waits on: not while links are held.
    if (this.linksHold(now, segment) && !this.clock.playing && !this.clock.waitingOn(segment)) return Infinity;
    const holders = this.book.usableHolders(now, segment.seq);
    const limit = this.pace.holdLimit(now, segment, deadline);
    if (this.electionPending(now, segment)) {
      const turn = limit === null ? (segment.httpFirstAt as number) : Math.min(segment.httpFirstAt as number, limit);
      if (now < turn) return turn;
    }
    if (!this.clock.playing && this.firstLinksWait(now) && holders.length === 0) return this.connectWaitUntil as number;
    const race = this.stalledRaceAt(segment);
    if (race !== null && now >= race) return race;
    const progressUntil = this.copyProgressUntil(now, segment, deadline);
    if (progressUntil !== null) return progressUntil;
    if (segment.peerGraceUntil === null) {
      const asked = segment.requested;
      let grace = holders.length > 0 && !asked ? this.config.peerSilenceTimeoutS : 0.0;
      if (limit !== null) grace = Math.min(grace, Math.max(0.0, limit - now));
      segment.peerGraceUntil = now + grace;
      if (grace > 0) this.onDecision?.(now, segment.seq, "peer-round", { untilS: grace });
    }
    return segment.peerGraceUntil;
  }

  /**
   * When a neighbour owing pieces of `segment` falls behind the pace that brings them in by
   * `deadline - httpMarginS`: it sends in request order, so before this segment's last owed piece
   * come all it owes us from earlier requests, each at its time per piece (`RemotePeer.pieceTimeS`);
   * not before `peerPaceMinS` after the segment's first request to it. Null while no such
   * neighbour has a measured pace, the rule is off, or the origin cannot beat the deadline
   * (`holdLimit`). Pieces nobody announced yet do not count: they come at the pace of the origin
   * copy being relayed (the Python port's docstring says what counting them did). With no new
   * piece the projection slides with time (the next piece is due one piece's time after the latest).
   */
  paceTakeoverAt(now: number, segment: SegmentState, deadline: number): number | null {
    const window = this.config.peerPaceMinS;
    if (window <= 0) return null;
    const owing = segment.owingRequestIds();
    if (owing.length === 0 || this.pace.holdLimit(now, segment, deadline) === null) return null;
    const due = deadline - this.config.httpMarginS;
    const freeShares = freePieceShares(this.book, now, segment); // see `pacedLimit`
    const peerIds = new Set<string>();
    for (const id of owing) {
      const request = this.book.requests.get(id);
      if (request) peerIds.add(request.peerId);
    }
    let best = Infinity;
    for (const peerId of peerIds) {
      const peer = this.book.peers.get(peerId);
      if (!peer || peer.pieceTimeS <= 0) continue;
      let last = -1;
      let firstSent = Infinity;
      let oldest = Infinity;
      for (const r of peer.requests.values()) {
        if (r.pending.size === 0) continue;
        oldest = Math.min(oldest, r.sentAt);
        if (r.seq === segment.seq) {
          last = Math.max(last, r.requestId);
          firstSent = Math.min(firstSent, r.sentAt);
        }
      }
      if (last < 0) continue;
      let queued = 0;
      for (const r of peer.requests.values()) if (r.requestId <= last) queued += r.pending.size;
      queued += freeShares.get(peerId) ?? 0;
      const base = Math.max(peer.lastPieceAt, oldest); // when the piece it is sending now began
      const earliest = firstSent + window;
      const at = base + queued * peer.pieceTimeS > due ? earliest : Math.max(earliest, due - (queued - 1) * peer.pieceTimeS);
      best = Math.min(best, at);
    }
    return best === Infinity ? null : best;
  }

  /**
   * A segment no usable neighbour holds goes to the origin before its fallback point: when
   * playback waits on it (unless the election or the member's first links, still connecting, say
   * wait), or when this member's election turn for a new live segment has come (not while any
   * neighbour is connecting; peer/origin_gate.py says why later neighbours hold only turns).
   * Neither while its stale-copy turn has
   * not come (`staleCopyWait`): a copy's word leaves the holders at the same moment for all its
   * waiting neighbours, and a member whose election turn passed long ago (stalled far behind the
   * live edge) would otherwise fetch at that moment. Returns the reason, or null.
   */
  fetchUnheldReason(now: number, segment: SegmentState): string | null {
    if (this.firstLinksWait(now)) return null;
    const wait = this.connectWait(now);
    const turn = segment.httpFirstAt !== null && now >= segment.httpFirstAt;
    const held = this.linksHold(now, segment);
    let reason: string | null = null;
    if (turn && !held && !wait && this.withinHorizon(now, segment)) reason = "election-turn";
    else if (this.clock.waitingOn(segment) && !this.electionPending(now, segment)) reason = turn ? "election-turn" : "blocked-no-holder";
    return reason !== null && this.staleCopyWait(now, segment) ? null : reason;
  }

  /**
   * The segment is due soon enough for an election turn (`electionHorizonS`), and, if the horizon
   * held the turn back, this member's election delay has passed since it came within the horizon:
   * members far behind the live edge (all of them after a stall wave) would otherwise take their
   * passed turns together when the segment crosses the horizon.
   */
  withinHorizon(now: number, segment: SegmentState): boolean {
    const horizon = this.config.electionHorizonS;
    if (horizon <= 0) return true;
    const deadline = this.clock.deadline(segment);
    return deadline !== null && deadline - now <= horizon - segment.electionDelay;
  }

  /**
   * When playback waits on `segment` and our own origin link would bring its missing bytes much
   * sooner than the neighbours' copy is bringing them (`stalledRaceX`): the copy's time for the
   * rest, at its rate since the segment's first request to them, exceeds x times our own fetch's
   * plus `httpMarginS`. With no new piece that time grows as we wait, so the answer is a moment
   * (null: not waiting on it, rule off, or no fresh measurement of our link: our own fetch or the
   * download meter's dated seed, as the hold limit takes it; a session joined after a rendition
   * switch has only the seed).
   */
  stalledRaceAt(segment: SegmentState): number | null {
    const x = this.config.stalledRaceX;
    const since = segment.peerWaitSince;
    const measured = this.clock.httpRateAt;
    if (x <= 0 || since === null || measured === null || !this.clock.waitingOn(segment)) return null;
    const missing = segment.missingBytes();
    if (missing <= 0 || this.clock.httpRate <= 0) return null;
    const budget = (x * missing) / this.clock.httpRate + this.config.httpMarginS;
    // copy time = missing * waited / peerBytes > budget  <=>  waited > budget * peerBytes / missing
    const waited = segment.peerBytes > 0 ? (budget * segment.peerBytes) / missing : budget;
    const at = since + Math.max(this.config.stalledRaceMinS, waited);
    return at <= measured + this.config.ownRateFreshS ? at : null;
  }

  /** The times at which these rules may change their answer for `segment` (null: a rule with no time now). */
  timers(now: number, segment: SegmentState, deadline: number): (number | null)[] {
    // A deadline that moves with every pass while the first segment is missing: no timer.
    const sliding = this.clock.waitsForHead(segment);
    const times = [
      sliding ? null : this.clock.fallbackAt(segment, deadline),
      this.copyProgressUntil(now, segment, deadline),
      segment.peerGraceUntil,
      this.connectWaitUntil,
      this.connectHoldUntil,
      this.stalledRaceAt(segment),
    ];
    const latest = this.book.latestProgress(now, segment.seq);
    if (latest !== null) times.push(latest + this.clock.progressTimeout()); // a copy's word goes stale (DownloadBook.usableHolders)
    if (segment.httpFirstAt !== null) {
      times.push(segment.httpFirstAt);
      if (this.config.electionHorizonS > 0 && !sliding) times.push(deadline - this.config.electionHorizonS + segment.electionDelay);
    }
    if (this.clock.playing) {
      times.push(deadline - this.config.httpMarginS, this.pace.holdLimit(now, segment, deadline), this.paceTakeoverAt(now, segment, deadline)); // see holdLimit
    }
    return times;
  }

  /**
   * A new live segment nobody usable holds, before this member's election turn: even a stall or
   * a passed fallback point does not send it to the origin early. Everyone blocked on the newest
   * segment at once (a starved swarm at the live edge) would otherwise fetch it at once; in turn,
   * the elected members fetch it and the rest get it from them.
   */
  electionPending(now: number, segment: SegmentState): boolean {
    return this.turnPending(now, segment) && this.book.usableHolders(now, segment.seq).length === 0;
  }

  /**
   * While a neighbour's copy of the segment is still arriving (its HAVE_PIECES came within the
   * progress timeout, `DeadlineClock.progressTimeout`), the HTTP takeover waits for that copy instead of adding a second
   * download to a possibly congested origin (cut-through). While playing, not past
   * `deadline - httpMarginS`; while stalled, as long as the copy progresses. Null when no such
   * copy is arriving. On an origin known fast at the fallback point (`fastAtFallback`), while playing
   * not past that point when the copy would miss the deadline at its pace (`copyLate`).
   */
  copyProgressUntil(now: number, segment: SegmentState, deadline: number): number | null {
    const latest = this.book.latestProgress(now, segment.seq);
    if (latest === null) return null;
    const timeout = this.clock.progressTimeout();
    let until = latest + timeout;
    const waitPlaying = this.config.progressWaitPlaying && this.pace.originTooSlow(now, segment, deadline);
    if (this.clock.playing && !waitPlaying) until = Math.min(until, this.pace.playingLimit(now, segment, deadline));
    else if (this.config.staleCopyTiers > 0) until += timeout * this.staleTurn(segment);
    return until > now ? until : null;
  }

  /**
   * This member's turn, in progress timeouts, to take over a neighbour's copy that went stale
   * while it waits with no deadline bound (stalled, starting, or playing on an origin too slow to
   * beat the deadline). Every member waiting on one copy hears its last word at about the same
   * moment, so without turns they all take the rest from the origin at the same instant (the
   * takeover herd that drowns a congested origin). The turns are the election's tiers among the
   * neighbours, `staleCopyTiers` progress timeouts apart: about one member of a neighbourhood goes
   * first, its origin pieces are announced and relayed, and that fresh word keeps the others
   * waiting. Computed again when the number of neighbours changed: a turn computed while a
   * newcomer had one or two neighbours connected is 0 for nearly everyone (peer/origin_gate.py,
   * same rule).
   */
  staleTurn(segment: SegmentState): number {
    if (segment.staleTurn < 0 || segment.staleTurnNeighbours !== this.book.peers.size) {
      segment.staleTurnNeighbours = this.book.peers.size;
      segment.staleTurn =
        this.config.staleCopyTiers * staleCopyDelay(this.localPeerId, segment.seq, this.book.peers.keys(), this.config.liveTierGrowth);
    }
    return segment.staleTurn;
  }

  /** A waiting member's turn to take over a stale copy has not come (`staleTurn`): it does not fetch the segment as unheld either (blocked on it, or in its passed election turn) once the copy's word leaves the holders. */
  staleCopyWait(now: number, segment: SegmentState): boolean {
    if (this.config.staleCopyTiers <= 0) return false;
    const deadline = this.clock.deadline(segment);
    return deadline !== null && this.copyProgressUntil(now, segment, deadline) !== null;
  }

  /**
   * The member waits for a neighbour's copy of `seq`, or for its turn to take a stale one over
   * (`staleCopyWait`): the player's own safety net must not fetch it then either, or every
   * member's net fires at the moment the copy's word goes stale, with no turns.
   */
  waitsForCopy(now: number, seq: number): boolean {
    const segment = this.book.segments.get(seq);
    return segment !== undefined && this.staleCopyWait(now, segment);
  }

  /** Neighbours are connecting and their wait is not over. */
  connectWait(now: number): boolean {
    return this.connectWaitUntil !== null && now < this.connectWaitUntil;
  }

  /** The member's first neighbours are still connecting and their wait is not over (the count of connecting neighbours has never reached zero: `linksUp`). */
  firstLinksWait(now: number): boolean {
    return !this.linksUp && this.connectWait(now);
  }
}
