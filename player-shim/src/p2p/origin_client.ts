/**
 * HTTP to the origin for the engine: byte ranges of segments (only the missing pieces), integrity
 * records and the signing key, each verified before use. Records and keys count as overhead.
 */

import type { Ed25519Verifier } from "../protocol/ed25519";
import {
  parseIntegrityRecord,
  parseSigningKey,
  verifyRecordSignature,
  type IntegrityRecord,
  type SigningKey,
} from "../protocol/integrity";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** `<file>.integrity.json` beside a segment URL (protocol §1), without the query string. */
export function integrityUrl(segmentUrl: string): string {
  const url = new URL(segmentUrl, globalThis.location?.href);
  url.search = "";
  url.hash = "";
  return `${url.href}.integrity.json`;
}

export interface SegmentLocation {
  stream: string;
  rendition: string;
  file: string;
}

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Reads `<stream>/<rendition>/<file>` from the last three path components of a segment URL. */
export function locateSegment(segmentUrl: string): SegmentLocation | null {
  let path: string;
  try {
    path = new URL(segmentUrl, globalThis.location?.href).pathname;
  } catch {
    return null;
  }
  const parts = path.split("/").filter((p) => p.length > 0);
  if (parts.length < 3) return null;
  const [stream, rendition, file] = parts.slice(-3) as [string, string, string];
  if (!NAME_RE.test(stream) || !NAME_RE.test(rendition)) return null;
  return { stream, rendition, file };
}

/** `/live/<stream>/signing-key.json` for a segment URL `/live/<stream>/<rendition>/<file>`. */
export function signingKeyUrl(segmentUrl: string): string {
  return new URL("../signing-key.json", new URL(segmentUrl, globalThis.location?.href)).href;
}

/** How the engine makes its own origin requests (records, keys, Range fetches, API). */
export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

export class OriginClient {
  constructor(
    private readonly verifier: Ed25519Verifier,
    /** Bytes of records and keys: not media, but still origin traffic. */
    private readonly onOverhead: (bytes: number, what: string) => void,
    /** The page's request hook (tokens, cookies, CDN auth); default the global fetch. */
    private readonly fetchFn: FetchFn = (url, init) => fetch(url, init),
    /** A Range fetch completed: `bytes` from the network in `ms`, request to last byte (the download meter). */
    private readonly onTransfer: (bytes: number, ms: number) => void = () => undefined,
  ) {}

  async fetchSigningKey(url: string, signal?: AbortSignal): Promise<SigningKey> {
    const text = await this.text(url, signal);
    return parseSigningKey(text);
  }

  /**
   * Fetches a segment's record and checks its signature; throws HttpError or IntegrityError. The
   * key may still be on its way: the record's request does not wait for it.
   */
  async fetchRecord(segmentUrl: string, key: SigningKey | Promise<SigningKey>, signal?: AbortSignal): Promise<IntegrityRecord> {
    const record = parseIntegrityRecord(await this.text(integrityUrl(segmentUrl), signal));
    await verifyRecordSignature(record, await key, this.verifier);
    return record;
  }

  /**
   * Bytes [start, end) of a segment. Asks with Range unless that is the whole file; a server that
   * ignores Range (200) still works, we cut the part we asked for.
   */
  /**
   * GETs bytes [start, end) of a file of `size` bytes and yields them as they arrive, so that
   * verified pieces can be used (and relayed to neighbours) before a slow download ends. A 200
   * answer to a Range request (servers may ignore Range) is cut to the range.
   */
  async *streamRange(url: string, start: number, end: number, size: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const whole = start === 0 && end === size;
    const headers: Record<string, string> = whole ? {} : { Range: `bytes=${start}-${end - 1}` };
    const requestedAt = performance.now();
    const response = await this.fetchFn(url, { headers, signal });
    if (response.status !== 200 && response.status !== 206) throw new HttpError(response.status, `GET ${url}: HTTP ${response.status}`);
    const bodyStart = response.status === 206 ? start : 0;
    let offset = bodyStart; // file offset of the next body byte
    const reader = response.body?.getReader();
    const chunks: AsyncIterable<Uint8Array> | Uint8Array[] = reader ? readAll(reader) : [new Uint8Array(await response.arrayBuffer())];
    for await (const chunk of chunks) {
      const from = Math.max(offset, start);
      const to = Math.min(offset + chunk.length, end);
      if (to > from) yield chunk.subarray(from - offset, to - offset);
      offset += chunk.length;
      if (offset >= end) {
        this.onTransfer(offset - bodyStart, performance.now() - requestedAt);
        await reader?.cancel().catch(() => undefined);
        return;
      }
    }
    throw new HttpError(response.status, `GET ${url}: body ended at byte ${offset} of ${end}`);
  }

  private async text(url: string, signal?: AbortSignal): Promise<string> {
    const response = await this.fetchFn(url, { signal });
    if (!response.ok) throw new HttpError(response.status, `GET ${url}: HTTP ${response.status}`);
    const text = await response.text();
    this.onOverhead(text.length, url);
    return text;
  }
}

async function* readAll(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (value) yield value;
  }
}

/** Integrity records by segment URL: one request per URL, a failed one tried again later. */
export class RecordCache {
  private readonly records = new Map<string, Promise<IntegrityRecord>>();

  constructor(private readonly limit = 200) {}

  get(origin: OriginClient, url: string, key: SigningKey | Promise<SigningKey>): Promise<IntegrityRecord> {
    let pending = this.records.get(url);
    if (!pending) {
      pending = origin.fetchRecord(url, key);
      this.records.set(url, pending);
      pending.catch(() => this.records.delete(url)); // let a later load try again
      if (this.records.size > this.limit) this.records.delete(this.records.keys().next().value as string);
    }
    return pending;
  }

  /** The newest segment URL asked for (a rejoin names its swarm with it). */
  get lastUrl(): string | null {
    return this.records.size > 0 ? ([...this.records.keys()].pop() as string) : null;
  }
}
