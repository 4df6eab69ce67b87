/** Counters kept by the pure scheduler (peer/scheduler_stats.py; scenario files name them in snake_case). */

export interface SchedulerStats {
  bytesFromHttp: number;
  bytesFromPeers: number;
  duplicateBytes: number;
  bytesUploaded: number;
  piecesUploaded: number;
  missedDeadlines: number;
  badPieces: number;
  httpFetches: number;
  httpFailures: number;
  requestsSent: number;
  peersAbandoned: number;
  segmentsCompleted: number;
}

export function emptySchedulerStats(): SchedulerStats {
  return {
    bytesFromHttp: 0,
    bytesFromPeers: 0,
    duplicateBytes: 0,
    bytesUploaded: 0,
    piecesUploaded: 0,
    missedDeadlines: 0,
    badPieces: 0,
    httpFetches: 0,
    httpFailures: 0,
    requestsSent: 0,
    peersAbandoned: 0,
    segmentsCompleted: 0,
  };
}
