// Swarm lab probe: injected into every viewer page before the page's own scripts run
// (Playwright `add_init_script`). It watches the page's <video> element and resource timing
// without depending on the player, and reads the swarmcast shim's stats API when it is present.
// The lab calls `window.__swarmLab.sample()` about once a second; times are wall-clock ms
// (Date.now()) so samples from different browsers line up with the lab's own clock.
(() => {
  if (window.__swarmLab) return;

  const FROZEN_AFTER_MS = 1000; // no currentTime progress this long while playing = a stall
  const WATCH_EVERY_MS = 200;

  const state = {
    navigationStart: performance.timeOrigin,
    firstFrameWall: null, // first frame presented (requestVideoFrameCallback), else 'playing'
    // When the page's main thread heard of that frame: later than firstFrameWall by as long as
    // the page's scripts (or a starved renderer) kept the main thread from running the callback.
    firstFrameCallbackWall: null,
    firstPlayingWall: null,
    stalls: [], // {start, end|null, cause: "waiting"|"frozen", seeking: bool}
    waitingEvents: 0,
    mediaErrors: [],
    lastCurrentTime: null,
    lastProgressWall: null,
    http: { media: 0, init: 0, playlist: 0, integrity: 0, other: 0, mediaRequests: 0 },
    // Start-up breakdown: first media segment request sent / answered (resource timing).
    firstMediaRequestWall: null,
    firstMediaResponseWall: null,
    // From the shim's event API once a swarm exists (see hookShim below).
    shimEvents: { segments: [], warnings: [], peerCloses: {}, verificationFailures: [] },
    // Main-thread tasks over 50 ms (Long Tasks API): a page whose first frame comes late because
    // its own scripts kept the main thread busy shows them here, one starved by other processes
    // does not. `startup`: the first 60 of them, wall-clock start and duration in ms.
    longTasks: { count: 0, totalMs: 0, startup: [] },
    // With `?timeline=1`: each time a 250-ms timer ran >= 1 s late (wall ms when it ran, how
    // late). Unlike long tasks this also catches a renderer starved by other processes.
    blocked: [],
  };

  const BLOCK_PROBE_MS = 250;
  const BLOCKED_MS = 1000;
  if (new URLSearchParams(location.search).get("timeline") === "1") {
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      const late = now - last - BLOCK_PROBE_MS;
      if (late >= BLOCKED_MS && state.blocked.length < 500) state.blocked.push({ t: performance.timeOrigin + now, ms: Math.round(late) });
      last = now;
    }, BLOCK_PROBE_MS);
  }

  // --- HTTP bytes from resource timing (covers hls.js XHR/fetch and the shim's own fetches) ---
  const classify = (url) => {
    const path = new URL(url, location.href).pathname;
    if (path.endsWith(".m4s")) return "media";
    if (/\/init-\d+\.mp4$/.test(path)) return "init";
    if (path.endsWith(".m3u8") || path.endsWith(".mpd")) return "playlist";
    if (path.endsWith(".integrity.json") || path.endsWith("signing-key.json")) return "integrity";
    return "other";
  };
  const account = (entry) => {
    // transferSize is 0 for a memory/disk cache hit: those bytes did not cross the network.
    if (!entry.transferSize) return;
    const kind = classify(entry.name);
    state.http[kind] += entry.encodedBodySize || 0;
    if (kind === "media") {
      state.http.mediaRequests += 1;
      if (state.firstMediaRequestWall === null) {
        state.firstMediaRequestWall = performance.timeOrigin + entry.startTime;
        state.firstMediaResponseWall = performance.timeOrigin + entry.responseEnd;
      }
    }
  };
  try {
    new PerformanceObserver((list) =>
      list.getEntries().forEach((entry) => {
        state.longTasks.count += 1;
        state.longTasks.totalMs += entry.duration;
        if (state.longTasks.startup.length < 60) {
          state.longTasks.startup.push([Math.round(performance.timeOrigin + entry.startTime), Math.round(entry.duration)]);
        }
      }),
    ).observe({ type: "longtask", buffered: true });
  } catch (err) {
    state.mediaErrors.push(`long task timing unavailable: ${err}`);
  }
  try {
    new PerformanceObserver((list) => list.getEntries().forEach(account)).observe({
      type: "resource",
      buffered: true,
    });
    performance.setResourceTimingBufferSize(100000);
  } catch (err) {
    state.mediaErrors.push(`resource timing unavailable: ${err}`);
  }

  // --- the video element: events captured on window (media events do not bubble) ---
  const videoElement = () => document.querySelector("video");
  const openStall = () => state.stalls.find((s) => s.end === null) || null;
  const startStall = (startWall, cause, video) => {
    if (state.firstFrameWall === null || openStall()) return;
    state.stalls.push({ start: startWall, end: null, cause, seeking: Boolean(video && video.seeking) });
  };
  const endStall = (endWall) => {
    const stall = openStall();
    if (stall) stall.end = endWall;
  };
  const markFirstFrame = (wall) => {
    if (state.firstFrameWall === null) {
      state.firstFrameWall = wall;
      state.lastProgressWall = wall;
    }
  };
  const watchFrames = (video) => {
    if (video.__swarmLabWatched || !video.requestVideoFrameCallback) return;
    video.__swarmLabWatched = true;
    video.requestVideoFrameCallback((_now, metadata) => {
      const heard = Date.now();
      state.firstFrameCallbackWall = state.firstFrameCallbackWall || heard;
      // The compositor's presentation time: the viewer sees the frame then, whatever the main
      // thread is doing (the callback itself waits for the main thread).
      const presented = metadata && typeof metadata.presentationTime === "number" ? performance.timeOrigin + metadata.presentationTime : heard;
      markFirstFrame(Math.min(presented, heard));
    });
  };

  window.addEventListener(
    "loadstart",
    (e) => e.target instanceof HTMLVideoElement && watchFrames(e.target),
    true,
  );
  window.addEventListener(
    "playing",
    (e) => {
      if (!(e.target instanceof HTMLVideoElement)) return;
      if (state.firstPlayingWall === null) state.firstPlayingWall = Date.now();
      watchFrames(e.target);
    },
    true,
  );
  window.addEventListener(
    "waiting",
    (e) => {
      if (!(e.target instanceof HTMLVideoElement)) return;
      state.waitingEvents += 1;
      startStall(Date.now(), "waiting", e.target);
    },
    true,
  );
  window.addEventListener(
    "error",
    (e) => {
      if (e.target instanceof HTMLVideoElement && e.target.error) {
        state.mediaErrors.push(`media error ${e.target.error.code}: ${e.target.error.message}`);
      }
    },
    true,
  );

  // The shim's events (player-shim/src/events.ts) of the current swarm: the first segments'
  // sources and timings, warnings, why peers closed. Subscribed as soon as a swarm exists.
  let hookedSwarm = null;
  const keep = (list, item, max) => {
    list.push(item);
    if (list.length > max) list.shift();
  };
  const hookShim = () => {
    const sc = window.swarmcast;
    if (!sc || typeof sc.on !== "function" || typeof sc.currentSwarm !== "function") return;
    const swarm = sc.currentSwarm();
    if (!swarm || swarm === hookedSwarm) return;
    hookedSwarm = swarm;
    const events = state.shimEvents;
    try {
      sc.on("segment", (e) => {
        if (events.segments.length < 8) {
          events.segments.push({ wall: Date.now(), seq: e.seq, http: e.httpBytes, p2p: e.p2pBytes, ms: e.ms });
        }
      });
      sc.on("warning", (e) => keep(events.warnings, { wall: Date.now(), message: String(e.message).slice(0, 200) }, 30));
      sc.on("peer-close", (e) => {
        events.peerCloses[e.reason] = (events.peerCloses[e.reason] || 0) + 1;
      });
      sc.on("verification-failure", (e) => keep(events.verificationFailures, { wall: Date.now(), seq: e.seq, reason: e.reason }, 10));
    } catch (err) {
      keep(events.warnings, { wall: Date.now(), message: `lab probe could not subscribe: ${err}` }, 30);
    }
  };

  // --- peer connections: who each one tried to reach and the ICE pair it selected ---
  // Every RTCPeerConnection the page makes is wrapped (this script runs first): the remote
  // candidates' addresses (SDP and trickled) name the remote host in the lab, getStats gives
  // the selected pair's candidate types. The NAT lab's figures (e2e/lab/realistic_figures.py)
  // build the NAT-pair matrix from them.
  const MAX_PCS = 200;
  const PAIR_REFRESH_MS = 15000;
  const pcs = [];
  const CANDIDATE = /candidate:\S+ \d+ \S+ \d+ (\S+) \d+ typ (\w+)/g;
  const noteCandidates = (entry, text) => {
    if (typeof text !== "string") return;
    for (const match of text.matchAll(CANDIDATE)) {
      const key = `${match[2]} ${match[1]}`;
      if (!entry.remoteCandidates.includes(key) && entry.remoteCandidates.length < 20) entry.remoteCandidates.push(key);
    }
  };
  const refreshPair = async (entry) => {
    if (entry.pc.connectionState === "closed") return;
    try {
      const report = await entry.pc.getStats();
      let pairId = null;
      report.forEach((s) => {
        if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      });
      const pair = pairId ? report.get(pairId) : null;
      const local = pair ? report.get(pair.localCandidateId) : null;
      const remote = pair ? report.get(pair.remoteCandidateId) : null;
      if (local && remote) {
        entry.pair = `${local.candidateType}/${remote.candidateType}`;
        entry.remoteAddress = remote.address || remote.ip || null;
      }
    } catch (err) {
      entry.statsError = String(err).slice(0, 100);
    }
  };
  const NativePC = window.RTCPeerConnection;
  if (typeof NativePC === "function") {
    class LabPeerConnection extends NativePC {
      constructor(...args) {
        super(...args);
        const entry = { pc: this, created: Date.now(), connected: null, state: "new", pair: null, remoteAddress: null, remoteCandidates: [] };
        if (pcs.length < MAX_PCS) pcs.push(entry);
        this.addEventListener("connectionstatechange", () => {
          entry.state = this.connectionState;
          if (this.connectionState === "connected") {
            if (entry.connected === null) entry.connected = Date.now();
            void refreshPair(entry);
          }
        });
        this.__swarmLabEntry = entry;
      }
      setRemoteDescription(description, ...rest) {
        if (description && this.__swarmLabEntry) noteCandidates(this.__swarmLabEntry, description.sdp);
        return super.setRemoteDescription(description, ...rest);
      }
      addIceCandidate(candidate, ...rest) {
        if (candidate && this.__swarmLabEntry) noteCandidates(this.__swarmLabEntry, candidate.candidate);
        return super.addIceCandidate(candidate, ...rest);
      }
    }
    window.RTCPeerConnection = LabPeerConnection;
    // getStats is not free (it crosses threads and builds a full report) and only P2P pages pay it:
    // the pair is read at connect and then every PAIR_REFRESH_MS in case ICE switches pairs.
    setInterval(() => pcs.forEach((e) => e.state === "connected" && void refreshPair(e)), PAIR_REFRESH_MS);
  }
  const peerConnections = () =>
    pcs.map(({ pc, ...rest }) => ({ ...rest, remoteCandidates: rest.remoteCandidates.slice() }));

  // Progress watchdog: ends a stall once currentTime moves, opens one when it has not moved
  // for FROZEN_AFTER_MS although the element is neither paused nor ended.
  setInterval(() => {
    hookShim();
    const video = videoElement();
    if (!video) return;
    const now = Date.now();
    if (state.firstFrameWall === null && video.currentTime > 0 && video.readyState >= 2) {
      markFirstFrame(state.firstPlayingWall || now); // no requestVideoFrameCallback: best effort
    }
    if (state.firstFrameWall === null) return;
    if (state.lastCurrentTime !== null && video.currentTime !== state.lastCurrentTime) {
      state.lastProgressWall = now;
      endStall(now);
    } else if (!video.paused && !video.ended && now - state.lastProgressWall >= FROZEN_AFTER_MS) {
      startStall(state.lastProgressWall, "frozen", video);
    }
    state.lastCurrentTime = video.currentTime;
  }, WATCH_EVERY_MS);

  // --- player objects: the shim's stats API and hls.js, wherever the page exposes them ---
  const findHls = () => {
    const sc = window.swarmcast;
    const demo = window.swarmcastDemo; // the origin's demo page (server/static/demo.js)
    const candidates = [demo && demo.hls, window.hls, sc && sc.hls, sc && sc.player && sc.player.hls];
    return candidates.find((h) => h && typeof h === "object" && "media" in h) || null;
  };
  // The shim's stats (player-shim/src/stats.ts, ShimStats): from the page's swarm handle when
  // the demo page keeps one, else from the bundle's global `swarmcast.stats()`.
  const shimStats = () => {
    const demo = window.swarmcastDemo;
    const sc = window.swarmcast;
    const owners = [demo && demo.swarm, demo && demo.shim, sc];
    for (const owner of owners) {
      if (!owner || typeof owner.stats !== "function") continue;
      try {
        const value = owner.stats();
        if (value) return JSON.parse(JSON.stringify(value));
      } catch (err) {
        return { error: String(err) };
      }
    }
    return null;
  };
  const bufferedAhead = (video) => {
    for (let i = 0; i < video.buffered.length; i++) {
      if (video.buffered.start(i) <= video.currentTime + 0.1 && video.currentTime <= video.buffered.end(i)) {
        return video.buffered.end(i) - video.currentTime;
      }
    }
    return 0;
  };

  // The page's requests to its origin, for the timeline dump (queued = from the request's
  // creation until it left, connection set-up and pool waits included; protocol: "http/1.1",
  // or "h2" through the page edge).
  const originResources = () => {
    const at = (x) => Math.round(x * 10) / 10;
    return performance
      .getEntriesByType("resource")
      .filter((r) => r.name.startsWith(location.origin))
      .map((r) => ({
        path: r.name.slice(location.origin.length, location.origin.length + 120),
        t: at(performance.timeOrigin + r.startTime),
        queuedMs: at(r.requestStart - r.startTime),
        ttfbMs: at(r.responseStart - r.requestStart),
        transferMs: at(r.responseEnd - r.responseStart),
        bytes: r.encodedBodySize,
        protocol: r.nextHopProtocol,
      }));
  };

  window.__swarmLab = {
    blocked: () => state.blocked.slice(),
    resources: originResources,
    sample() {
      const video = videoElement();
      const hls = findHls();
      let latency = null;
      let liveSyncLatency = null;
      if (hls) {
        const playingDate = hls.playingDate;
        if (playingDate) latency = (Date.now() - playingDate.getTime()) / 1000;
        if (typeof hls.latency === "number" && Number.isFinite(hls.latency)) liveSyncLatency = hls.latency;
      }
      const quality = video && video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
      return {
        wall: Date.now(),
        navigationStart: state.navigationStart,
        firstFrameWall: state.firstFrameWall,
        firstFrameCallbackWall: state.firstFrameCallbackWall,
        firstPlayingWall: state.firstPlayingWall,
        hasVideo: Boolean(video),
        currentTime: video ? video.currentTime : null,
        paused: video ? video.paused : null,
        readyState: video ? video.readyState : null,
        bufferedAhead: video ? bufferedAhead(video) : null,
        videoHeight: video ? video.videoHeight : null,
        framesTotal: quality ? quality.totalVideoFrames : null,
        framesDropped: quality ? quality.droppedVideoFrames : null,
        stalls: state.stalls.map((s) => ({ ...s })),
        waitingEvents: state.waitingEvents,
        mediaErrors: state.mediaErrors.slice(-20),
        http: { ...state.http },
        firstMediaRequestWall: state.firstMediaRequestWall,
        firstMediaResponseWall: state.firstMediaResponseWall,
        longTasks: { count: state.longTasks.count, totalMs: Math.round(state.longTasks.totalMs), startup: state.longTasks.startup.slice() },
        shimEvents: JSON.parse(JSON.stringify(state.shimEvents)),
        latency,
        liveSyncLatency,
        hlsFound: Boolean(hls),
        level: hls && hls.levels && hls.currentLevel >= 0 ? hls.levels[hls.currentLevel].height : null,
        shim: shimStats(),
        peerConnections: peerConnections(),
      };
    },
  };
})();
