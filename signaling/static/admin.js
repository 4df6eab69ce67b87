// swarmcast operator dashboard: polls /admin/api (bearer token), draws figures and uPlot charts,
// and posts per-stream control (pushed live to players over signaling). docs/operator.md.
// Tests read `window.swarmcastAdmin` and the cards' data-stat/data-value attributes.
"use strict";

(function () {
  const POLL_MS = 2000;
  const state = { token: null, stream: null, overview: null, detail: null, charts: {}, polls: 0, error: null };
  window.swarmcastAdmin = state;
  const $ = (id) => document.getElementById(id);

  function readToken() {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
    if (fromHash) {
      sessionStorage.setItem("swarmcast-admin-token", fromHash);
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem("swarmcast-admin-token");
  }

  async function api(path, body) {
    const init = { headers: { Authorization: `Bearer ${state.token}` }, cache: "no-store" };
    if (body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const payload = await response.json().catch(() => ({}));
    if (response.status === 401 || response.status === 403) {
      showLogin(payload.error || "operator token required");
      throw new Error(payload.error || `HTTP ${response.status}`);
    }
    if (!response.ok) throw new Error(payload.error || `HTTP ${response.status}`);
    return payload;
  }

  function showLogin(message) {
    $("login").hidden = false;
    $("board").hidden = true;
    $("status").textContent = message;
  }

  const fmt = {
    pct: (x) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)} %`),
    ms: (x) => (x === null || x === undefined ? "–" : `${(x / 1000).toFixed(2)} s`),
    bytes: (x) => {
      if (x === null || x === undefined) return "–";
      if (x < 1024) return `${x} B`;
      if (x < 1024 * 1024) return `${(x / 1024).toFixed(1)} KiB`;
      if (x < 1024 ** 3) return `${(x / 1024 / 1024).toFixed(1)} MiB`;
      return `${(x / 1024 ** 3).toFixed(2)} GiB`;
    },
    num: (x, digits = 0) => (x === null || x === undefined ? "–" : Number(x).toFixed(digits)),
    mbps: (x) => (x === null || x === undefined ? "–" : `${(x / 1e6).toFixed(2)} Mbit/s`),
  };

  function cards(summary, detail, last) {
    const t = summary.totals || {};
    return [
      ["viewers", "viewers", summary.viewers, fmt.num(summary.viewers), Object.entries(summary.by_rendition || {}).map(([r, n]) => `${r}: ${n}`).join(" · ")],
      ["p2p_viewers", "on P2P", (summary.by_mode || {}).on || 0, fmt.num((summary.by_mode || {}).on || 0), `shadow ${(summary.by_mode || {}).shadow || 0} · off ${(summary.by_mode || {}).off || 0}`],
      ["offload", "offload", summary.offload, fmt.pct(summary.offload), `bound ${fmt.pct(summary.offload_bound)} (1 − 1/N)`],
      ["upload_bound", "upload-capacity bound", summary.offload_upload_bound, fmt.pct(summary.offload_upload_bound), Object.entries(summary.upload_bound_by_rendition || {}).map(([r, u]) => `${r}: Σu ${fmt.mbps(u.capacity_bps)} / ${u.viewers} × ${fmt.mbps(u.bitrate_bps)}`).join(" · ")],
      ["egress", "origin egress", last ? (last.origin_bps ?? last.http_bps) : null, fmt.mbps(last ? (last.origin_bps ?? last.http_bps) : null), last && last.origin_bps !== undefined ? `measured, all streams · viewers' HTTP ${fmt.mbps(last.http_bps)}` : `viewers' HTTP (beacons) · P2P ${fmt.mbps(last ? last.p2p_bps : null)}`],
      ["http_bytes", "from origin", t.http_bytes || 0, fmt.bytes(t.http_bytes || 0), "media bytes, all viewers"],
      ["p2p_bytes", "from peers", t.p2p_bytes || 0, fmt.bytes(t.p2p_bytes || 0), `uploaded ${fmt.bytes(t.upload_bytes || 0)}`],
      ["shadow_saved_bytes", "would have saved", t.shadow_saved_bytes || 0, fmt.bytes(t.shadow_saved_bytes || 0), "shadow mode"],
      ["ttff_p95", "P95 time to first frame", summary.ttff_p95_ms, fmt.ms(summary.ttff_p95_ms), `P50 ${fmt.ms(summary.ttff_p50_ms)}`],
      ["rebuffer_ratio", "rebuffer ratio", summary.rebuffer_ratio, fmt.pct(summary.rebuffer_ratio), `${fmt.num(summary.rebuffers_per_hour, 1)} stalls / hour`],
      ["stalls", "stalls", t.stalls || 0, fmt.num(t.stalls || 0), `${fmt.ms(t.stall_ms || 0)} in total`],
      ["connection_success", "connection success", summary.connection_success, fmt.pct(summary.connection_success), `TURN share ${fmt.pct(summary.turn_share)}`],
      ["verify_failures", "verification failures", summary.verify_failures || 0, fmt.num(summary.verify_failures || 0), `bans ${detail ? detail.bans : "–"}`],
      ["peers_avg", "peers per viewer", summary.peers_avg, fmt.num(summary.peers_avg, 1), `latency P50 ${fmt.ms(summary.latency_p50_ms)}`],
    ];
  }

  function renderCards(summary, detail) {
    const history = (detail && detail.history) || [];
    const last = [...history].reverse().find((p) => p.http_bps !== undefined) || null;
    const root = $("cards");
    root.replaceChildren();
    for (const [key, label, raw, shown, sub] of cards(summary, detail, last)) {
      const card = document.createElement("div");
      card.className = "card";
      card.dataset.stat = key;
      card.dataset.value = raw === null || raw === undefined ? "" : String(raw);
      card.innerHTML = `<div class="label"></div><div class="value"></div><div class="sub"></div>`;
      card.querySelector(".label").textContent = label;
      card.querySelector(".value").textContent = shown;
      card.querySelector(".sub").textContent = sub;
      root.append(card);
    }
  }

  function table(id, rows) {
    const body = $(id).querySelector("tbody");
    body.replaceChildren();
    for (const cells of rows) {
      const tr = document.createElement("tr");
      for (const cell of cells) {
        const td = document.createElement("td");
        td.textContent = cell;
        tr.append(td);
      }
      body.append(tr);
    }
  }

  function chart(id, series, data) {
    const el = $(id);
    const width = Math.max(300, el.clientWidth || 420);
    if (!window.uPlot) return;
    if (!state.charts[id]) {
      state.charts[id] = new window.uPlot(
        {
          width,
          height: 180,
          series: [{}, ...series],
          axes: [{ stroke: "#8b94a5", grid: { stroke: "#232b38" } }, { stroke: "#8b94a5", grid: { stroke: "#232b38" } }],
          legend: { live: false },
        },
        data,
        el,
      );
    } else {
      state.charts[id].setData(data);
    }
  }

  function renderCharts(history) {
    const t = history.map((p) => p.time);
    chart("chart-offload", [
      { label: "offload (interval)", stroke: "#4fb3ff", width: 2 },
      { label: "offload (total)", stroke: "#9be28b" },
      { label: "bound 1 − 1/N", stroke: "#ffb347", dash: [6, 4] },
      { label: "bound Σu / (N·r)", stroke: "#d68cff", dash: [2, 3], width: 2 },
    ], [t, history.map((p) => p.interval_offload ?? null), history.map((p) => p.offload), history.map((p) => p.offload_bound), history.map((p) => p.offload_upload_bound ?? null)]);
    const mbps = (x) => (x === undefined || x === null ? null : x / 1e6);
    chart("chart-egress", [
      { label: "viewers from origin", stroke: "#ff6b6b", width: 2 },
      { label: "viewers from peers", stroke: "#4fb3ff", width: 2 },
      { label: "origin egress (measured)", stroke: "#ffb347", dash: [6, 4] },
    ], [t, history.map((p) => mbps(p.http_bps)), history.map((p) => mbps(p.p2p_bps)), history.map((p) => mbps(p.origin_bps))]);
    chart("chart-viewers", [
      { label: "viewers", stroke: "#e6e9ef", width: 2 },
      { label: "on P2P", stroke: "#4fb3ff" },
    ], [t, history.map((p) => p.viewers), history.map((p) => p.p2p_viewers)]);
  }

  function renderControl(control) {
    if (document.activeElement && $("control").contains(document.activeElement)) return; // being edited
    $("ctl-p2p").checked = control.p2p;
    $("ctl-ramp").value = control.ramp_percent;
    $("ctl-shadow").checked = control.shadow;
    $("ctl-cap").value = control.upload.cap_bps === null ? "" : Math.round(control.upload.cap_bps / 1000);
    $("ctl-savedata").checked = control.upload.save_data;
    $("ctl-background").value = control.upload.background_percent;
    $("control-version").textContent = `version ${control.version}`;
  }

  function render() {
    const overview = state.overview;
    const select = $("stream");
    const names = overview.streams.map((s) => s.stream);
    if (select.options.length !== names.length || names.some((n, i) => select.options[i].value !== n)) {
      select.replaceChildren(...names.map((n) => new Option(n, n)));
    }
    if (!state.stream || !names.includes(state.stream)) state.stream = new URLSearchParams(location.search).get("stream") || names[0] || null;
    if (state.stream) select.value = state.stream;
    const detail = state.detail;
    const summary = (detail && detail.summary) || { totals: {}, by_mode: {}, by_reason: {}, by_rendition: {}, viewers: 0 };
    renderCards(summary, detail);
    if (detail) {
      renderCharts(detail.history);
      renderControl(detail.control);
      table("swarms", detail.swarms.map((s) => [s.swarm, s.peers, s.links, s.seeders]));
    }
    table("reasons", Object.entries(summary.by_reason || {}).sort((a, b) => b[1] - a[1]));
    table("holders", (summary.live_edge_holders || []).map((h) => [h.rendition, h.seq, h.holders]));
    table("viewers", (summary.viewer_list || []).map((v) => [
      v.peer_id, v.rendition ?? "–", v.p2p, v.reason ?? "", fmt.bytes(v.http_bytes), fmt.bytes(v.p2p_bytes),
      fmt.bytes(v.upload_bytes), fmt.bytes(v.shadow_saved_bytes), v.peers, v.stalls, fmt.ms(v.ttff_ms),
    ]));
  }

  async function poll() {
    try {
      state.overview = await api("/admin/api/overview");
      if (!state.stream && state.overview.streams.length) state.stream = new URLSearchParams(location.search).get("stream") || state.overview.streams[0].stream;
      state.detail = state.stream ? await api(`/admin/api/streams/${encodeURIComponent(state.stream)}`) : null;
      state.error = null;
      state.polls += 1;
      $("login").hidden = true;
      $("board").hidden = false;
      render();
      $("status").textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      state.error = String(error);
      if ($("login").hidden) $("status").textContent = `error: ${error.message}`;
    }
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token").value;
    sessionStorage.setItem("swarmcast-admin-token", state.token);
    void poll();
  });
  $("stream").addEventListener("change", () => {
    state.stream = $("stream").value;
    for (const c of Object.values(state.charts)) c.destroy();
    state.charts = {};
    for (const id of ["chart-offload", "chart-egress", "chart-viewers"]) $(id).replaceChildren();
    void poll();
  });
  $("control").addEventListener("submit", async (event) => {
    event.preventDefault();
    const cap = $("ctl-cap").value.trim();
    const changes = {
      p2p: $("ctl-p2p").checked,
      ramp_percent: Number($("ctl-ramp").value),
      shadow: $("ctl-shadow").checked,
      upload: {
        cap_bps: cap === "" ? null : Math.round(Number(cap) * 1000),
        save_data: $("ctl-savedata").checked,
        background_percent: Number($("ctl-background").value),
      },
    };
    try {
      const result = await api(`/admin/api/streams/${encodeURIComponent(state.stream)}/control`, changes);
      $("control-result").textContent = `applied: version ${result.control.version}`;
      document.activeElement?.blur();
      await poll();
    } catch (error) {
      $("control-result").textContent = `refused: ${error.message}`;
    }
  });

  state.token = readToken();
  if (!state.token) showLogin("enter the operator token");
  else void poll();
  setInterval(() => {
    if (state.token) void poll();
  }, POLL_MS);
})();
