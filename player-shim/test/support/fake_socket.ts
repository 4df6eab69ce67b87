/**
 * Just what SignalingClient uses of a socket.io-client Socket; the test plays the server: it
 * fires the server's events and answers the client's requests (`calls`, or `onCall` as they come).
 */
import type { Socket } from "socket.io-client";

type Listener = (...args: unknown[]) => void;
export type AckCallback = (err: Error | null, ack: unknown) => void;

/** One request the client emitted, with the callback that acks it. */
export interface SocketCall {
  event: string;
  payload: unknown;
  reply: AckCallback;
}

export class FakeSocket {
  connected = false;
  readonly listeners = new Map<string, Listener[]>();
  readonly calls: SocketCall[] = [];
  /** Sees each request as it is emitted (after it is added to `calls`). */
  onCall: ((call: SocketCall) => void) | null = null;

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  once(event: string, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.listeners.set(event, (this.listeners.get(event) ?? []).filter((l) => l !== wrapped));
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  timeout(_ms: number): { emit: (event: string, payload: unknown, reply: AckCallback) => void } {
    return {
      emit: (event, payload, reply) => {
        const call = { event, payload, reply };
        this.calls.push(call);
        this.onCall?.(call);
      },
    };
  }

  fire(event: string, ...args: unknown[]): void {
    if (event === "connect") this.connected = true;
    if (event === "disconnect") this.connected = false;
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener(...args);
  }

  removeAllListeners(): this {
    this.listeners.clear();
    return this;
  }

  disconnect(): this {
    this.connected = false;
    return this;
  }

  /** As SignalingOptions.openSocket wants it. */
  asSocket(): Socket {
    return this as unknown as Socket;
  }
}
