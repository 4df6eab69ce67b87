// swarmcast broadcaster: getUserMedia -> RTCPeerConnection -> WHIP POST (RFC 9725), DELETE on
// stop, ICE restart by PATCH (RFC 9725 §4.3.2) when the connection fails. Candidates are
// gathered before the POST (no trickle needed; the server also accepts trickle PATCHes).
// Tests read `window.swarmcastBroadcast`; keep its fields stable.
"use strict";

(function () {
  const GATHER_TIMEOUT_MS = 3000;
  const $ = (id) => document.getElementById(id);
  const state = {
    state: "idle", // idle | starting | live | stopped | refused | failed
    status: null, // HTTP status of the last WHIP request
    error: null,
    sessionUrl: null,
    etag: null,
    iceRestarts: 0,
    trickles: 0, // trickle PATCHes the server took (204)
    pc: null,
    stream: null,
  };
  window.swarmcastBroadcast = state;
  const params = new URLSearchParams(window.location.search);
  $("endpoint").value = params.get("endpoint") || `${window.location.origin}/whip`;
  if (params.get("key")) $("key").value = params.get("key");

  function show(next, detail) {
    state.state = next;
    $("state").textContent = detail ? `${next}: ${detail}` : next;
    $("start").disabled = next === "starting" || next === "live";
    $("stop").disabled = !(next === "starting" || next === "live");
  }

  function authHeaders() {
    return { Authorization: `Bearer ${$("key").value}` };
  }

  async function iceServers() {
    // The operator's STUN/TURN settings (empty on a LAN); a publisher behind NAT needs them.
    try {
      const response = await fetch("/api/config");
      if (response.ok) return (await response.json()).iceServers || [];
    } catch (_) { /* another origin's page: no config, host candidates only */ }
    return [];
  }

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  async function start() {
    show("starting");
    state.error = null;
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      $("preview").srcObject = state.stream;
      const pc = new RTCPeerConnection({ iceServers: await iceServers() });
      state.pc = pc;
      for (const track of state.stream.getTracks()) {
        pc.addTransceiver(track, { direction: "sendonly", streams: [state.stream] });
      }
      pc.addEventListener("connectionstatechange", () => {
        if (pc !== state.pc) return;
        if (pc.connectionState === "connected") show("live");
      });
      pc.addEventListener("iceconnectionstatechange", async () => {
        // The network changed or broke: new ICE credentials over the same session (the
        // stream continues without a discontinuity); if that fails, the publish is over.
        if (pc !== state.pc || pc.iceConnectionState !== "failed") return;
        if (!(await restartIce())) show("failed", "connection lost");
      });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const endpoint = $("endpoint").value;
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { ...authHeaders(), "Content-Type": "application/sdp" },
        body: pc.localDescription.sdp,
      });
      state.status = response.status;
      const body = await response.text();
      if (response.status !== 201) {
        await teardown();
        show(response.status === 401 ? "refused" : "failed", `${response.status} ${body.trim()}`);
        return;
      }
      state.sessionUrl = new URL(response.headers.get("Location"), endpoint).href;
      state.etag = response.headers.get("ETag");
      $("session").textContent = state.sessionUrl;
      await pc.setRemoteDescription({ type: "answer", sdp: body });
    } catch (error) {
      state.error = String(error);
      await teardown();
      show("failed", String(error));
    }
  }

  // The ICE part of an SDP as an application/trickle-ice-sdpfrag body (RFC 8840): the
  // credentials, then the first (bundle-tagged) m= section's line, mid and candidates.
  // `complete`: gathering ended, so the body may say a=end-of-candidates; otherwise the rest
  // follows by trickle PATCH.
  function iceFragment(sdp, complete = true) {
    const lines = sdp.split(/\r?\n/).filter((line) => line);
    const first = lines.findIndex((line) => line.startsWith("m="));
    const next = lines.findIndex((line, i) => i > first && line.startsWith("m="));
    const section = lines.slice(first, next === -1 ? undefined : next);
    const pick = (prefix) => section.find((line) => line.startsWith(prefix))
      || lines.find((line) => line.startsWith(prefix));
    return [
      pick("a=ice-ufrag:"), pick("a=ice-pwd:"), lines[first], pick("a=mid:"),
      ...section.filter((line) => line.startsWith("a=candidate:")),
      ...(complete ? ["a=end-of-candidates"] : []),
    ].join("\r\n") + "\r\n";
  }

  // The remote answer with the ICE restart's new credentials and candidates in place.
  function withIce(sdp, fragment) {
    const frag = fragment.split(/\r?\n/);
    const ufrag = frag.find((line) => line.startsWith("a=ice-ufrag:"));
    const pwd = frag.find((line) => line.startsWith("a=ice-pwd:"));
    const candidates = frag.filter((line) => line.startsWith("a=candidate:"));
    const out = [];
    for (const line of sdp.split(/\r?\n/)) {
      if (!line || line.startsWith("a=candidate:") || line === "a=end-of-candidates") continue;
      if (line.startsWith("a=ice-ufrag:")) out.push(ufrag);
      else if (line.startsWith("a=ice-pwd:")) out.push(pwd, ...candidates, "a=end-of-candidates");
      else out.push(line);
    }
    return out.join("\r\n") + "\r\n";
  }

  function ufragOf(sdp) {
    const line = sdp.split(/\r?\n/).find((l) => l.startsWith("a=ice-ufrag:"));
    return line ? line.slice("a=ice-ufrag:".length) : null;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // A trickle-ice-sdpfrag PATCH of the session (RFC 9725 §4.3): `ifMatch` "*" for an ICE
  // restart, the session's ETag for trickled candidates.
  function patchFragment(body, ifMatch) {
    return fetch(state.sessionUrl, {
      method: "PATCH",
      headers: {
        ...authHeaders(),
        "Content-Type": "application/trickle-ice-sdpfrag",
        "If-Match": ifMatch,
      },
      body,
    });
  }

  // RFC 9725 §4.3.2: new ICE credentials and candidates by PATCH (If-Match: *), the server's
  // in the 200 answer. True if the restart was accepted. `gatherWaitMs`: how long the PATCH
  // waits for gathering (tests shorten it to exercise the trickled rest).
  async function restartIce({ gatherWaitMs = GATHER_TIMEOUT_MS } = {}) {
    const pc = state.pc;
    if (!pc || !state.sessionUrl) return false;
    try {
      const before = ufragOf(pc.localDescription.sdp);
      // Gathering was "complete" before the restart: wait for the restart's own end of
      // candidates (a null icecandidate event), not for the state. On a slow machine it can
      // take longer than we wait: then the PATCH must not say end-of-candidates (the server
      // would give up on the candidates still to come); they follow by trickle PATCH.
      let complete = false;
      const gatheringEnded = new Promise((resolve) => {
        const onCandidate = (event) => {
          if (event.candidate) return;
          complete = true;
          pc.removeEventListener("icecandidate", onCandidate);
          resolve();
        };
        pc.addEventListener("icecandidate", onCandidate);
      });
      await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
      if (ufragOf(pc.localDescription.sdp) === before) return false;
      if (gatherWaitMs > 0) await Promise.race([gatheringEnded, sleep(gatherWaitMs)]);
      const sentComplete = complete;
      const sent = iceFragment(pc.localDescription.sdp, sentComplete);
      const response = await patchFragment(sent, "*");
      state.status = response.status;
      const body = await response.text();
      if (response.status !== 200) {
        state.error = `ICE restart refused: ${response.status} ${body.trim()}`;
        return false;
      }
      state.etag = response.headers.get("ETag");
      await pc.setRemoteDescription({ type: "answer", sdp: withIce(pc.remoteDescription.sdp, body) });
      state.iceRestarts += 1;
      if (!sentComplete) trickleRest(sent, gatheringEnded);
      return true;
    } catch (error) {
      state.error = String(error);
      return false;
    }
  }

  // RFC 9725 §4.3.1: the restart's candidates gathered after its PATCH, and the end of them,
  // once gathering ends (bounded: a gathering that never ends leaves the server its checks).
  async function trickleRest(sent, gatheringEnded) {
    const pc = state.pc;
    const ended = await Promise.race([
      gatheringEnded.then(() => true),
      sleep(10 * GATHER_TIMEOUT_MS).then(() => false),
    ]);
    if (!ended || pc !== state.pc || !state.sessionUrl) return;
    const already = new Set(sent.split("\r\n").filter((line) => line.startsWith("a=candidate:")));
    const fragment = iceFragment(pc.localDescription.sdp, true)
      .split("\r\n")
      .filter((line) => !already.has(line))
      .join("\r\n");
    try {
      const response = await patchFragment(fragment, state.etag);
      state.status = response.status;
      if (response.status === 204) state.trickles += 1;
      else state.error = `trickle refused: ${response.status}`;
    } catch (error) {
      state.error = String(error);
    }
  }

  async function teardown() {
    if (state.pc) state.pc.close();
    state.pc = null;
    if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
    state.stream = null;
  }

  async function stop() {
    const url = state.sessionUrl;
    state.sessionUrl = null;
    if (url) {
      try {
        const response = await fetch(url, { method: "DELETE", headers: authHeaders() });
        state.status = response.status;
      } catch (error) {
        state.error = String(error);
      }
    }
    await teardown();
    $("session").textContent = "–";
    show("stopped");
  }

  state.start = start;
  state.stop = stop;
  state.restartIce = restartIce;
  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    start();
  });
  $("stop").addEventListener("click", stop);
  window.addEventListener("pagehide", () => {
    // Best effort: tell the server at once rather than letting its idle timeout notice.
    if (state.sessionUrl) {
      fetch(state.sessionUrl, { method: "DELETE", headers: authHeaders(), keepalive: true });
    }
  });
})();
