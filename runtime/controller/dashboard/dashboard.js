// discalc dashboard: polls the controller's REST API every two seconds and draws the
// network, sweep progress, live curves, a parallel-coordinates view and a leaderboard.
// Plain browser JavaScript and Apache ECharts, so serving it needs no build step.
"use strict";

const REFRESH_MS = 2000;
const MAX_CURVES = 40;
const state = {
  sweeps: [], nodes: [], trials: [], sweepId: null, openTrial: null,
  sort: { key: "mean", dir: -1 }, topk: 100, history: [], workerRates: new Map(),
};
const tokens = {
  get read() { return sessionStorage.getItem("discalc.token") || ""; },
  set read(v) { sessionStorage.setItem("discalc.token", v); },
  get admin() { return sessionStorage.getItem("discalc.admin") || ""; },
  set admin(v) { sessionStorage.setItem("discalc.admin", v); },
};

// ---- API access: a private controller answers 401 once; the page asks for the token once.

function askToken(reason) {
  const dialog = document.getElementById("token-dialog");
  document.getElementById("token-reason").textContent = reason;
  const input = document.getElementById("token-input");
  input.value = "";
  return new Promise((resolve) => {
    dialog.onclose = () => resolve(input.value.trim());
    dialog.showModal();
  });
}

let asking = null;
async function api(path) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const headers = tokens.read ? { authorization: `Bearer ${tokens.read}` } : {};
    const res = await fetch(path, { headers });
    if (res.status !== 401 && res.status !== 403) {
      if (!res.ok) throw new Error(`${path}: ${res.status}`);
      return res.json();
    }
    asking ??= askToken("This controller is private: enter its token (asked once per browser session).").finally(() => (asking = null));
    tokens.read = await asking;
  }
  throw new Error(`${path}: not authorised`);
}

async function command(kind) {
  if (state.sweepId === null) return;
  if (kind === "cancel" && !confirm(`Cancel sweep ${state.sweepId}? Queued and running trials stop.`)) return;
  if (!tokens.admin) tokens.admin = await askToken(`The admin token is needed to ${kind} a sweep.`);
  const res = await fetch(`/api/commands?kind=${kind}&sweep=${state.sweepId}`, { method: "POST", headers: { authorization: `Bearer ${tokens.admin}` } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    if (res.status === 401 || res.status === 403) tokens.admin = "";
    alert(`${kind} refused: ${body.error?.message ?? res.status}`);
  }
  refresh();
}

// ---- helpers

const $ = (id) => document.getElementById(id);
const esc = (v) => String(v).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const fmt = (v, d = 3) => (v === null || v === undefined || Number.isNaN(v) ? "—" : Number(v).toFixed(d));
const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(2)}%`);
const ago = (t) => { const s = Math.max(0, (Date.now() - t) / 1000); return s < 90 ? `${s.toFixed(0)} s ago` : `${(s / 60).toFixed(0)} min ago`; };
const duration = (s) => (!Number.isFinite(s) ? "—" : s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);
const final = (t) => t.metrics.at(-1) ?? null;
const paramText = (v) => (v === undefined ? "(absent)" : typeof v === "string" ? v : JSON.stringify(v));

// ---- network

function renderNetwork() {
  const tbody = $("network").tBodies[0];
  const now = Date.now();
  const rows = [];
  const byParent = (id) => state.nodes.filter((n) => n.relay === id && n.id !== id);
  const controller = state.nodes.find((n) => n.role === "controller");
  const order = controller ? [controller, ...byParent(controller.id).filter((n) => n.role === "relay"), ...byParent(controller.id).filter((n) => n.role === "worker")] : [];
  for (const relay of order.filter((n) => n.role === "relay")) order.push(...byParent(relay.id));
  const seen = new Set();
  for (const n of order) {
    if (seen.has(n.id)) continue;
    seen.add(n.id);
    const s = n.stats || {};
    let busy = "—", perMin = "—", gflops = "—";
    if (n.role === "relay") {
      busy = `${s.running ?? 0} running, ${s.queued ?? 0} queued`;
      perMin = s.trialsPerMinute ?? "—";
    } else if (n.role === "worker") {
      busy = `${s.busy ?? 0}/${n.threads}`;
      gflops = s.gflops ? fmt(s.gflops, 1) : "—";
      const prev = state.workerRates.get(n.id);
      if (prev && s.trialsDone !== undefined && now > prev.t) {
        const rate = ((s.trialsDone - prev.done) / (now - prev.t)) * 60_000;
        prev.rate = prev.rate === undefined ? rate : 0.7 * prev.rate + 0.3 * rate;
        prev.t = now;
        prev.done = s.trialsDone;
        perMin = prev.rate.toFixed(1);
      } else if (s.trialsDone !== undefined) {
        state.workerRates.set(n.id, { t: now, done: s.trialsDone });
      }
    }
    const indent = n.role === "relay" ? "└ " : n.role === "worker" ? "  └ " : "";
    rows.push(`<tr class="${n.state}"><td>${indent}<code>${esc(n.id)}</code></td><td>${n.role}</td><td>${esc(n.host)}</td><td>${n.threads || "—"}</td>` +
      `<td class="state-${n.state}">${n.state}</td><td>${busy}</td><td>${perMin}</td><td>${gflops}</td><td>${n.role === "controller" ? "—" : ago(n.lastHeartbeat)}</td></tr>`);
  }
  tbody.innerHTML = rows.join("");
}

// ---- sweep progress and an honest ETA (the last minute's completion rate)

function renderProgress() {
  const sweep = state.sweeps.find((s) => s.id === state.sweepId);
  if (!sweep) {
    $("progress").textContent = "no sweep";
    return;
  }
  const c = sweep.counts;
  const finished = c.done + c.failed + c.cancelled;
  const now = Date.now();
  state.history.push({ t: now, finished });
  state.history = state.history.filter((h) => now - h.t <= 60_000);
  const first = state.history[0];
  const rate = first && now - first.t > 5000 ? (finished - first.finished) / ((now - first.t) / 1000) : NaN;
  const remaining = c.queued + c.leased;
  const elapsed = ((sweep.finishedAt ?? now) - sweep.createdAt) / 1000;
  const eta = sweep.state === "running" && rate > 0 ? remaining / rate : NaN;
  const w = (n) => `${(100 * n) / Math.max(sweep.total, 1)}%`;
  $("progress").innerHTML =
    `<div><b>${esc(sweep.name)}</b> (sweep ${sweep.id}) — <b>${sweep.state}</b></div>` +
    `<div class="bar"><span class="done" style="width:${w(c.done)}"></span><span class="failed" style="width:${w(c.failed)}"></span>` +
    `<span class="cancelled" style="width:${w(c.cancelled)}"></span><span class="running" style="width:${w(c.leased)}"></span></div>` +
    `<dl><dt>done</dt><dd>${c.done} / ${sweep.total}</dd><dt>running</dt><dd>${c.leased}</dd><dt>queued</dt><dd>${c.queued}</dd>` +
    `<dt>failed</dt><dd>${c.failed}</dd><dt>cancelled</dt><dd>${c.cancelled}</dd><dt>elapsed</dt><dd>${duration(elapsed)}</dd>` +
    `<dt>time left</dt><dd>${sweep.state === "running" ? (Number.isFinite(eta) ? `about ${duration(eta)} <span class="muted">(at the last minute's ${rate.toFixed(2)} trials/s)</span>` : "— <span class=\"muted\">(measuring)</span>") : "—"}</dd></dl>`;
}

// ---- curves

const curves = echarts.init($("curves"));
function renderCurves() {
  const metric = $("curve-metric").value;
  const runningOnly = $("curve-running").checked;
  let trials = state.trials.filter((t) => t.metrics.length && (!runningOnly || t.state === "leased"));
  // The running ones, then the best finished ones: a readable number of lines.
  const better = metric === "testAccuracy" ? (a, b) => (final(b)?.[metric] ?? -1) - (final(a)?.[metric] ?? -1) : (a, b) => (final(a)?.[metric] ?? 1e9) - (final(b)?.[metric] ?? 1e9);
  trials = [...trials.filter((t) => t.state === "leased"), ...trials.filter((t) => t.state !== "leased").sort(better)].slice(0, MAX_CURVES);
  curves.setOption({
    animation: false,
    tooltip: { trigger: "item", formatter: (p) => `trial ${p.seriesName}<br>epoch ${p.value[0]}: ${fmt(p.value[1], 4)}` },
    grid: { left: 56, right: 16, top: 16, bottom: 36 },
    xAxis: { type: "value", name: "epoch", nameLocation: "middle", nameGap: 24, minInterval: 1 },
    yAxis: { type: "value", scale: true },
    series: trials.map((t) => ({
      name: String(t.id), type: "line", showSymbol: t.metrics.length < 30, symbolSize: 4,
      lineStyle: { width: t.state === "leased" ? 2.5 : 1.2, type: t.state === "leased" ? "dashed" : "solid" },
      data: t.metrics.map((m) => [m.epoch, m[metric]]),
    })),
  }, { replaceMerge: ["series"] });
}
curves.on("click", (p) => openTrial(Number(p.seriesName)));

// ---- parallel coordinates: each trial a line across its parameters to its accuracy

const parallel = echarts.init($("parallel"));
function renderParallel() {
  const finished = state.trials.filter((t) => t.state === "done" && final(t)?.testAccuracy !== null && final(t));
  finished.sort((a, b) => final(b).testAccuracy - final(a).testAccuracy);
  const shown = finished.slice(0, Math.max(1, Math.ceil((finished.length * state.topk) / 100)));
  const keys = [...new Set(state.trials.flatMap((t) => Object.keys(t.params)))].sort();
  const dims = keys.map((key, dim) => {
    const values = shown.map((t) => t.params[key]);
    const numeric = values.every((v) => typeof v === "number");
    if (numeric) {
      const lo = Math.min(...values), hi = Math.max(...values);
      // A parameter spanning decades gets a log axis.
      return { dim, name: key, type: lo > 0 && hi / lo >= 100 ? "log" : "value", scale: true };
    }
    // Lists, strings, and trials that lack the parameter: categories, "(absent)" included.
    return { dim, name: key, type: "category", data: [...new Set(values.map(paramText))].sort() };
  });
  dims.push({ dim: keys.length, name: "test accuracy", type: "value", scale: true });
  const rows = shown.map((t) => [...dims.slice(0, -1).map((d) => (d.type === "category" ? paramText(t.params[d.name]) : t.params[d.name])), final(t).testAccuracy, t.id]);
  const accs = rows.map((r) => r[keys.length]);
  parallel.setOption({
    animation: false,
    parallelAxis: dims,
    parallel: { left: 60, right: 80, top: 30, bottom: 24 },
    visualMap: { show: true, type: "continuous", dimension: keys.length, min: Math.min(...accs, 0), max: Math.max(...accs, 1),
      inRange: { color: ["#d73027", "#fee08b", "#1a9850"] }, right: 0, top: "center", itemHeight: 140, precision: 3 },
    series: [{ type: "parallel", lineStyle: { width: 1.5, opacity: 0.7 }, data: rows }],
    tooltip: { formatter: (p) => `trial ${p.value.at(-1)}: ${pct(p.value[keys.length])}` },
  }, { replaceMerge: ["parallelAxis", "series"] });
  $("topk-value").textContent = state.topk;
}
parallel.on("click", (p) => openTrial(p.value.at(-1)));

// ---- leaderboard

function groups() {
  const byPoint = new Map();
  for (const t of state.trials) {
    const key = JSON.stringify(t.params);
    if (!byPoint.has(key)) byPoint.set(key, { params: t.params, trials: [] });
    byPoint.get(key).trials.push(t);
  }
  return [...byPoint.values()].map((g) => {
    const accs = g.trials.filter((t) => t.state === "done" && final(t)).map((t) => final(t).testAccuracy);
    const mean = accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : null;
    const std = accs.length > 1 ? Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / (accs.length - 1)) : accs.length ? 0 : null;
    return { ...g, mean, std, seeds: accs.length };
  });
}

function renderLeaderboard() {
  const keys = [...new Set(state.trials.flatMap((t) => Object.keys(t.params)))].sort();
  const cols = [["mean", "test acc (mean)"], ["std", "± std"], ["seeds", "seeds"], ...keys.map((k) => [`p:${k}`, k]), ["trials", "trials"]];
  $("leaderboard").tHead.innerHTML = `<tr><th>#</th>${cols.map(([k, label]) => `<th data-sort="${esc(k)}">${esc(label)}${state.sort.key === k ? (state.sort.dir < 0 ? " ▼" : " ▲") : ""}</th>`).join("")}</tr>`;
  const value = (g, k) => (k.startsWith("p:") ? paramText(g.params[k.slice(2)]) : g[k]);
  const rows = groups().sort((a, b) => {
    const x = value(a, state.sort.key), y = value(b, state.sort.key);
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : x > y ? 1 : 0) * state.sort.dir;
  });
  $("leaderboard").tBodies[0].innerHTML = rows.map((g, i) =>
    `<tr><td>${i + 1}</td><td>${pct(g.mean)}</td><td>${g.std === null ? "—" : `${(g.std * 100).toFixed(2)}%`}</td><td>${g.seeds}/${g.trials.length}</td>` +
    keys.map((k) => `<td>${esc(paramText(g.params[k]))}</td>`).join("") +
    `<td>${g.trials.map((t) => `<a class="trial-link" data-trial="${t.id}" title="${t.state}">${t.id}</a>`).join("")}</td></tr>`).join("");
}

$("leaderboard").addEventListener("click", (e) => {
  const th = e.target.closest("th[data-sort]");
  if (th) {
    const key = th.dataset.sort;
    state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : -1 };
    renderLeaderboard();
  }
  const link = e.target.closest("a[data-trial]");
  if (link) openTrial(Number(link.dataset.trial));
});

// ---- one trial

function openTrial(id) {
  state.openTrial = id;
  renderTrial();
}

function renderTrial() {
  const panel = $("trial");
  const t = state.trials.find((x) => x.id === state.openTrial);
  if (!t) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const host = (id) => state.nodes.find((n) => n.id === id)?.host ?? "?";
  const r = t.result || {};
  $("trial-body").innerHTML =
    `<h2>Trial ${t.id} <span class="muted">${t.state}</span></h2>` +
    `<dl><dt>params</dt><dd><code>${esc(JSON.stringify(t.params))}</code></dd><dt>seed</dt><dd>${t.seed}</dd>` +
    `<dt>attempts</dt><dd>${t.attempts}</dd><dt>ran on</dt><dd>${t.workerId ? `<code>${esc(t.workerId)}</code> (${esc(host(t.workerId))}) via <code>${esc(t.relayId)}</code>` : "—"}</dd>` +
    `<dt>weights</dt><dd><code class="weights">${t.weightsSha256 ?? "—"}</code></dd>` +
    (t.error ? `<dt>error</dt><dd class="state-gone">${esc(t.error)}</dd>` : "") +
    (t.result ? `<dt>training</dt><dd>${fmt(r.trainMs / 1000, 2)} s, ${fmt(r.samplesPerSec, 0)} samples/s, GEMM ${fmt(r.gemmGflops, 1)} GFLOP/s${r.diverged ? ", <b>diverged</b>" : ""}</dd>` : "") +
    `</dl><h3>Epochs</h3><table><tr><th>epoch</th><th>train loss</th><th>test loss</th><th>test acc</th><th>lr</th><th>time</th></tr>` +
    t.metrics.map((m) => `<tr><td>${m.epoch}</td><td>${fmt(m.trainLoss, 4)}</td><td>${fmt(m.testLoss, 4)}</td><td>${pct(m.testAccuracy)}</td><td>${fmt(m.lr, 5)}</td><td>${fmt(m.wallMs, 0)} ms</td></tr>`).join("") +
    `</table><h3>Attempts</h3><table><tr><th>#</th><th>relay</th><th>worker</th><th>outcome</th><th>error</th></tr>` +
    t.attemptLog.map((a) => `<tr><td>${a.attempt}</td><td><code>${esc(a.relayId)}</code></td><td>${a.workerId ? `<code>${esc(a.workerId)}</code>` : "—"}</td><td>${a.outcome ?? "running"}</td><td>${esc(a.error ?? "")}</td></tr>`).join("") +
    `</table>`;
}
$("trial-close").onclick = () => { state.openTrial = null; renderTrial(); };

// ---- refresh loop

async function refresh() {
  try {
    const [sweeps, nodes] = await Promise.all([api("/api/sweeps"), api("/api/nodes")]);
    state.sweeps = sweeps;
    state.nodes = nodes;
    const select = $("sweep-select");
    if (state.sweepId === null && sweeps.length) state.sweepId = sweeps.at(-1).id;
    select.innerHTML = sweeps.map((s) => `<option value="${s.id}" ${s.id === state.sweepId ? "selected" : ""}>${esc(s.name)} (#${s.id}, ${s.state})</option>`).join("");
    state.trials = state.sweepId === null ? [] : await api(`/api/trials?sweep=${state.sweepId}`);
    renderProgress();
    renderNetwork();
    renderCurves();
    renderParallel();
    renderLeaderboard();
    renderTrial();
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    $("updated").textContent = `update failed: ${err.message}`;
  }
}

$("sweep-select").onchange = (e) => { state.sweepId = Number(e.target.value); state.history = []; refresh(); };
$("curve-metric").onchange = renderCurves;
$("curve-running").onchange = renderCurves;
$("topk").oninput = (e) => { state.topk = Number(e.target.value); renderParallel(); };
for (const b of document.querySelectorAll("#controls button")) b.onclick = () => command(b.dataset.kind);
window.addEventListener("resize", () => { curves.resize(); parallel.resize(); });
refresh();
setInterval(refresh, REFRESH_MS);
