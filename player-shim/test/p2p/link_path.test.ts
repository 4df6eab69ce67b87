/** The `path` event: direct or relay from the selected ICE pair, sent once a link opens. */
import { describe, expect, it, vi } from "vitest";
import { pathOf, reportPath, selectedPair, type PairTypes } from "../../src/p2p/link_path";
import type { Link, PeerLinkOptions } from "../../src/p2p/peer_link";
import type { PathKind } from "../../src/protocol/signaling_schema";
import { soloSession } from "../support/solo_session";

function stats(entries: Record<string, unknown>[]): RTCStatsReport {
  return new Map(entries.map((e) => [e.id as string, e])) as unknown as RTCStatsReport;
}

function fakeLink(o: PeerLinkOptions, pair: () => Promise<PairTypes | null>): Link {
  return { peerId: o.peerId, piecesSent: 0, start: async () => undefined, handleSignal: async () => undefined, send: () => undefined, purge: () => undefined, close: () => undefined, selectedPair: pair };
}

describe("link path", () => {
  it("is relay when either end of the selected pair is a relay candidate", () => {
    expect(pathOf({ local: "host", remote: "srflx" })).toBe("direct");
    expect(pathOf({ local: "prflx", remote: null })).toBe("direct");
    expect(pathOf({ local: "relay", remote: "host" })).toBe("relay");
    expect(pathOf({ local: "srflx", remote: "relay" })).toBe("relay");
  });

  it("reads the transport's selected pair, else the nominated succeeded one", () => {
    const selected = stats([
      { id: "T", type: "transport", selectedCandidatePairId: "P" },
      { id: "Q", type: "candidate-pair", localCandidateId: "L", remoteCandidateId: "R", nominated: true, state: "succeeded" },
      { id: "P", type: "candidate-pair", localCandidateId: "L2", remoteCandidateId: "R2" },
      { id: "L", type: "local-candidate", candidateType: "host" },
      { id: "R", type: "remote-candidate", candidateType: "host" },
      { id: "L2", type: "local-candidate", candidateType: "srflx" },
      { id: "R2", type: "remote-candidate", candidateType: "relay" },
    ]);
    expect(selectedPair(selected)).toEqual({ local: "srflx", remote: "relay" });
    const nominated = stats([
      { id: "Q", type: "candidate-pair", localCandidateId: "L", remoteCandidateId: "R", nominated: true, state: "succeeded" },
      { id: "L", type: "local-candidate", candidateType: "host" },
    ]);
    expect(selectedPair(nominated)).toEqual({ local: "host", remote: null });
    expect(selectedPair(stats([]))).toBeNull();
  });

  it("sends nothing without a known pair or when stats fail", async () => {
    const sent: PathKind[] = [];
    const options = { peerId: "p" } as PeerLinkOptions;
    await reportPath(fakeLink(options, async () => null), (p) => void sent.push(p));
    await reportPath(fakeLink(options, async () => Promise.reject(new Error("closed"))), (p) => void sent.push(p));
    await reportPath(fakeLink(options, async () => ({ local: "relay", remote: "srflx" })), (p) => void sent.push(p));
    expect(sent).toEqual(["relay"]);
  });

  it("a session tells signaling how each link opened", async () => {
    const paths: [string, PathKind][] = [];
    const pairs: Record<string, PairTypes> = { peerDirect: { local: "host", remote: "srflx" }, peerRelay: { local: "srflx", remote: "relay" } };
    const session = soloSession(async function* () {}, async () => Promise.reject(new Error("unused")), {
      signaling: { signal: () => undefined, report: () => undefined, path: (peer, path) => void paths.push([peer, path]) },
      createLink: (o) => {
        const link = fakeLink(o, async () => pairs[o.peerId] ?? null);
        setTimeout(() => o.handlers.open(link), 0);
        return link;
      },
    });
    session.addNeighbour({ peerId: "peerDirect", initiator: true, seeder: false });
    session.addNeighbour({ peerId: "peerRelay", initiator: false, seeder: false });
    await vi.waitFor(() => expect(paths).toHaveLength(2));
    expect(paths.sort()).toEqual([["peerDirect", "direct"], ["peerRelay", "relay"]]);
    session.close();
  });
});
