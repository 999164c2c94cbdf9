// REST under /api: read-only views (open by default, token with --private) and admin
// routes (commands, deploy) behind the admin token.
import Router from "@koa/router";
import type Koa from "koa";
import { api } from "../../../protocol/api.ts";
import { parseQueryWith, readRawBody } from "../../http/boundary.ts";
import { requireToken, requireAdmin } from "../../http/identity.ts";
import type { ControllerState } from "../state.ts";
import type { TrialRow } from "../store/store.ts";
import { toCommand } from "../scheduler/scheduler.ts";
import { ExtendError } from "../sweeps/extend-sweep.ts";
import { trialView, trialViews, sweepView, nodesPage, sweepLeaderboard, sweepIdentity, sweepImportance, NoImportanceError } from "./api-views.ts";
import { DEFAULT_PAGE } from "../../../protocol/api.ts";

const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export function apiRouter(s: Pick<ControllerState, "settings" | "store" | "identities" | "health" | "scheduler" | "heartbeats" | "work" | "blobs" | "relay" | "stalls">): Router {
  const router = new Router();
  const read = (ctx: Koa.Context) => {
    if (s.settings.privateApi) requireToken(ctx, [s.identities.token, s.identities.adminToken], "this read-only route (the controller runs --private)");
  };
  const sweepOr404 = async (ctx: Koa.Context, id: number) => (await s.store.sweep(id)) ?? ctx.throw(404, `no sweep ${id}`);

  /** A page in id order: `next` is the last id when the page is full. */
  const idPage = async <R, V>(rows: R[], limit: number, id: (r: R) => number, views: (rs: R[]) => Promise<V[]>) => ({
    items: await views(rows.slice(0, limit)),
    next: rows.length > limit ? String(id(rows[limit - 1]!)) : null,
  });

  router.get(api.sweeps.path, async (ctx) => {
    read(ctx);
    const q = parseQueryWith(ctx, api.sweeps.query);
    const limit = q.limit ?? DEFAULT_PAGE;
    ctx.body = await idPage(await s.store.sweepsPage(Number(q.cursor ?? 0), limit + 1), limit, (r) => r.id, (sweeps) => Promise.all(sweeps.map((sw) => sweepView(s.store, sw, (id, leased) => s.heartbeats.runningOf(id, leased)))));
  });

  router.get(api.sweep.path, async (ctx) => {
    read(ctx);
    parseQueryWith(ctx, api.sweep.query);
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id < 1) ctx.throw(400, "path parameter 'id' must be a positive integer");
    const sweep = await sweepOr404(ctx, id);
    ctx.body = { ...(await sweepView(s.store, sweep, (id, leased) => s.heartbeats.runningOf(id, leased))), config: JSON.parse(sweep.config), stalled: sweep.state === "running" ? s.stalls?.current(id) ?? null : null };
  });

  router.get(api.leaderboard.path, async (ctx) => {
    read(ctx);
    const q = parseQueryWith(ctx, api.leaderboard.query);
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id < 1) ctx.throw(400, "path parameter 'id' must be a positive integer");
    ctx.body = await sweepLeaderboard(s.store, await sweepOr404(ctx, id), { offset: Number(q.cursor ?? 0), limit: q.limit ?? DEFAULT_PAGE });
  });

  router.get(api.importance.path, async (ctx) => {
    read(ctx);
    parseQueryWith(ctx, api.importance.query);
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id < 1) ctx.throw(400, "path parameter 'id' must be a positive integer");
    try {
      ctx.body = await sweepImportance(s.store, await sweepOr404(ctx, id));
    } catch (err) {
      if (err instanceof NoImportanceError) ctx.throw(409, err.message);
      throw err;
    }
  });

  router.get(api.trials.path, async (ctx) => {
    read(ctx);
    const q = parseQueryWith(ctx, api.trials.query);
    const sweep = q.sweep !== undefined ? await sweepOr404(ctx, q.sweep) : undefined;
    const limit = q.limit ?? DEFAULT_PAGE;
    const views = (trials: TrialRow[]) => trialViews(s.store, trials, { metrics: q.metrics === "1" });
    if (q.order === "best") {
      if (!sweep) return ctx.throw(400, "query parameter 'order': best needs 'sweep' (trials rank by their sweep's metric)");
      if (q.state !== undefined && q.state !== "done") return ctx.throw(400, "query parameter 'state': order=best lists done trials (then diverged ones) only");
      const offset = Number(q.cursor ?? 0);
      const rows = await s.store.trialsByObjective(sweep.id, sweepIdentity(sweep).metric.goal, offset, limit + 1);
      ctx.body = { items: await views(rows.slice(0, limit)), next: rows.length > limit ? String(offset + limit) : null };
      return;
    }
    const rows = await s.store.trialsPage({ sweepId: q.sweep, state: q.state, afterId: Number(q.cursor ?? 0), limit: limit + 1 });
    ctx.body = await idPage(rows, limit, (r) => r.id, views);
  });

  router.get(api.blob.path, async (ctx) => {
    requireToken(ctx, [s.identities.token, s.identities.adminToken], "a blob (the researcher's code and data)");
    parseQueryWith(ctx, api.blob.query);
    const sha = String(ctx.params.sha);
    if (!/^[0-9a-f]{64}$/.test(sha)) ctx.throw(400, "path parameter 'sha' must be a SHA-256 in lowercase hex");
    const bytes = (await s.blobs.get(sha)) ?? ctx.throw(404, `no blob ${sha}`);
    ctx.type = "application/octet-stream";
    ctx.set("cache-control", "private, max-age=31536000, immutable");
    ctx.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  });

  /** The trial a /api/trials/:id route names: 400 for a malformed id, 404 for none. */
  const trialOf = async (ctx: Koa.Context) => {
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id < 1) ctx.throw(400, "path parameter 'id' must be a positive integer");
    return (await s.store.trial(id)) ?? ctx.throw(404, `no trial ${id}`);
  };

  router.get(api.trial.path, async (ctx) => {
    read(ctx);
    parseQueryWith(ctx, api.trial.query);
    ctx.body = await trialView(s.store, await trialOf(ctx), { metrics: true, config: true });
  });

  router.get(api.trialState.path, async (ctx) => {
    read(ctx);
    parseQueryWith(ctx, api.trialState.query);
    const t = await trialOf(ctx);
    const id = t.id;
    const kept = (await s.store.trialState(t.id, "final"))
      ?? ctx.throw(404, `trial ${id} has no kept state (${t.state === "done" ? "the sweep's keep did not keep it, or its experiment returned none" : `it is ${t.state}`})`);
    ctx.set("X-Discalc-State-Sha256", kept.sha256);
    ctx.set("X-Discalc-State-Step", String(kept.step));
    ctx.type = "application/octet-stream";
    ctx.body = Buffer.from(kept.bytes.buffer, kept.bytes.byteOffset, kept.bytes.byteLength);
  });

  router.get(api.nodes.path, async (ctx) => {
    read(ctx);
    const q = parseQueryWith(ctx, api.nodes.query);
    ctx.body = await nodesPage(s.store, s.settings.controllerId, s.settings.silentMs, Number(q.cursor ?? 0), q.limit ?? DEFAULT_PAGE);
  });

  // A relay's statistics as it pushed them with its last heartbeat (once a second). The
  // controller never calls a URL a relay declared, so no token of its can be sent there.
  router.get(api.stats.path, async (ctx) => {
    read(ctx);
    parseQueryWith(ctx, api.stats.query);
    const id = ctx.params.id ?? "";
    if (id === s.settings.controllerId) {
      ctx.body = s.relay.stats();
      return;
    }
    const node = await s.store.node(id);
    if (!node || node.role !== "relay") return ctx.throw(404, `no relay ${id}`);
    if (!node.stats) return ctx.throw(409, `relay ${id} has not sent its statistics yet`);
    ctx.body = JSON.parse(node.stats);
  });

  router.get(api.commands.path, async (ctx) => {
    read(ctx);
    const q = parseQueryWith(ctx, api.commands.query);
    const limit = q.limit ?? DEFAULT_PAGE;
    ctx.body = await idPage(await s.store.commandsPage(Number(q.cursor ?? 0), limit + 1), limit, (r) => r.seq, async (commands) => commands.map(toCommand));
  });

  router.post(api.issueCommand.path, async (ctx) => {
    requireAdmin(ctx, s.identities.adminToken, "commands (admin)");
    const q = parseQueryWith(ctx, api.issueCommand.query);
    if (q.sweep !== undefined) await sweepOr404(ctx, q.sweep);
    if (q.trial !== undefined && !(await s.store.trial(q.trial))) ctx.throw(404, `no trial ${q.trial}`);
    if (q.kind === "update") ctx.throw(400, "query parameter 'kind': update is issued by deploying a bundle (POST /api/deploy)");
    if (q.trial !== undefined && q.kind !== "cancel") ctx.throw(400, `query parameter 'trial' applies only to cancel, not ${q.kind}`);
    s.health.assertWritable(ctx);
    const command = await s.scheduler.issueCommand({ kind: q.kind, sweepId: q.sweep ?? null, trialId: q.trial ?? null });
    s.settings.log("info", "command", `command ${command.seq}: ${command.kind}${q.sweep ? ` sweep ${q.sweep}` : ""}${q.trial ? ` trial ${q.trial}` : ""}`);
    ctx.body = { command };
  });

  router.post(api.extend.path, async (ctx) => {
    requireAdmin(ctx, s.identities.adminToken, "extending a sweep (admin)");
    const q = parseQueryWith(ctx, api.extend.query);
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id < 1) ctx.throw(400, "path parameter 'id' must be a positive integer");
    await sweepOr404(ctx, id);
    s.health.assertWritable(ctx);
    try {
      const { added, extension } = await s.scheduler.extendSweep(id, { samples: q.samples, repeats: q.repeats });
      s.settings.log("info", "sweep", `sweep ${id} extended to ${JSON.stringify(extension)}: ${added} trial(s) added`);
      ctx.body = { sweepId: id, added, extension, total: await s.store.trialCount(id) };
    } catch (err) {
      if (err instanceof ExtendError) ctx.throw(409, err.message);
      throw err;
    }
  });

  router.post(api.deploy.path, async (ctx) => {
    requireAdmin(ctx, s.identities.adminToken, "deploy (admin)");
    const q = parseQueryWith(ctx, api.deploy.query);
    const bytes = await readRawBody(ctx, MAX_BUNDLE_BYTES);
    if (!Buffer.from(bytes.subarray(0, 32)).toString("utf8").startsWith("// discalc node bundle")) {
      ctx.throw(400, "body is not a discalc node bundle (build it with `discalc deploy`)");
    }
    s.health.assertWritable(ctx);
    const sha = await s.blobs.put(bytes, "bundle", "node-bundle", q.label ?? null);
    const previous = await s.work.currentBundle();
    if (sha === previous) {
      ctx.body = { bundleSha: sha, changed: false, command: null };
      return;
    }
    await s.store.setMeta("current_bundle", sha);
    const command = await s.scheduler.issueCommand({ kind: "update", bundleSha: sha });
    s.settings.log("info", "deploy", `deploy: bundle ${sha.slice(0, 12)} (${bytes.byteLength} bytes${q.label ? `, ${q.label}` : ""}) is current; update is command ${command.seq}`);
    ctx.body = { bundleSha: sha, changed: true, command };
  });

  return router;
}
