// swarmcast broadcaster: getUserMedia -> RTCPeerConnection -> WHIP POST (RFC 9725), DELETE on
// stop. Candidates are gathered before the POST (no trickle needed; the server also accepts
// trickle PATCHes). Tests read `window.swarmcastBroadcast`; keep its fields stable.
"use strict";

(function () {
  const GATHER_TIMEOUT_MS = 3000;
  const $ = (id) => document.getElementById(id);
  const state = {
    state: "idle", // idle | starting | live | stopped | refused | failed
    status: null, // HTTP status of the last WHIP request
    error: null,
    sessionUrl: null,
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
        if (pc.connectionState === "failed") show("failed", "connection lost");
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
      $("session").textContent = state.sessionUrl;
      await pc.setRemoteDescription({ type: "answer", sdp: body });
    } catch (error) {
      state.error = String(error);
      await teardown();
      show("failed", String(error));
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
