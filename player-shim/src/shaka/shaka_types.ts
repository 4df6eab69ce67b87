/**
 * The few parts of Shaka Player 5's API the adapter touches, typed structurally (see
 * shaka-player's dist/shaka-player.compiled.d.ts), so the shim never imports Shaka itself: the
 * page passes its own `shaka` namespace.
 */

export interface ShakaRequest {
  uris: string[];
  headers: Record<string, string>;
  method: string;
}

export interface ShakaResponse {
  uri: string;
  originalUri: string;
  data: ArrayBuffer | ArrayBufferView;
  headers: Record<string, string>;
  status?: number;
  timeMs?: number;
  fromCache?: boolean;
  originalRequest: ShakaRequest;
}

export interface ShakaSegmentReference {
  startTime: number;
  endTime: number;
  getUris(): string[];
}

export interface ShakaRequestContext {
  type?: number;
  segment?: ShakaSegmentReference | null;
  stream?: { segmentIndex?: Iterable<ShakaSegmentReference | null> | null };
}

export interface ShakaOperation<T> {
  promise: Promise<T>;
  abort(): Promise<unknown>;
}

export type ShakaSchemePlugin = (
  uri: string,
  request: ShakaRequest,
  requestType: number,
  progressUpdated: (...args: number[]) => void,
  headersReceived: (headers: Record<string, string>) => void,
  config: object,
) => ShakaOperation<ShakaResponse>;

export type ShakaRequestFilter = (type: number, request: ShakaRequest, context?: ShakaRequestContext) => void | Promise<unknown>;

export interface ShakaNetworkingEngine {
  registerRequestFilter(filter: ShakaRequestFilter): void;
  unregisterRequestFilter(filter: ShakaRequestFilter): void;
}

export interface ShakaPlayer {
  getNetworkingEngine(): ShakaNetworkingEngine | null;
  getMediaElement(): HTMLMediaElement | null;
  getPlayheadTimeAsDate(): Date | null;
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** The page's `shaka` namespace (the parts we use). */
export interface ShakaNamespace {
  net: {
    NetworkingEngine: {
      registerScheme(scheme: string, plugin: ShakaSchemePlugin, priority?: number, progressSupport?: boolean): void;
      RequestType: { SEGMENT: number };
      AdvancedRequestType: { MEDIA_SEGMENT: number };
      PluginPriority: { APPLICATION: number };
    };
    HttpFetchPlugin: { parse: ShakaSchemePlugin };
  };
  util: {
    AbortableOperation: new <T>(promise: Promise<T>, onAbort: () => Promise<unknown>) => ShakaOperation<T>;
    Error: (new (severity: number, category: number, code: number, ...data: unknown[]) => Error) & {
      Severity: { RECOVERABLE: number };
      Category: { NETWORK: number };
      Code: { OPERATION_ABORTED: number };
    };
  };
}
