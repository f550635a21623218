// Physics plots with Plotly: a submission's diagnostics and a leaderboard's charts.
//
// Submission page: each `.diagnostics[data-source][data-metric]` reads the JSON emitted by
// `json_script` under the id in data-source (the scoring package's evaluate() diagnostics);
// `.run-chart[data-source]` reads a code submission's seconds per event;
// `.program-charts[data-source]` reads the figures of the organisers' scoring program.
// Leaderboard page: `#leaderboard-charts[data-chart-url]` fetches the chart data of the API.
// A missing key or a failing chart leaves a short note in its place; nothing here throws.
(() => {
  "use strict";

  const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
  const COLORS = { accent: "#0b5cad", ok: "#1a7f37", bad: "#b42318", muted: "#8a949e", warm: "#d9822b" };

  const layout = (title, x, y, extra = {}) => ({
    title: { text: title, font: { size: 15 } },
    xaxis: { title: { text: x }, zeroline: false, automargin: true },
    yaxis: { title: { text: y }, zeroline: false, automargin: true },
    margin: { l: 56, r: 16, t: 42, b: 48 },
    legend: { orientation: "h", y: -0.22 },
    height: 340,
    ...extra,
  });

  const note = (container, text) => {
    const p = document.createElement("p");
    p.className = "muted plot-note";
    p.textContent = text;
    container.appendChild(p);
  };

  // One chart in its own div; `build` returns [traces, layout] or a string saying what is missing.
  const chart = (container, name, build) => {
    const div = document.createElement("div");
    div.className = "plot";
    div.dataset.chart = name;
    div.style.marginBottom = "1.25rem";
    container.appendChild(div);
    try {
      const made = build();
      if (typeof made === "string") {
        div.className = "";
        note(div, made);
        return;
      }
      const [traces, look] = made;
      window.Plotly.newPlot(div, traces, look, CONFIG).catch(() => note(div, `The ${name} chart could not be drawn.`));
    } catch (error) {
      div.className = "";
      note(div, `The ${name} chart could not be drawn (${error.message}).`);
    }
  };

  const isNumberList = (values) => Array.isArray(values) && values.length > 0 && values.every((v) => v === null || typeof v === "number");
  const fmt = (value, digits = 4) => (typeof value === "number" && isFinite(value) ? value.toFixed(digits) : "—");

  const webglAvailable = () => {
    try {
      const canvas = document.createElement("canvas");
      return Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
    } catch (error) {
      return false;
    }
  };

  // ---- HiggsML (metric "ams") ----------------------------------------------------------

  const amsCurve = (d) => () => {
    const curve = d.ams_curve || {};
    if (!isNumberList(curve.fraction_selected) || !isNumberList(curve.ams)) return "No AMS curve in this score.";
    const traces = [{ x: curve.fraction_selected, y: curve.ams, mode: "lines", name: "AMS by RankOrder threshold", line: { color: COLORS.accent } }];
    const at = d.at_labels || {};
    if (typeof at.fraction_selected === "number" && typeof at.ams === "number") {
      traces.push({ x: [at.fraction_selected], y: [at.ams], mode: "markers", name: `your labels (AMS ${fmt(at.ams, 3)})`, marker: { color: COLORS.bad, size: 10 } });
    }
    const best = d.best_threshold || {};
    if (typeof best.fraction_selected === "number" && typeof best.ams === "number") {
      traces.push({ x: [best.fraction_selected], y: [best.ams], mode: "markers", name: `best threshold (AMS ${fmt(best.ams, 3)})`, marker: { color: COLORS.ok, size: 10, symbol: "diamond" } });
    }
    return [traces, layout("AMS against the fraction of events selected", "fraction selected as signal", "AMS", { xaxis: { title: { text: "fraction selected as signal" }, tickformat: ".0%" } })];
  };

  const roc = (d) => () => {
    const curve = d.roc || {};
    if (!isNumberList(curve.fpr) || !isNumberList(curve.tpr)) return "No ROC curve in this score.";
    const traces = [
      { x: curve.fpr, y: curve.tpr, mode: "lines", name: `ROC (weighted AUC ${fmt(curve.auc, 4)})`, line: { color: COLORS.accent } },
      { x: [0, 1], y: [0, 1], mode: "lines", name: "random", line: { color: COLORS.muted, dash: "dot" } },
    ];
    return [traces, layout("ROC curve", "background efficiency (weighted)", "signal efficiency (weighted)", { xaxis: { title: { text: "background efficiency (weighted)" }, range: [0, 1] }, yaxis: { title: { text: "signal efficiency (weighted)" }, range: [0, 1.02] } })];
  };

  // ---- TrackML (metrics "trackml" and "throughput") ------------------------------------

  const perEvent = (d) => () => {
    const events = d.per_event;
    if (!Array.isArray(events) || events.length === 0) return "No per-event scores in this score.";
    const x = events.map((e) => String(e.event_id));
    const y = events.map((e) => e.score);
    return [[{ type: "bar", x, y, marker: { color: COLORS.accent }, hovertemplate: "event %{x}<br>accuracy %{y:.4f}<extra></extra>" }],
      layout("TrackML accuracy per event", "event number", "tracking accuracy", { xaxis: { title: { text: "event number" }, type: "category" }, yaxis: { title: { text: "tracking accuracy" }, range: [0, 1] }, showlegend: false })];
  };

  // Wilson score interval at one standard deviation: bounded to [0, 1], sensible for few particles.
  const wilson = (found, total) => {
    const p = found / total;
    const centre = (p + 1 / (2 * total)) / (1 + 1 / total);
    const half = Math.sqrt(p * (1 - p) / total + 1 / (4 * total * total)) / (1 + 1 / total);
    return [p - (centre - half), centre + half - p];
  };

  const efficiency = (histogram, label, unit) => () => {
    const h = histogram || {};
    if (!isNumberList(h.low) || !Array.isArray(h.efficiency) || !Array.isArray(h.found) || !Array.isArray(h.total)) {
      return `No efficiency against ${label} in this score.`;
    }
    const bins = h.low.map((low, i) => ({ low, high: (h.high || [])[i], found: h.found[i], total: h.total[i], eff: h.efficiency[i] }))
      .filter((b) => typeof b.eff === "number" && b.total > 0);
    if (bins.length === 0) return `No particle with a weight to measure the efficiency against ${label}.`;
    const open = (b) => typeof b.high !== "number";
    const x = bins.map((b) => (open(b) ? b.low * 1.25 : (b.low + b.high) / 2));
    const errors = bins.map((b) => wilson(b.found, b.total));
    const axis = unit ? `${label} [${unit}]` : label;
    const trace = {
      x, y: bins.map((b) => b.eff), mode: "markers", marker: { color: COLORS.accent, size: 7 },
      error_y: { type: "data", symmetric: false, arrayminus: errors.map((e) => e[0]), array: errors.map((e) => e[1]), color: COLORS.accent, thickness: 1.2, width: 3 },
      error_x: { type: "data", symmetric: false, arrayminus: bins.map((b, i) => x[i] - b.low), array: bins.map((b, i) => (open(b) ? 0 : b.high - x[i])), color: COLORS.accent, thickness: 1.2, width: 0 },
      text: bins.map((b) => `${b.low}–${open(b) ? "∞" : b.high}${unit ? " " + unit : ""}: ${b.found} of ${b.total} particles found`),
      hovertemplate: "%{text}<extra></extra>",
    };
    const xaxis = unit === "GeV" ? { title: { text: `${axis}, log scale` }, type: "log" } : { title: { text: axis } };
    return [[trace], layout(`Tracking efficiency against ${label}`, axis, "efficiency (fraction of particles found)", { xaxis, yaxis: { title: { text: "efficiency (fraction of particles found)" }, range: [0, 1.05] }, showlegend: false })];
  };

  const eventDisplay = (display) => () => {
    if (!display || !Array.isArray(display.particles) || display.particles.length === 0) return "No event display in this score.";
    if (!webglAvailable()) return "The 3D event display needs WebGL, which this browser does not offer.";
    const unit = display.units || "mm";
    const lines = (found) => {
      const x = [], y = [], z = [], text = [];
      for (const p of display.particles.filter((q) => Boolean(q.found) === found)) {
        (p.x || []).forEach((_, i) => { x.push(p.x[i]); y.push(p.y[i]); z.push(p.z[i]); text.push(`particle ${p.particle_id}, pT ${p.pt} GeV`); });
        x.push(null); y.push(null); z.push(null); text.push("");
      }
      return { type: "scatter3d", mode: "lines", x, y, z, text, hoverinfo: "text", name: found ? "true particles, found" : "true particles, missed", line: { color: found ? COLORS.ok : COLORS.bad, width: 4 } };
    };
    const tracks = new Map();
    for (const p of display.particles) {
      for (const track of p.track_id || []) if (!tracks.has(track)) tracks.set(track, tracks.size);
    }
    const hits = { type: "scatter3d", mode: "markers", x: [], y: [], z: [], text: [], hoverinfo: "text", name: "hits coloured by submitted track", marker: { size: 3.5, color: [], colorscale: "Turbo", cmin: 0, cmax: Math.max(tracks.size - 1, 1) } };
    for (const p of display.particles) {
      (p.track_id || []).forEach((track, i) => {
        hits.x.push(p.x[i]); hits.y.push(p.y[i]); hits.z.push(p.z[i]);
        hits.text.push(`track ${track}`);
        hits.marker.color.push(tracks.get(track));
      });
    }
    const axis = (name) => ({ title: { text: `${name} [${unit}]` } });
    return [[lines(true), lines(false), hits], {
      title: { text: `Event ${display.event_id}: ${display.particles.length} particles and their tracks`, font: { size: 15 } },
      scene: { xaxis: axis("x"), yaxis: axis("y"), zaxis: axis("z"), aspectmode: "manual", aspectratio: { x: 1, y: 1, z: 1.5 } },
      margin: { l: 0, r: 0, t: 40, b: 0 }, height: 520, legend: { orientation: "h", y: -0.02 },
    }];
  };

  // The throughput score S = sqrt(ln(1 + 600/t)) (A - 0.5) for A >= 0.5: lines of equal S.
  const speedAccuracy = (points, title) => () => {
    const usable = points.filter((p) => typeof p.accuracy === "number" && typeof p.seconds_per_event === "number" && p.seconds_per_event > 0);
    if (usable.length === 0) return "No accuracy and timing to plot yet.";
    const traces = [];
    const seconds = [];
    for (let e = -2; e <= Math.log10(600) + 1e-9; e += 0.05) seconds.push(Math.pow(10, e));
    const scores = [...new Set(usable.map((p) => p.score).filter((s) => typeof s === "number" && s > 0))].slice(0, 6);
    for (const s of scores) {
      traces.push({ x: seconds, y: seconds.map((t) => 0.5 + s / Math.sqrt(Math.log(1 + 600 / t))), mode: "lines", line: { color: COLORS.muted, dash: "dot", width: 1 }, name: `score ${fmt(s, 3)}`, hoverinfo: "skip", showlegend: scores.length <= 3 });
    }
    const front = paretoFront(usable);
    if (front.length > 1) {
      traces.push({ x: front.map((p) => p.seconds_per_event), y: front.map((p) => p.accuracy), mode: "lines", line: { color: COLORS.warm, shape: "hv" }, name: "Pareto front" });
    }
    traces.push({
      x: usable.map((p) => p.seconds_per_event), y: usable.map((p) => p.accuracy), text: usable.map((p) => p.team || ""),
      mode: "markers+text", textposition: "top center", name: usable.length === 1 ? "this submission" : "teams",
      marker: { size: 10, color: usable.map((p) => (p.is_benchmark ? COLORS.muted : COLORS.accent)) },
      hovertemplate: "%{text}<br>%{x:.3g} s/event<br>accuracy %{y:.4f}<extra></extra>",
    });
    return [traces, layout(title, "time per event [s/event], log scale", "tracking accuracy", { xaxis: { title: { text: "time per event [s/event], log scale" }, type: "log" }, yaxis: { title: { text: "tracking accuracy" }, range: [0.45, 1.02] } })];
  };

  // Points no other point beats on both speed (fewer seconds) and accuracy, fastest first.
  const paretoFront = (points) => {
    const sorted = [...points].sort((a, b) => a.seconds_per_event - b.seconds_per_event || b.accuracy - a.accuracy);
    const front = [];
    for (const p of sorted) if (front.length === 0 || p.accuracy > front[front.length - 1].accuracy) front.push(p);
    return front;
  };

  const SUBMISSION_CHARTS = {
    ams: (d, el) => { chart(el, "AMS curve", amsCurve(d)); chart(el, "ROC", roc(d)); },
    trackml: (d, el) => {
      const eff = d.efficiency || {};
      chart(el, "per-event accuracy", perEvent(d));
      chart(el, "efficiency against pT", efficiency(eff.pt, "transverse momentum pT", "GeV"));
      chart(el, "efficiency against eta", efficiency(eff.eta, "pseudorapidity η", ""));
      chart(el, "event display", eventDisplay(d.display));
    },
    throughput: (d, el) => {
      chart(el, "accuracy against speed", speedAccuracy([{ accuracy: d.accuracy, seconds_per_event: d.seconds_per_event, score: d.score }], "Accuracy against seconds per event"));
      chart(el, "per-event accuracy", perEvent(d));
    },
  };

  // ---- Code submissions: the run report -------------------------------------------------

  const runSeconds = (events) => () => {
    if (!Array.isArray(events) || events.length === 0) return "No per-event timings in this run.";
    const x = events.map((e) => String(e.event).replace(/^event0*/, ""));
    const y = events.map((e) => e.seconds);
    if (!isNumberList(y)) return "The per-event timings of this run are malformed.";
    return [[{ type: "bar", x, y, marker: { color: COLORS.accent }, hovertemplate: "event %{x}<br>%{y:.3f} s<extra></extra>" }],
      layout("Seconds per event", "event number", "wall-clock time [s]", { xaxis: { title: { text: "event number" }, type: "category" }, yaxis: { title: { text: "wall-clock time [s]" }, rangemode: "tozero" }, showlegend: false, height: 240, margin: { l: 56, r: 16, t: 36, b: 44 } })];
  };

  const drawRun = () => {
    for (const el of document.querySelectorAll(".run-chart[data-source]")) chart(el, "seconds per event", runSeconds(readJson(el.dataset.source)));
  };

  const readJson = (id) => {
    const node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (error) { return null; }
  };

  const drawSubmission = () => {
    for (const el of document.querySelectorAll(".diagnostics[data-source][data-metric]")) {
      const data = readJson(el.dataset.source);
      const draw = SUBMISSION_CHARTS[el.dataset.metric];
      if (!data) note(el, "No diagnostics were recorded for this score.");
      else if (!draw) note(el, `No plots are defined for the metric '${el.dataset.metric}'.`);
      else draw(data, el);
    }
  };

  // ---- The organisers' charts (charts.json of a scoring program) ------------------------

  // Each figure's data and layout, as the server checked them (a list of {data, layout});
  // drawn with the site's own Plotly: the organiser's file is data, never code.
  const drawProgramCharts = () => {
    for (const el of document.querySelectorAll(".program-charts[data-source]")) {
      const figures = readJson(el.dataset.source);
      if (!Array.isArray(figures)) { note(el, "The organisers' charts could not be read."); continue; }
      figures.forEach((figure, place) => {
        const look = { margin: { l: 56, r: 16, t: 42, b: 48 }, height: 340, ...(figure.layout || {}) };
        chart(el, `organisers' chart ${place + 1}`, () => (Array.isArray(figure.data) ? [figure.data, look] : "This chart has no data."));
      });
    }
  };

  // ---- Leaderboard -----------------------------------------------------------------------

  // A benchmark team's name with "(baseline)" unless the name already says so.
  const baselineName = (team) => (/baseline/i.test(team) ? team : `${team} (baseline)`);

  const records = (data, title) => () => {
    const steps = Array.isArray(data.records) ? data.records : [];
    if (steps.length === 0) return "No scored submission yet: the best score over time appears with the first one.";
    const x = steps.map((r) => r.at);
    const y = steps.map((r) => r.score);
    x.push(new Date().toISOString());
    y.push(y[y.length - 1]);
    const traces = [{ x, y, mode: "lines+markers", line: { shape: "hv", color: COLORS.accent }, name: "best score", text: steps.map((r) => r.team).concat([""]), hovertemplate: "%{text}<br>%{y:.5f}<br>%{x}<extra></extra>" }];
    for (const b of data.benchmarks || []) {
      if (typeof b.score !== "number") continue;
      traces.push({ x: [x[0], x[x.length - 1]], y: [b.score, b.score], mode: "lines", line: { dash: "dash", color: COLORS.muted }, name: baselineName(b.team) });
    }
    const better = data.higher_is_better ? "higher" : "lower";
    const metric = title || data.metric || "score";
    return [traces, layout(`Best ${data.subset} score over time (${better} is better)`, "upload time", metric, { xaxis: { title: { text: "upload time" }, type: "date" } })];
  };

  const drawLeaderboard = async () => {
    const el = document.getElementById("leaderboard-charts");
    if (!el || !el.dataset.chartUrl) return;
    let data;
    try {
      const reply = await fetch(el.dataset.chartUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!reply.ok) { note(el, "The charts could not be loaded."); return; }
      data = await reply.json();
    } catch (error) {
      note(el, "The charts could not be loaded.");
      return;
    }
    chart(el, "best score over time", records(data, el.dataset.metricTitle));
    if (data.kind === "code") chart(el, "accuracy against speed", speedAccuracy(data.speed || [], "Accuracy against seconds per event (best entry of each team)"));
  };

  document.addEventListener("DOMContentLoaded", () => {
    const ready = typeof window.Plotly !== "undefined";
    if (!ready) {
      for (const el of document.querySelectorAll(".diagnostics, .run-chart, .program-charts, #leaderboard-charts")) note(el, "The plotting library did not load; the charts are not shown.");
      return;
    }
    drawRun();
    drawSubmission();
    drawProgramCharts();
    drawLeaderboard();
  });
})();
