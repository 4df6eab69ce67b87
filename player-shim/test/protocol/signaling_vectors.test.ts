/** tests/vectors/signaling.json, written by protocol/signaling_schema.py: same verdicts in TS. */
import { describe, expect, it } from "vitest";
import {
  parseAck,
  parseAuth,
  parseErrorBody,
  parseJoin,
  parseJoinAck,
  parseLeave,
  parseNeighboursEvent,
  parsePath,
  parseRelayedSignal,
  parseReport,
  parseSignal,
  SchemaError,
} from "../../src/protocol/signaling_schema";
import { cohortBucket, parseBeacon, parseBeaconAck, parseControl } from "../../src/protocol/beacon_schema";
import { hasVectors, loadVectors } from "../vectors";

interface Case {
  event: string;
  name: string;
  payload: unknown;
  parsed?: unknown;
  code?: string;
}
interface Vectors {
  valid: Case[];
  invalid: Case[];
  server_valid: Case[];
  server_invalid: Case[];
  cohort?: { viewer: string; bucket: number }[];
}

const CLIENT: Record<string, (p: unknown) => unknown> = {
  auth: parseAuth,
  join: parseJoin,
  signal: parseSignal,
  report: parseReport,
  path: parsePath,
  leave: parseLeave,
  beacon: parseBeacon,
};
const SERVER: Record<string, (p: unknown) => unknown> = {
  join_ack: parseJoinAck,
  neighbours: parseNeighboursEvent,
  signal: parseRelayedSignal,
  error: parseErrorBody,
  ack: parseAck,
  control: parseControl,
  beacon_ack: parseBeaconAck,
};

function refusal(parse: (p: unknown) => unknown, payload: unknown): string {
  try {
    parse(payload);
  } catch (e) {
    expect(e).toBeInstanceOf(SchemaError);
    return (e as SchemaError).code;
  }
  throw new Error("accepted");
}

const label = (c: Case, i: number): string => `${c.event}: ${c.name} (${i})`;

describe.skipIf(!hasVectors("signaling.json"))("tests/vectors/signaling.json", () => {
  const v = hasVectors("signaling.json") ? loadVectors<Vectors>("signaling.json") : { valid: [], invalid: [], server_valid: [], server_invalid: [] };

  it.each(v.valid.map((c, i) => [label(c, i), c] as const))("client request accepted: %s", (_n, c) => {
    expect((CLIENT[c.event] as (p: unknown) => unknown)(c.payload)).toEqual(c.parsed);
  });
  it.each(v.invalid.map((c, i) => [label(c, i), c] as const))("client request refused: %s", (_n, c) => {
    expect(refusal(CLIENT[c.event] as (p: unknown) => unknown, c.payload)).toBe(c.code);
  });
  it.each((v.server_valid ?? []).map((c, i) => [label(c, i), c] as const))("server payload accepted: %s", (_n, c) => {
    expect((SERVER[c.event] as (p: unknown) => unknown)(c.payload)).toEqual(c.parsed);
  });
  it.each((v.server_invalid ?? []).map((c, i) => [label(c, i), c] as const))("server payload refused: %s", (_n, c) => {
    expect(refusal(SERVER[c.event] as (p: unknown) => unknown, c.payload)).toBe(c.code);
  });
  it.each((v.cohort ?? []).map((c) => [c.viewer, c] as const))("ramp-up cohort bucket of %j", (_n, c) => {
    expect(cohortBucket(c.viewer)).toBe(c.bucket);
  });
});
