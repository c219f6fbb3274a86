// ocpi-gateway status page: fetches the admin JSON endpoints and draws the chart as inline SVG.
// Plain JavaScript, no build step. Text is always set with textContent, never parsed as HTML.
"use strict";

(function () {
  const params = new URLSearchParams(window.location.search);
  const token = params.get("token");
  const SVG = "http://www.w3.org/2000/svg";
  const W = 900, H = 320, M = { left: 80, right: 16, top: 16, bottom: 36 };
  let selected = params.get("session");

  function headers() {
    return token ? { Authorization: "Token " + token } : {};
  }

  async function getJson(path) {
    const response = await fetch(path, { headers: headers(), cache: "no-store" });
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
      throw new Error(path + ": " + message);
    }
    return response.json();
  }

  function showError(err) {
    const box = document.getElementById("error");
    box.hidden = !err;
    box.textContent = err ? String(err.message || err) : "";
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "–" : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function fill(tableId, items, render) {
    const body = document.querySelector("#" + tableId + " tbody");
    body.replaceChildren();
    for (const item of items) {
      const row = document.createElement("tr");
      render(row, item);
      body.appendChild(row);
    }
  }

  function renderOverview(data) {
    document.getElementById("updated").textContent = "updated " + data.generated_at;
    fill("stations", data.stations, (row, s) => {
      cell(row, s.station_id);
      cell(row, s.protocol);
      cell(row, s.state, "state-" + s.state);
      cell(row, s.node);
      cell(row, s.connected_at);
      cell(row, s.active_sessions);
    });
    fill("sessions", data.sessions, (row, s) => {
      row.className = "selectable" + (s.session_id === selected ? " selected" : "");
      row.dataset.sessionId = s.session_id;
      row.addEventListener("click", () => selectSession(s.session_id));
      cell(row, s.session_id);
      cell(row, s.station_id);
      cell(row, s.evse_id);
      cell(row, s.ocpp_version);
      cell(row, s.status);
      cell(row, s.started_at);
      cell(row, s.has_profile ? "set by " + (s.applied_by || "?") : "none");
    });
    fill("jobs", data.jobs, (row, j) => {
      cell(row, j.finished);
      cell(row, j.kind);
      cell(row, j.session_id);
      cell(row, j.station_id);
      cell(row, j.party);
      cell(row, j.result, "result-" + j.result);
      cell(row, j.delivered === null ? "n/a" : j.delivered ? "yes" : "no");
      cell(row, j.seconds);
      cell(row, j.correlation_id);
    });
    if (!selected) {
      const first = data.sessions.find((s) => s.status === "ACTIVE" && s.has_profile);
      if (first) selectSession(first.session_id);
    }
  }

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    if (parent) parent.appendChild(node);
    return node;
  }

  function timeLabel(ms) {
    return new Date(ms).toISOString().slice(11, 16);
  }

  // Step points: each limit holds until the next period starts (or the series/chart ends).
  function stepPoints(series, x, y, chartEnd) {
    const pts = series.points.map((p) => ({ t: Date.parse(p.t), v: p.limit }));
    const end = series.end ? Date.parse(series.end) : chartEnd;
    const out = [];
    pts.forEach((p, i) => {
      const next = i + 1 < pts.length ? pts[i + 1].t : end;
      out.push(x(p.t).toFixed(1) + "," + y(p.v).toFixed(1));
      out.push(x(next).toFixed(1) + "," + y(p.v).toFixed(1));
    });
    return out;
  }

  function drawChart(data) {
    const box = document.getElementById("chart-box");
    box.replaceChildren();
    const note = document.getElementById("chart-note");
    const source = { live: "fetched live from the station", get_job: "from the last GET" }[data.composite_source];
    const parts = [];
    parts.push(data.requested ? "requested profile in " + data.unit : "no SCSP profile set");
    parts.push(data.composite ? "composite " + source + " at " + data.composite_learned_at : "no composite schedule known");
    note.textContent = parts.join("; ");
    if (!data.start) return;
    const t0 = Date.parse(data.start), t1 = Math.max(Date.parse(data.end), t0 + 1000);
    const all = [data.requested, data.composite].filter(Boolean).flatMap((s) => s.points.map((p) => p.limit));
    const vmax = Math.max(1, ...all) * 1.15;
    const x = (t) => M.left + ((t - t0) / (t1 - t0)) * (W - M.left - M.right);
    const y = (v) => H - M.bottom - (v / vmax) * (H - M.top - M.bottom);
    const svg = el("svg", { id: "chart", viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": "requested profile and composite schedule" }, box);
    const grid = el("g", { class: "grid" }, svg);
    for (let i = 0; i <= 4; i++) {
      const v = (vmax / 1.15) * (i / 4);
      el("line", { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }, grid);
      el("text", { x: M.left - 6, y: y(v) + 4, "text-anchor": "end" }, grid).textContent =
        v.toFixed(v >= 100 ? 0 : 1) + " " + data.unit;
    }
    for (let i = 0; i <= 6; i++) {
      const t = t0 + ((t1 - t0) * i) / 6;
      el("line", { x1: x(t), x2: x(t), y1: M.top, y2: H - M.bottom }, grid);
      el("text", { x: x(t), y: H - M.bottom + 16, "text-anchor": "middle" }, grid).textContent =
        timeLabel(t) + (i === 0 ? " UTC" : "");
    }
    const now = Date.now();
    if (now > t0 && now < t1) el("line", { class: "now", x1: x(now), x2: x(now), y1: M.top, y2: H - M.bottom }, svg);
    // The dashed requested line goes on top, so it stays visible where the station follows it exactly.
    for (const name of ["composite", "requested"]) {
      const series = data[name];
      if (!series) continue;
      const pts = stepPoints(series, x, y, t1);
      el("polyline", { class: "series " + name, "data-periods": series.points.length,
        points: pts.join(" ") }, svg);
    }
  }

  async function selectSession(sessionId) {
    selected = sessionId;
    document.getElementById("chart-session").textContent = sessionId;
    for (const row of document.querySelectorAll("#sessions tbody tr")) {
      row.classList.toggle("selected", row.dataset.sessionId === sessionId);
    }
    try {
      drawChart(await getJson("/admin/status/sessions/" + encodeURIComponent(sessionId) + "/chart"));
      showError(null);
    } catch (err) {
      showError(err);
    }
  }

  async function refresh() {
    try {
      renderOverview(await getJson("/admin/status/overview"));
      showError(null);
    } catch (err) {
      showError(err);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (selected) selectSession(selected);
    refresh();
    window.setInterval(refresh, 15000);
  });
})();
