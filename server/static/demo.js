// swarmcast demo page: lists streams from /api/streams and plays one with hls.js (default),
// Shaka Player (`?player=shaka`) or dash.js (`?player=dashjs`), through the swarmcast P2P shim
// when its bundles are built (`?p2p=0`: origin only). All three join the same swarms.
// Tests read `window.swarmcastDemo` (see e2e/test_demo_playback.py); keep its fields stable.
"use strict";

(function () {
  const STREAM_POLL_MS = 2000;
  const STATS_POLL_MS = 500;

  const video = document.getElementById("video");
  const PLAYERS = ["hls", "shaka", "dashjs"];
  const wantedPlayer = new URLSearchParams(window.location.search).get("player");
  const demo = {
    playerName: PLAYERS.includes(wantedPlayer) ? wantedPlayer : "hls",
    hls: null,
    player: null, // the Shaka or dash.js player (null with hls.js: see `hls`)
    video: video,
    stream: null,
    streams: [],
    errors: [], // fatal hls.js errors and <video> media errors: {time, type, details}
    warnings: [], // non-fatal hls.js errors (retried by hls.js itself)
    firstFrameAt: null, // performance.now() when the first frame played
    firstFrameMediaTime: null, // video.currentTime at that moment
    stats: {},
    swarm: null, // the shim's swarm (stats(), on(), setP2P()) when its bundle loaded
    unmountOverlay: null,
  };
  window.swarmcastDemo = demo;

  function $(id) {
    return document.getElementById(id);
  }

  function requestedStream() {
    return new URLSearchParams(window.location.search).get("stream");
  }

  function describeRendition(rendition) {
    const kbps = Math.round(rendition.bandwidth / 1000);
    return `${rendition.name} ${rendition.width}×${rendition.height} ${kbps} kb/s`;
  }

  function renderStreams(streams) {
    const list = $("stream-list");
    list.replaceChildren();
    if (streams.length === 0) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "no stream yet";
      list.append(empty);
      return;
    }
    for (const stream of streams) {
      const item = document.createElement("li");
      if (stream.name === demo.stream) item.className = "current";
      const button = document.createElement("button");
      button.textContent = `${stream.name} ${stream.live ? "● live" : "(ended)"}`;
      button.addEventListener("click", () => play(stream.name));
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = stream.renditions.map(describeRendition).join(" · ");
      button.append(meta);
      item.append(button);
      list.append(item);
    }
  }

  async function refreshStreams() {
    try {
      const response = await fetch("/api/streams", { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      demo.streams = await response.json();
    } catch (error) {
      demo.warnings.push({ time: Date.now(), type: "api", details: String(error) });
      return;
    }
    renderStreams(demo.streams);
    if (demo.stream === null) {
      const wanted = requestedStream();
      const pick = wanted
        ? demo.streams.find((s) => s.name === wanted)
        : demo.streams.find((s) => s.live) || demo.streams[0];
      if (pick) play(pick.name);
    }
  }

  function recordError(type, details) {
    demo.errors.push({ time: Date.now(), type: type, details: details });
    $("stat-errors").textContent = String(demo.errors.length);
  }

  function onHlsError(_event, data) {
    if (!data.fatal) {
      demo.warnings.push({ time: Date.now(), type: data.type, details: data.details });
      return;
    }
    recordError(data.type, data.details);
    // Standard hls.js recovery: reload on network trouble, rebuild buffers on media trouble.
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR) demo.hls.startLoad();
    else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) demo.hls.recoverMediaError();
  }

  // `?p2p=0` plays from the origin only (the shim still counts the bytes).
  function p2pWanted() {
    return new URLSearchParams(window.location.search).get("p2p") !== "0";
  }

  // `?viewer=KEY` pins the viewer's ramp-up key, `?beacon=MS` the beacon interval and
  // `?upload_cap=B` the upload cap in bytes/s (docs/operator.md; tests and the lab use them);
  // absent: the shim's defaults.
  function operatorOptions() {
    const query = new URLSearchParams(window.location.search);
    const options = {};
    if (query.get("viewer")) options.viewerKey = query.get("viewer");
    const beacon = Number(query.get("beacon"));
    if (beacon >= 500) options.beaconIntervalMs = beacon;
    // `?upload_cap=BYTES_PER_S`: the page's upload cap (a page that knows its viewer's uplink).
    const uploadCap = Number(query.get("upload_cap"));
    if (uploadCap > 0) options.uploadCapBytesPerS = uploadCap;
    return options;
  }

  // `?timeline=1` records the shim's timeline (`swarmcast.timeline()`, for lab runs).
  function timelineWanted() {
    return new URLSearchParams(window.location.search).get("timeline") === "1";
  }

  function showSwarm(swarm) {
    if (demo.unmountOverlay) demo.unmountOverlay();
    demo.unmountOverlay = null;
    demo.swarm = swarm;
    const shim = window.swarmcast || window.swarmcastDash;
    if (swarm && shim) demo.unmountOverlay = shim.mountOverlay(video.parentElement, swarm);
  }

  function stopPlayer() {
    if (demo.hls) demo.hls.destroy();
    demo.hls = null;
    if (demo.swarm && demo.playerName !== "hls") demo.swarm.destroy();
    if (demo.player) demo.player.destroy();
    demo.player = null;
  }

  function play(name) {
    const stream = demo.streams.find((s) => s.name === name);
    if (!stream) return;
    stopPlayer();
    demo.stream = name;
    demo.firstFrameAt = null;
    demo.firstFrameMediaTime = null;
    $("stat-stream").textContent = name;
    $("stat-state").textContent = "loading…";
    renderStreams(demo.streams);
    video.muted = true; // muted autoplay needs no user gesture
    if (demo.playerName === "shaka") playShaka(stream);
    else if (demo.playerName === "dashjs") playDashjs(stream);
    else playHls(stream);
  }

  function playHls(stream) {
    // The P2P shim (/player/swarmcast.js) bundles hls.js; without it the page plays over HTTP.
    const shim = window.swarmcast;
    const HlsClass = shim ? shim.Hls : window.Hls;
    if (HlsClass && HlsClass.isSupported()) {
      const hlsOptions = { liveSyncDurationCount: 3 };
      const hls = shim
        ? new HlsClass(shim.hlsConfig({ p2p: p2pWanted(), timeline: timelineWanted(), ...operatorOptions(), hls: hlsOptions }))
        : new HlsClass(hlsOptions);
      demo.hls = hls;
      showSwarm(shim ? shim.currentSwarm() : null);
      hls.on(HlsClass.Events.ERROR, onHlsError);
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        video.play().catch((error) => recordError("play", String(error)));
      });
      hls.loadSource(stream.master);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      demo.hls = null; // Safari: native HLS
      video.src = stream.master;
      video.play().catch((error) => recordError("play", String(error)));
    } else {
      recordError("unsupported", "this browser has neither MSE nor native HLS");
    }
  }

  // Shaka Player on the DASH manifest; `error` events of any severity count as errors here.
  async function playShaka(stream) {
    const shaka = window.shaka;
    if (!shaka || !shaka.Player.isBrowserSupported()) {
      recordError("unsupported", "Shaka Player is not loaded or not supported here");
      return;
    }
    shaka.polyfill.installAll();
    const player = new shaka.Player();
    demo.player = player;
    player.addEventListener("error", (event) => {
      const e = event.detail;
      recordError("shaka", `severity ${e.severity} category ${e.category} code ${e.code}`);
    });
    try {
      await player.attach(video);
      const dash = window.swarmcastDash;
      showSwarm(dash ? dash.attachShaka(player, shaka, { p2p: p2pWanted() }) : null);
      await player.load(stream.mpd);
      await video.play();
    } catch (error) {
      recordError("shaka", error && error.code ? `code ${error.code}` : String(error));
    }
  }

  // dash.js on the DASH manifest; its ERROR events count as errors.
  function playDashjs(stream) {
    const dashjs = window.dashjs;
    if (!dashjs) {
      recordError("unsupported", "dash.js is not loaded");
      return;
    }
    const player = dashjs.MediaPlayer().create();
    demo.player = player;
    // Audio is muxed into every Representation: MediaCapabilities cannot parse a two-codec
    // video contentType, so dash.js must check codecs with MediaSource.isTypeSupported.
    player.updateSettings({ streaming: { capabilities: { useMediaCapabilitiesApi: false } } });
    player.on(dashjs.MediaPlayer.events.ERROR, (event) => {
      const e = event.error || {};
      recordError("dashjs", `code ${e.code}: ${e.message}`);
    });
    // The adapter overrides dash.js's loader, so it goes in before initialize().
    const dash = window.swarmcastDash;
    showSwarm(dash ? dash.attachDashjs(player, { p2p: p2pWanted() }) : null);
    player.initialize(video, stream.mpd, true);
  }

  /** Seconds from capture to screen: the wall clock of the frame on screen vs. now. */
  function latencyS() {
    if (demo.hls && demo.hls.playingDate) return (Date.now() - demo.hls.playingDate.getTime()) / 1000;
    if (demo.player && demo.playerName === "shaka") {
      const at = demo.player.getPlayheadTimeAsDate();
      return at ? (Date.now() - at.getTime()) / 1000 : undefined;
    }
    if (demo.player && demo.playerName === "dashjs") {
      const value = demo.player.getCurrentLiveLatency();
      return Number.isFinite(value) && value > 0 ? value : undefined;
    }
    return undefined;
  }

  function bufferAhead() {
    const buffered = video.buffered;
    for (let i = 0; i < buffered.length; i++) {
      if (buffered.start(i) <= video.currentTime + 0.1 && video.currentTime <= buffered.end(i)) {
        return buffered.end(i) - video.currentTime;
      }
    }
    return 0;
  }

  function updateStats() {
    const hls = demo.hls;
    const stats = { buffer: bufferAhead(), currentTime: video.currentTime };
    if (hls && hls.currentLevel >= 0 && hls.levels[hls.currentLevel]) {
      const level = hls.levels[hls.currentLevel];
      stats.rendition = `${level.height}p (${Math.round(level.bitrate / 1000)} kb/s)`;
    }
    const latency = latencyS();
    if (latency !== undefined) stats.latency = latency;
    if (demo.swarm) stats.swarm = demo.swarm.stats();
    demo.stats = stats;
    $("stat-buffer").textContent = `${stats.buffer.toFixed(1)} s`;
    $("stat-rendition").textContent = stats.rendition || "–";
    $("stat-latency").textContent =
      stats.latency === undefined ? "–" : `${stats.latency.toFixed(1)} s`;
    $("stat-played").textContent = `${video.currentTime.toFixed(1)} s`;
    if (demo.stream !== null) {
      $("stat-state").textContent = video.paused ? "paused" : video.readyState < 3 ? "buffering" : "playing";
    }
  }

  video.addEventListener("playing", () => {
    if (demo.firstFrameAt === null) {
      demo.firstFrameAt = performance.now();
      demo.firstFrameMediaTime = video.currentTime;
    }
  });
  video.addEventListener("error", () => {
    const error = video.error;
    recordError("media", error ? `code ${error.code}: ${error.message}` : "unknown");
  });

  for (const link of document.querySelectorAll("nav.players a")) {
    // Keep the other query parameters (stream, p2p) when switching players.
    const params = new URLSearchParams(window.location.search);
    params.set("player", link.dataset.player);
    link.href = `?${params}`;
    if (link.dataset.player === demo.playerName) link.className = "current";
  }

  refreshStreams();
  setInterval(refreshStreams, STREAM_POLL_MS);
  setInterval(updateStats, STATS_POLL_MS);
})();
