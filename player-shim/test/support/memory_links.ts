/**
 * In-memory neighbour links for swarm-session tests: frames go through the real wire codec,
 * delivered asynchronously in order; a "corrupt" sender flips a bit in every PIECE it sends.
 */
import type { Link, LinkFactory, PeerLinkOptions } from "../../src/p2p/peer_link";
import { decodeMessage, encodeMessage, GoodbyeReason, WireError, type WireMessage } from "../../src/protocol/wire";

export class MemoryNetwork {
  readonly links = new Map<string, MemoryLink>();
  readonly corrupt = new Set<string>();
  framesSent = 0;

  factoryFor(localId: string): LinkFactory {
    return (options) => {
      const link = new MemoryLink(this, localId, options);
      this.links.set(`${localId}>${options.peerId}`, link);
      const other = this.links.get(`${options.peerId}>${localId}`);
      if (other) setTimeout(() => (link.open(), other.open()), 0);
      return link;
    };
  }
}

export class MemoryLink implements Link {
  readonly peerId: string;
  piecesSent = 0;
  private closed = false;
  private opened = false;

  constructor(
    private readonly net: MemoryNetwork,
    private readonly localId: string,
    private readonly options: PeerLinkOptions,
  ) {
    this.peerId = options.peerId;
  }

  open(): void {
    if (this.closed || this.opened) return;
    this.opened = true;
    this.options.handlers.open(this);
  }

  async start(): Promise<void> {}
  async handleSignal(): Promise<void> {}

  send(msg: WireMessage): void {
    if (this.closed) return;
    let frame = encodeMessage(msg);
    if (msg.type === "piece" && this.net.corrupt.has(this.localId)) {
      frame = frame.slice();
      frame[12] = (frame[12] as number) ^ 0x01;
    }
    this.net.framesSent += 1;
    if (msg.type === "piece") {
      this.piecesSent += 1;
      this.options.handlers.pieceSent(this, msg.data.length);
    }
    const other = this.net.links.get(`${this.peerId}>${this.localId}`);
    setTimeout(() => other?.receive(frame), 0);
  }

  /** Frames leave at once (no queue to drop them from). */
  purge(_requestId: number): void {}

  receive(frame: Uint8Array): void {
    if (this.closed) return;
    let msg: WireMessage;
    try {
      msg = decodeMessage(frame);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.options.handlers.protocolError(this, e); // as PeerLink does
      this.close(`protocol error: ${e.message}`, GoodbyeReason.PROTOCOL_ERROR);
      return;
    }
    this.options.handlers.message(this, msg);
  }

  /** Sends raw bytes, as a hostile neighbour could (no codec on the way out). */
  sendRaw(frame: Uint8Array): void {
    if (this.closed) return;
    this.net.framesSent += 1;
    const other = this.net.links.get(`${this.peerId}>${this.localId}`);
    setTimeout(() => other?.receive(frame), 0);
  }

  close(reason: string, _goodbye?: GoodbyeReason): void {
    if (this.closed) return;
    this.closed = true;
    this.options.handlers.closed(this, reason);
    const other = this.net.links.get(`${this.peerId}>${this.localId}`);
    setTimeout(() => other?.close("channel closed"), 0);
  }
}
