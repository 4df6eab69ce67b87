/** Loaders waiting for segments to complete, by seq; abortable, resolved or rejected in bulk. */

import type { SegmentBuffer } from "./segment_store";

interface Waiter {
  resolve: (buffer: SegmentBuffer) => void;
  reject: (error: Error) => void;
}

export class SegmentWaiters {
  private readonly bySeq = new Map<number, Set<Waiter>>();

  /** Resolves with the complete buffer; rejects with an AbortError when `signal` fires. */
  wait(seq: number, signal: AbortSignal): Promise<SegmentBuffer> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      let set = this.bySeq.get(seq);
      if (!set) {
        set = new Set();
        this.bySeq.set(seq, set);
      }
      const waiting = set;
      waiting.add(waiter);
      signal.addEventListener("abort", () => {
        waiting.delete(waiter);
        if (waiting.size === 0 && this.bySeq.get(seq) === waiting) this.bySeq.delete(seq);
        reject(new DOMException("aborted", "AbortError"));
      });
    });
  }

  /** Somebody waits for `seq`. */
  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  /** Sequence numbers somebody waits for (the store must not evict them). */
  seqs(): number[] {
    return [...this.bySeq.keys()];
  }

  resolve(seq: number, buffer: SegmentBuffer): void {
    const set = this.bySeq.get(seq);
    this.bySeq.delete(seq);
    for (const w of set ?? []) w.resolve(buffer);
  }

  reject(seq: number, error: Error): void {
    const set = this.bySeq.get(seq);
    this.bySeq.delete(seq);
    for (const w of set ?? []) w.reject(error);
  }

  rejectAll(error: Error): void {
    for (const seq of this.seqs()) this.reject(seq, error);
  }
}
