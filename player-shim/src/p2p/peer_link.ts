/**
 * One neighbour: an RTCPeerConnection with the `swarmcast/1` data channel, framing through the
 * wire codec, and send queues that respect `bufferedAmount` (control frames jump the piece queue).
 */

import {
  CHANNEL_LABEL,
  decodeMessage,
  encodeMessage,
  GoodbyeReason,
  WireError,
  type WireMessage,
} from "../protocol/wire";

import { ChannelWindow, type ChannelWindowConfig } from "./channel_window";
import { pairRoundTrips, selectedPair, transportBytesSent, type PairTypes } from "./link_path";
import type { RoundTrips } from "./queue_delay";
import type { SignalKind } from "./signaling_client";

/** What the swarm session needs of a neighbour link (a PeerLink, or an in-memory fake in tests). */
export interface Link {
  readonly peerId: string;
  /** PIECE frames handed to the channel so far (they pay for the peer's REQUESTs, §5.1). */
  readonly piecesSent: number;
  /** Initiator: create the channel and send the offer; otherwise nothing. */
  start(): Promise<void>;
  handleSignal(kind: SignalKind, data: Record<string, unknown>): Promise<void>;
  send(msg: WireMessage): void;
  /** Drops the queued PIECEs of a request the neighbour cancelled (not those the channel has). */
  purge(requestId: number): void;
  close(reason: string, goodbye?: GoodbyeReason): void;
  /** The selected ICE candidate pair's local type (host/srflx/prflx/relay), for beacons. */
  selectedPairType?(): Promise<string | null>;
  /** Both candidate types of the selected pair (the `path` event, link_path.ts). */
  selectedPair?(): Promise<PairTypes | null>;
  /**
   * Bytes queued for the channel so far and how many of them have not left its buffer yet (our
   * own queue's PIECEs plus its `bufferedAmount`): the uplink meter's backlog.
   */
  channelCount?(): { sent: number; buffered: number };
  /**
   * From one getStats: bytes its ICE transport sent so far (link_path.ts `transportBytesSent`)
   * and its selected pair's consent-check round trips (`pairRoundTrips`, queue_delay.ts).
   */
  wireStats?(): Promise<WireStats>;
}

/** A link's transport counters (uplink_feed.ts). */
export interface WireStats {
  bytesSent: number | null;
  roundTrips: RoundTrips | null;
}

export interface PeerLinkHandlers {
  open(link: Link): void;
  message(link: Link, msg: WireMessage): void;
  /** A frame that did not decode; the link already sent GOODBYE(protocol-error) and closed. */
  protocolError(link: Link, error: WireError): void;
  /** Sent once, whatever closed the link. */
  closed(link: Link, reason: string): void;
  /** A PIECE frame left our queue for the channel (upload accounting). */
  pieceSent(link: Link, bytes: number): void;
}

export type LinkFactory = (options: PeerLinkOptions) => Link;

export interface PeerLinkOptions {
  peerId: string;
  /** The initiator creates the data channel and the offer. */
  initiator: boolean;
  rtcConfig: RTCConfiguration;
  /** Relays SDP (`offer`/`answer`: {type, sdp}) and ICE (`candidate`) through signaling. */
  sendSignal: (kind: SignalKind, data: Record<string, unknown>) => void;
  handlers: PeerLinkHandlers;
  /** How much the channel may hold ahead of the wire (channel_window.ts). */
  window: ChannelWindowConfig;
  /** Give up when the channel is not open after this long. */
  connectTimeoutMs: number;
}

export class PeerLink implements Link {
  readonly peerId: string;
  piecesSent = 0;
  private readonly pc: RTCPeerConnection;
  private channel: RTCDataChannel | null = null;
  private readonly control: Uint8Array[] = [];
  /** PIECE frames with their request, so a CANCEL can drop them (`purge`). */
  private pieces: { requestId: number; frame: Uint8Array }[] = [];
  private piecesBytes = 0;
  private readonly window: ChannelWindow;
  private readonly pendingCandidates: RTCIceCandidateInit[] = [];
  private remoteDescriptionSet = false;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private closedReason: string | null = null;
  private opened = false;
  /** Bytes handed to the channel (every frame). */
  private channelBytes = 0;

  constructor(private readonly options: PeerLinkOptions) {
    this.peerId = options.peerId;
    this.window = new ChannelWindow(options.window);
    this.pc = new RTCPeerConnection(options.rtcConfig);
    this.pc.onicecandidate = (e) => {
      // candidate "" ends trickling (§4); peers that wait for it or ignore it both work.
      const c = e.candidate?.toJSON();
      const data: Record<string, unknown> = { candidate: c?.candidate ?? "" };
      if (c?.sdpMid != null) data.sdpMid = c.sdpMid;
      if (c?.sdpMLineIndex != null) data.sdpMLineIndex = c.sdpMLineIndex;
      if (c?.usernameFragment != null) data.usernameFragment = c.usernameFragment;
      options.sendSignal("candidate", data);
    };
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      if (state === "failed" || state === "closed") this.close(`connection ${state}`);
    };
    this.pc.ondatachannel = (e) => {
      if (e.channel.label === CHANNEL_LABEL && !this.channel) this.attach(e.channel);
      else e.channel.close();
    };
    this.connectTimer = setTimeout(() => this.close("connect timeout"), options.connectTimeoutMs);
  }

  get isOpen(): boolean {
    return this.opened && this.closedReason === null;
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  /** Initiator only: create the channel and send the offer. */
  async start(): Promise<void> {
    if (!this.options.initiator) return;
    this.attach(this.pc.createDataChannel(CHANNEL_LABEL, { ordered: true }));
    try {
      await this.pc.setLocalDescription(await this.pc.createOffer());
      this.sendDescription();
    } catch (e) {
      this.close(`offer failed: ${String(e)}`);
    }
  }

  /** Applies a relayed offer/answer/candidate; bad input closes this link only. */
  async handleSignal(kind: SignalKind, data: Record<string, unknown>): Promise<void> {
    if (this.closedReason !== null) return;
    try {
      if (kind === "offer" || kind === "answer") {
        if (typeof data.sdp !== "string") throw new Error("no sdp");
        if (kind === "offer" && this.options.initiator) throw new Error("offer sent to the initiator");
        await this.pc.setRemoteDescription({ type: kind, sdp: data.sdp });
        this.remoteDescriptionSet = true;
        for (const c of this.pendingCandidates.splice(0)) await this.pc.addIceCandidate(c);
        if (kind === "offer") {
          await this.pc.setLocalDescription(await this.pc.createAnswer());
          this.sendDescription();
        }
      } else {
        if (typeof data.candidate !== "string" || data.candidate === "") return; // end of candidates
        const candidate: RTCIceCandidateInit = {
          candidate: data.candidate,
          sdpMid: typeof data.sdpMid === "string" ? data.sdpMid : null,
          sdpMLineIndex: typeof data.sdpMLineIndex === "number" ? data.sdpMLineIndex : null,
        };
        if (typeof data.usernameFragment === "string") candidate.usernameFragment = data.usernameFragment;
        if (this.remoteDescriptionSet) await this.pc.addIceCandidate(candidate);
        else this.pendingCandidates.push(candidate);
      }
    } catch (e) {
      this.close(`signaling failed: ${String(e)}`);
    }
  }

  /** Queues one frame; PIECEs wait behind control frames so HAVE/REQUEST/CANCEL stay prompt. */
  send(msg: WireMessage): void {
    if (this.closedReason !== null) return;
    const frame = encodeMessage(msg);
    if (msg.type === "piece") {
      this.pieces.push({ requestId: msg.requestId, frame });
      this.piecesBytes += frame.length;
    } else {
      this.control.push(frame);
    }
    this.flush();
  }

  purge(requestId: number): void {
    this.pieces = this.pieces.filter((p) => p.requestId !== requestId);
    this.piecesBytes = this.pieces.reduce((sum, p) => sum + p.frame.length, 0);
  }

  channelCount(): { sent: number; buffered: number } {
    return { sent: this.channelBytes + this.piecesBytes, buffered: (this.channel?.bufferedAmount ?? 0) + this.piecesBytes };
  }

  async wireStats(): Promise<WireStats> {
    const report = await this.pc.getStats();
    return { bytesSent: transportBytesSent(report), roundTrips: pairRoundTrips(report) };
  }

  async selectedPairType(): Promise<string | null> {
    return selectedPairType(await this.pc.getStats());
  }

  async selectedPair(): Promise<PairTypes | null> {
    return selectedPair(await this.pc.getStats());
  }

  /** Sends GOODBYE (when the channel is up) and tears everything down. Idempotent. */
  close(reason: string, goodbye: GoodbyeReason = GoodbyeReason.NORMAL): void {
    if (this.closedReason !== null) return;
    if (this.channel?.readyState === "open") {
      try {
        this.channel.send(encodeMessage({ type: "goodbye", reason: goodbye }) as Uint8Array<ArrayBuffer>);
      } catch {
        // the channel died under us: nothing more to say
      }
    }
    this.closedReason = reason;
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.control.length = 0;
    this.pieces = [];
    this.piecesBytes = 0;
    if (this.channel) {
      this.channel.onopen = this.channel.onclose = this.channel.onmessage = this.channel.onbufferedamountlow = null;
      this.channel.close();
    }
    this.pc.onicecandidate = this.pc.onconnectionstatechange = this.pc.ondatachannel = null;
    this.pc.close();
    this.options.handlers.closed(this, reason);
  }

  private sendDescription(): void {
    const description = this.pc.localDescription;
    if (description) this.options.sendSignal(description.type === "offer" ? "offer" : "answer", { type: description.type, sdp: description.sdp });
  }

  private attach(channel: RTCDataChannel): void {
    this.channel = channel;
    channel.binaryType = "arraybuffer";
    channel.bufferedAmountLowThreshold = this.window.lowWater;
    channel.onopen = () => {
      // A channel announced by ondatachannel may be open already *and* fire `open`: once only.
      if (this.opened || this.closedReason !== null) return;
      if (this.connectTimer !== null) clearTimeout(this.connectTimer);
      this.connectTimer = null;
      this.opened = true;
      this.options.handlers.open(this);
      this.flush();
    };
    channel.onclose = () => this.close("channel closed");
    channel.onbufferedamountlow = () => this.flush();
    channel.onmessage = (e: MessageEvent) => this.receive(e.data);
    if (channel.readyState === "open") channel.onopen(new Event("open"));
  }

  private receive(data: unknown): void {
    if (this.closedReason !== null) return;
    if (!(data instanceof ArrayBuffer)) {
      this.fail(new WireError("UnknownType", "text message on a binary channel"));
      return;
    }
    let msg: WireMessage;
    try {
      msg = decodeMessage(new Uint8Array(data));
    } catch (e) {
      this.fail(e instanceof WireError ? e : new WireError("TruncatedFrame", String(e)));
      return;
    }
    if (msg.type === "goodbye") {
      this.close(`goodbye ${msg.reason}`);
      return;
    }
    this.options.handlers.message(this, msg);
  }

  private fail(error: WireError): void {
    this.options.handlers.protocolError(this, error);
    this.close(`protocol error: ${error.message}`, GoodbyeReason.PROTOCOL_ERROR);
  }

  private flush(): void {
    const channel = this.channel;
    if (!channel || channel.readyState !== "open") return;
    while (channel.bufferedAmount < this.window.highWater) {
      const control = this.control.shift();
      const piece = control === undefined ? this.pieces.shift() : undefined;
      const frame = control ?? piece?.frame;
      if (!frame) break;
      try {
        channel.send(frame as Uint8Array<ArrayBuffer>);
      } catch (e) {
        this.close(`send failed: ${String(e)}`);
        return;
      }
      this.channelBytes += frame.length;
      if (piece) {
        this.piecesBytes -= frame.length;
        this.piecesSent += 1;
        this.options.handlers.pieceSent(this, frame.length - 12);
      }
    }
    const backlogged = this.control.length > 0 || this.pieces.length > 0;
    this.window.observe(performance.now() / 1000, this.channelBytes - channel.bufferedAmount, backlogged);
    channel.bufferedAmountLowThreshold = this.window.lowWater;
  }
}

/** The local candidate type of the transport's selected (or nominated, succeeded) pair. */
export function selectedPairType(report: RTCStatsReport): string | null {
  return selectedPair(report)?.local ?? null;
}
