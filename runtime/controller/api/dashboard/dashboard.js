// discalc dashboard: polls the controller's REST API every two seconds and draws the
// network, sweep progress, live curves, a parallel-coordinates view and a leaderboard.
// Plain browser JavaScript and Apache ECharts, so serving it needs no build step.
"use strict";

const REFRESH_MS = 2000;
const MAX_CURVES = 40;
const state = {
  // Pages only: the running trials and the best finished ones (with reports) for the curves,
  // the best 1,000 for the parallel coordinates, one opened trial: an open page costs the
  // controller the same on a 100-trial sweep and on a 100,000-trial one.
  sweeps: [], nodes: [], curveTrials: [], ranked: [], board: null, sweepId: null, openTrial: null, openView: null,
  sort: { key: "rank", dir: 1 }, topk: 100, history: [], workerRates: new Map(), curveMetric: null, stalled: null,
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
      if (!res.ok) throw new Error((await res.json().catch(() => null))?.error?.message ?? `${path}: ${res.status}`);
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
const ago = (t) => { const s = Math.max(0, (Date.now() - t) / 1000); return s < 90 ? `${s.toFixed(0)} s ago` : `${(s / 60).toFixed(0)} min ago`; };
const duration = (s) => (!Number.isFinite(s) ? "—" : s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);
const num = (v) => (v === null || v === undefined || Number.isNaN(v) ? "—" : Number.isInteger(v) ? String(v) : String(Number(Number(v).toPrecision(5))));
/** The sweep's objective ({ name, goal }), as the controller ranks by it. */
const metricOf = () => state.sweeps.find((s) => s.id === state.sweepId)?.metric ?? { name: "testAccuracy", goal: "maximize" };
/** Orders trials best first by their objective; trials without one go last. */
const byObjective = (goal) => (a, b) => (a.objective === null) - (b.objective === null) || (goal === "maximize" ? b.objective - a.objective : a.objective - b.objective);
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
      busy = `${s.running ?? 0} running, ${(s.reserved ?? 0) + (s.queued ?? 0)} reserved`;
      perMin = s.trialsPerMinute ?? "—";
    } else if (n.role === "worker") {
      busy = `${s.busy ?? 0}/${n.threads}${s.reserved ? ` (+${s.reserved} reserved)` : ""}`;
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
  const finished = c.done + (c.pruned ?? 0) + (c.diverged ?? 0) + c.failed + c.cancelled;
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
    `<div class="bar"><span class="done" style="width:${w(c.done)}"></span><span class="pruned" style="width:${w(c.pruned ?? 0)}"></span><span class="diverged" style="width:${w(c.diverged ?? 0)}"></span><span class="failed" style="width:${w(c.failed)}"></span>` +
    `<span class="cancelled" style="width:${w(c.cancelled)}"></span><span class="running" style="width:${w(c.leased)}"></span></div>` +
    // Leased trials on a thread (running) and prefetched by a relay or an agent (reserved).
    `<dl><dt>done</dt><dd>${c.done} / ${sweep.total}</dd><dt>running</dt><dd>${c.running ?? c.leased}</dd><dt>reserved</dt><dd>${c.reserved ?? 0}</dd><dt>queued</dt><dd>${c.queued}</dd>` +
    `${c.pruned ? `<dt>pruned</dt><dd>${c.pruned}</dd>` : ""}${c.diverged ? `<dt>diverged</dt><dd>${c.diverged}</dd>` : ""}<dt>failed</dt><dd>${c.failed}</dd><dt>cancelled</dt><dd>${c.cancelled}</dd><dt>elapsed</dt><dd>${duration(elapsed)}</dd>` +
    `<dt>time left</dt><dd>${sweep.state === "running" ? (Number.isFinite(eta) ? `about ${duration(eta)} <span class="muted">(at the last minute's ${rate.toFixed(2)} trials/s)</span>` : "— <span class=\"muted\">(measuring)</span>") : "—"}</dd></dl>` +
    (state.stalled ? `<div class="stalled">stalled: ${esc(state.stalled.summary)}</div>` : "");
}

// ---- curves

const curves = echarts.init($("curves"));
/** The curve selector lists every metric the trials report; it starts on the sweep's objective. */
function renderCurveChoices() {
  const names = [...new Set(state.curveTrials.flatMap((t) => (t.metrics ?? []).flatMap((m) => Object.keys(m))))].filter((k) => k !== "step").sort();
  const select = $("curve-metric");
  if (!state.curveMetric || !names.includes(state.curveMetric)) state.curveMetric = names.includes(metricOf().name) ? metricOf().name : names[0] ?? null;
  const html = names.map((n) => `<option value="${esc(n)}" ${n === state.curveMetric ? "selected" : ""}>${esc(n)}</option>`).join("");
  if (select.innerHTML !== html) select.innerHTML = html;
}

function renderCurves() {
  renderCurveChoices();
  const metric = state.curveMetric;
  const runningOnly = $("curve-running").checked;
  let trials = state.curveTrials.filter((t) => t.metrics?.length && (!runningOnly || t.state === "leased"));
  // The running ones, then the best finished ones by the sweep's objective: a readable number of lines.
  // Then pruned ones (their curves end in a mark where the stopping rule ended them).
  const finished = trials.filter((t) => t.state === "done").sort(byObjective(metricOf().goal));
  trials = [...trials.filter((t) => t.state === "leased"), ...finished, ...trials.filter((t) => t.state === "pruned")].slice(0, MAX_CURVES);
  curves.setOption({
    animation: false,
    tooltip: {
      trigger: "item",
      formatter: (p) => `trial ${p.seriesName}<br>report ${p.value[0]}: ${metric} ${num(p.value[1])}` + (p.data?.reason ? `<br>pruned: ${esc(p.data.reason)}` : ""),
    },
    grid: { left: 56, right: 16, top: 16, bottom: 36 },
    xAxis: { type: "value", name: "report (step or epoch)", nameLocation: "middle", nameGap: 24, minInterval: 1 },
    yAxis: { type: "value", scale: true },
    series: trials.map((t) => {
      const points = t.metrics.filter((m) => m[metric] !== undefined).map((m) => [m.step, m[metric]]);
      if (t.state !== "pruned") {
        return {
          name: String(t.id), type: "line", showSymbol: t.metrics.length < 30, symbolSize: 4,
          lineStyle: { width: t.state === "leased" ? 2.5 : 1.2, type: t.state === "leased" ? "dashed" : "solid" }, data: points,
        };
      }
      const data = points.map((value, i) => (i === points.length - 1
        ? { value, symbol: "triangle", symbolRotate: 180, symbolSize: 9, reason: t.pruned?.reason ?? "pruned" }
        : { value, symbol: "none" }));
      return { name: String(t.id), type: "line", showSymbol: true, lineStyle: { width: 1, opacity: 0.6 }, itemStyle: { color: "#9ca3af" }, data };
    }),
  }, { replaceMerge: ["series"] });
}
curves.on("click", (p) => openTrial(Number(p.seriesName)));

// ---- parallel coordinates: each trial a line across its parameters to its accuracy

const parallel = echarts.init($("parallel"));
function renderParallel() {
  const { name: objective, goal } = metricOf();
  $("objective-name").textContent = `${objective} (${goal})`;
  // The best finished trials (up to 1,000), best first, as the controller ranks them.
  const finished = state.ranked;
  const shown = finished.slice(0, Math.max(1, Math.ceil((finished.length * state.topk) / 100)));
  const keys = [...new Set(finished.flatMap((t) => Object.keys(t.params)))].sort();
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
  dims.push({ dim: keys.length, name: objective, type: "value", scale: true });
  const rows = shown.map((t) => [...dims.slice(0, -1).map((d) => (d.type === "category" ? paramText(t.params[d.name]) : t.params[d.name])), t.objective, t.id]);
  const values = rows.map((r) => r[keys.length]);
  const colors = ["#d73027", "#fee08b", "#1a9850"];
  parallel.setOption({
    animation: false,
    parallelAxis: dims,
    parallel: { left: 60, right: 80, top: 30, bottom: 24 },
    visualMap: { show: true, type: "continuous", dimension: keys.length, min: values.length ? Math.min(...values) : 0, max: values.length ? Math.max(...values) : 1,
      inRange: { color: goal === "maximize" ? colors : [...colors].reverse() }, right: 0, top: "center", itemHeight: 140, precision: 3 },
    series: [{ type: "parallel", lineStyle: { width: 1.5, opacity: 0.7 }, data: rows }],
    tooltip: { formatter: (p) => `trial ${p.value.at(-1)}: ${objective} ${num(p.value[keys.length])}` },
  }, { replaceMerge: ["parallelAxis", "series"] });
  $("topk-value").textContent = state.topk;
}
parallel.on("click", (p) => openTrial(p.value.at(-1)));

// ---- leaderboard

// The controller ranks (GET /api/sweeps/:id/leaderboard); the page shows its rows, with each
// point's trials (the unfinished ones too) so they can be opened.
function renderImportance() {
  const body = $("importance").tBodies[0];
  const imp = state.importance;
  if (!imp || imp.error || !imp.importance) {
    body.innerHTML = `<tr><td class="muted">${esc(imp?.error ?? "no sweep")}</td></tr>`;
    return;
  }
  const rows = Object.entries(imp.importance).sort((a, b) => b[1] - a[1]);
  body.innerHTML = rows.map(([name, share]) =>
    `<tr><td>${esc(name)}</td><td>${fmt(share, 3)}</td><td style="width:60%"><div class="bar"><span class="done" style="width:${(100 * share).toFixed(1)}%"></span></div></td></tr>`).join("") +
    `<tr><td colspan="3" class="muted">over ${imp.trials} finished trials</td></tr>`;
}

function renderLeaderboard() {
  const board = state.board;
  const metric = board?.metric ?? metricOf();
  $("leaderboard-metric").textContent = `${metric.name} (${metric.goal})${board && board.total > board.rows.length ? `; the best ${board.rows.length} of ${board.total} points` : ""}`;
  const keys = [...new Set((board?.rows ?? []).flatMap((r) => Object.keys(r.params)))].sort();
  const cols = [["rank", "#"], ["mean", `${metric.name} (mean)`], ["std", "± std"], ["seeds", "seeds"], ...keys.map((k) => [`p:${k}`, k]), ["trials", "trials"]];
  $("leaderboard").tHead.innerHTML = `<tr>${cols.map(([k, label]) => `<th data-sort="${esc(k)}">${esc(label)}${state.sort.key === k ? (state.sort.dir < 0 ? " ▼" : " ▲") : ""}</th>`).join("")}</tr>`;
  const rows = (board?.rows ?? []).map((r, i) => ({ ...r, rank: i + 1, trials: r.trialIds }));
  const value = (g, k) => (k.startsWith("p:") ? paramText(g.params[k.slice(2)]) : g[k]);
  rows.sort((a, b) => {
    const x = value(a, state.sort.key), y = value(b, state.sort.key);
    return (x < y ? -1 : x > y ? 1 : 0) * state.sort.dir;
  });
  $("leaderboard").tBodies[0].innerHTML = rows.map((g) =>
    `<tr><td>${g.rank}</td><td>${num(g.mean)}</td><td>${num(g.std)}</td><td>${g.seeds}</td>` +
    keys.map((k) => `<td>${esc(paramText(g.params[k]))}</td>`).join("") +
    `<td>${g.trials.map((id) => `<a class="trial-link" data-trial="${id}">${id}</a>`).join("")}</td></tr>`).join("");
}

$("leaderboard").addEventListener("click", (e) => {
  const th = e.target.closest("th[data-sort]");
  if (th) {
    const key = th.dataset.sort;
    state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : key === "rank" ? 1 : -1 };
    renderLeaderboard();
  }
  const link = e.target.closest("a[data-trial]");
  if (link) openTrial(Number(link.dataset.trial));
});

// A lineage's parent opens in the same panel.
$("trial").addEventListener("click", (e) => {
  const link = e.target.closest("a[data-trial]");
  if (link) openTrial(Number(link.dataset.trial));
});

// ---- one trial

async function openTrial(id) {
  state.openTrial = id;
  state.openView = await api(`/api/trials/${id}`).catch(() => null);
  renderTrial();
}

function renderTrial() {
  const panel = $("trial");
  const t = state.openView && state.openView.id === state.openTrial ? state.openView : null;
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
    `<dt>result sha256</dt><dd><code class="weights">${t.resultSha256 ?? "—"}</code></dd>` +
    // Population-based training: where this member's state came from, and the steps it trained.
    (t.lineage ? `<dt>lineage</dt><dd>generation ${t.lineage.generation}, slot ${t.lineage.slot}, steps ${t.lineage.startStep + 1}–${t.lineage.stopStep}; ` +
      (t.lineage.parentTrialId === null ? "from scratch" : `${t.lineage.exploited ? "copied and perturbed" : "continues"} <a class="trial-link" data-trial="${t.lineage.parentTrialId}">trial ${t.lineage.parentTrialId}</a>`) + `</dd>` : "") +
    `<dt>${esc(metricOf().name)}</dt><dd>${num(t.objective)}</dd>` +
    // The error's first line, then its stack (in the experiment's own files), as the worker caught it.
    (t.error ? `<dt>error</dt><dd><pre class="error state-gone">${esc(t.error)}</pre></dd>` : "") +
    (t.final ? `<dt>final</dt><dd>${Object.entries(t.final).map(([k, v]) => `${esc(k)} ${num(v)}`).join(", ")}</dd>` : "") +
    (t.result ? `<dt>run</dt><dd>${fmt(r.runMs / 1000, 2)} s${Object.entries(r.info ?? {}).map(([k, v]) => `, ${esc(k)} ${num(v)}`).join("")}</dd>` : "") +
    `</dl><h3>Reports</h3>${reportTable(t.metrics ?? [])}` +
    `</table><h3>Attempts</h3><table><tr><th>#</th><th>relay</th><th>worker</th><th>outcome</th><th>error</th></tr>` +
    t.attemptLog.map((a) => `<tr><td>${a.attempt}</td><td><code>${esc(a.relayId)}</code></td><td>${a.workerId ? `<code>${esc(a.workerId)}</code>` : "—"}</td><td>${a.outcome ?? "running"}</td><td><pre class="error">${esc(a.error ?? "")}</pre></td></tr>`).join("") +
    `</table>`;
}
/** One row per report, one column per metric name any report has. */
function reportTable(reports) {
  const names = [...new Set(reports.flatMap((m) => Object.keys(m)))].filter((k) => k !== "step");
  return `<table><tr><th>step</th>${names.map((n) => `<th>${esc(n)}</th>`).join("")}</tr>` +
    reports.map((m) => `<tr><td>${m.step}</td>${names.map((n) => `<td>${num(m[n])}</td>`).join("")}</tr>`).join("") + "</table>";
}

$("trial-close").onclick = () => { state.openTrial = null; state.openView = null; renderTrial(); };

// ---- refresh loop

async function refresh() {
  try {
    const [sweeps, nodes] = await Promise.all([api("/api/sweeps?limit=1000"), api("/api/nodes?limit=1000")]);
    state.sweeps = sweeps.items;
    state.nodes = nodes.items;
    const select = $("sweep-select");
    if (state.sweepId === null && state.sweeps.length) state.sweepId = state.sweeps.at(-1).id;
    select.innerHTML = state.sweeps.map((s) => `<option value="${s.id}" ${s.id === state.sweepId ? "selected" : ""}>${esc(s.name)} (#${s.id}, ${s.state})</option>`).join("");
    if (state.sweepId === null) {
      state.curveTrials = [], state.ranked = [], state.board = null;
    } else {
      const id = state.sweepId;
      const pruned = state.sweeps.find((s) => s.id === id)?.counts.pruned ?? 0;
      const [running, best, ranked, board, open, stopped] = await Promise.all([
        api(`/api/trials?sweep=${id}&state=leased&metrics=1&limit=${MAX_CURVES}`),
        api(`/api/trials?sweep=${id}&order=best&metrics=1&limit=${MAX_CURVES}`),
        api(`/api/trials?sweep=${id}&order=best&limit=1000`),
        api(`/api/sweeps/${id}/leaderboard?limit=100`),
        state.openTrial === null ? null : api(`/api/trials/${state.openTrial}`).catch(() => null),
        pruned ? api(`/api/trials?sweep=${id}&state=pruned&metrics=1&limit=${MAX_CURVES}`) : { items: [] },
      ]);
      // Why a running sweep has made no progress lately, as the controller's stall watch says.
      const runningSweep = state.sweeps.find((s) => s.id === id)?.state === "running";
      state.stalled = runningSweep ? (await api(`/api/sweeps/${id}`).catch(() => null))?.stalled ?? null : null;
      // 409 until two trials have finished: the panel says so.
      state.importance = await api(`/api/sweeps/${id}/importance`).catch((err) => ({ error: err.message }));
      state.curveTrials = [...running.items, ...best.items, ...stopped.items];
      state.ranked = ranked.items;
      state.board = board;
      state.openView = open;
    }
    renderProgress();
    renderNetwork();
    renderCurves();
    renderParallel();
    renderLeaderboard();
    renderImportance();
    renderTrial();
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    $("updated").textContent = `update failed: ${err.message}`;
  }
}

$("sweep-select").onchange = (e) => { state.sweepId = Number(e.target.value); state.history = []; refresh(); };
$("curve-metric").onchange = (e) => { state.curveMetric = e.target.value; renderCurves(); };
$("curve-running").onchange = renderCurves;
$("topk").oninput = (e) => { state.topk = Number(e.target.value); renderParallel(); };
for (const b of document.querySelectorAll("#controls button")) b.onclick = () => command(b.dataset.kind);
window.addEventListener("resize", () => { curves.resize(); parallel.resize(); });
refresh();
setInterval(refresh, REFRESH_MS);
