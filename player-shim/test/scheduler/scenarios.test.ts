/** Every shared scheduler scenario in tests/vectors/scheduler/, the same files Python runs. */
import { describe, expect, it } from "vitest";
import { electionHash, electionUnit, httpFirstDelay } from "../../src/scheduler/election";
import { hasVectors, loadVectors, vectorFiles } from "../vectors";
import { runScript, type Json } from "./scenario_runner";
import { runSwarm } from "./swarm_sim";

const files = vectorFiles("scheduler").filter((f) => !f.endsWith("election_hash.json"));

describe("scheduler scenarios", () => {
  it("exist, of both kinds", () => {
    const kinds = new Set(files.map((f) => loadVectors<Json>(f).kind));
    expect([...kinds].sort()).toEqual(["script", "swarm"]);
  });

  it.each(files.map((f) => [f.replace("scheduler/", ""), f] as const))("%s", (_name, file) => {
    const scenario = loadVectors<Json>(file);
    if (scenario.kind === "script") runScript(scenario);
    else runSwarm(scenario);
  });
});

interface ElectionVectors {
  hashes: { peer_id: string; seq: number; hash: number }[];
  delays: {
    peer_id: string;
    seq: number;
    neighbour_ids: string[];
    swarm_size: number;
    seeder_neighbour: boolean;
    http_first_count: number;
    tier_spacing_s: number;
    tier_growth: number;
    neighbour_stagger_s: number;
    large_swarm?: number;
    skip_empty_tiers?: boolean;
    lowest_known_first?: boolean;
    unit: number;
    delay_s: number;
  }[];
}

describe.skipIf(!hasVectors("scheduler/election_hash.json"))("live election (scheduler/election_hash.json)", () => {
  const v = hasVectors("scheduler/election_hash.json") ? loadVectors<ElectionVectors>("scheduler/election_hash.json") : { hashes: [], delays: [] };

  it.each(v.hashes.map((h) => [`${h.peer_id}/${h.seq}`, h] as const))("hash %s", (_n, h) => {
    expect(electionHash(h.peer_id, h.seq)).toBe(h.hash);
  });

  it.each(v.delays.map((d, i) => [`${d.peer_id}/${d.seq} (${i})`, d] as const))("delay %s", (_n, d) => {
    expect(electionUnit(d.peer_id, d.seq)).toBe(d.unit);
    const delay = httpFirstDelay(d.peer_id, d.seq, {
      neighbourIds: d.neighbour_ids,
      swarmSize: d.swarm_size,
      httpFirstCount: d.http_first_count,
      tierSpacingS: d.tier_spacing_s,
      tierGrowth: d.tier_growth,
      neighbourStaggerS: d.neighbour_stagger_s,
      seederNeighbour: d.seeder_neighbour,
      largeSwarm: d.large_swarm ?? 0,
      skipEmptyTiers: d.skip_empty_tiers ?? false,
      lowestKnownFirst: d.lowest_known_first ?? false,
    });
    expect(delay).toBeCloseTo(d.delay_s, 12);
  });
});
