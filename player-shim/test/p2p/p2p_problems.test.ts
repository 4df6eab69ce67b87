/** The plain-words explanations behind `stats().p2pProblem` and the console warning. */
import { describe, expect, it } from "vitest";
import { explainP2PFailure } from "../../src/p2p/p2p_problems";
import { SignalingError } from "../../src/p2p/signaling_client";

const context = { signalingUrl: "https://sig.example/socket.io/", pageOrigin: "https://www.example.com" };

describe("explainP2PFailure", () => {
  it("passes the server's origin refusal on with where it came from", () => {
    const error = new SignalingError("origin-not-allowed", "signaling does not accept pages from https://www.example.com");
    const problem = explainP2PFailure(error, context);
    expect(problem.code).toBe("origin-not-allowed");
    expect(problem.message).toContain("Signaling at https://sig.example/socket.io/ refused this page");
    expect(problem.message).toContain("does not accept pages from https://www.example.com");
  });

  it("names the likely causes of a bare websocket error", () => {
    const problem = explainP2PFailure(new SignalingError("unreachable", "websocket error"), context);
    expect(problem.code).toBe("unreachable");
    expect(problem.message).toContain("does not pass WebSocket upgrades");
    expect(problem.message).toContain("https://www.example.com");
  });

  it("points token refusals at the shared secret", () => {
    const problem = explainP2PFailure(new SignalingError("token-bad-mac", "bad MAC"), context);
    expect(problem.message).toContain("SWARMCAST_TOKEN_SECRET");
  });

  it("reports API failures", () => {
    expect(explainP2PFailure(new Error("/api/config: HTTP 404"), context).message).toContain("/api/config: HTTP 404");
  });
});
