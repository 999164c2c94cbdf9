// The controller's Prometheus series. Gauges read the store (and the root relay) when
// /metrics is scraped, so nothing on the hot paths keeps them; the counters are bumped
// through the small ControllerMeters interface where heartbeats, leases and result batches
// are handled (signed-work.ts, relay-heartbeats.ts, node-routes.ts, local-upstream.ts).
import type Koa from "koa";
import type { Registry } from "prom-client";
import { Counter, Gauge } from "prom-client";
import type { ResultAck, ResultBatch } from "../../../protocol/messages.ts";
import { TRIAL_STATES, type Store, type SweepState } from "../store/store.ts";
import { METRIC_PREFIX as P } from "../../http/metrics.ts";

const SWEEP_STATES: readonly SweepState[] = ["running", "paused", "done", "cancelled"];
const RESULT_STATUSES: readonly ResultAck["statuses"][number][] = ["stored", "duplicate", "stale", "refused"];

/** What the controller's handlers report as they go. */
export interface ControllerMeters {
  /** A relay heartbeat absorbed (HTTP or the root relay's). */
  heartbeat(): void;
  /** Trials handed to a relay under a lease. */
  leasesGranted(n: number): void;
  /** A result batch recorded, with its acknowledgement; `received` when it came over HTTP. */
  resultBatch(ack: ResultAck, received?: { ctx: Koa.Context; batch: ResultBatch }): void;
}

/** What the gauges read when /metrics is scraped. */
export interface MeteredSources {
  store: Pick<Store, "liveNodeCount" | "stateCounts">;
  readonly silentMs: number;
  rungs: { counts: { waits: number; requests: number } };
  /** The root relay, once built (it counts its own polls). */
  relay: () => { counters: { polls: number } } | undefined;
}

export function controllerMetrics(registry: Registry, s: MeteredSources): ControllerMeters {
  const registers = [registry];
  const alive = (role: "relay" | "worker", withinMs: number) => s.store.liveNodeCount(role, Date.now() - withinMs);

  new Gauge({
    name: `${P}trials`, help: "Trials in the store by state", labelNames: ["state"] as const, registers,
    async collect() {
      const c = (await s.store.stateCounts()).trials;
      this.reset();
      // Every known state, zero included; any other state the store holds too.
      for (const st of new Set<string>([...TRIAL_STATES, ...c.keys()])) this.set({ state: st }, c.get(st) ?? 0);
    },
  });
  new Gauge({
    name: `${P}leases_active`, help: "Trials currently leased to a relay", registers,
    async collect() {
      this.set((await s.store.stateCounts()).trials.get("leased") ?? 0);
    },
  });
  new Gauge({
    name: `${P}sweeps`, help: "Sweeps in the store by state", labelNames: ["state"] as const, registers,
    async collect() {
      const c = (await s.store.stateCounts()).sweeps;
      this.reset();
      for (const st of new Set<string>([...SWEEP_STATES, ...c.keys()])) this.set({ state: st }, c.get(st) ?? 0);
    },
  });
  new Gauge({
    name: `${P}relays_alive`, help: "Relays (besides the root relay) heard from within silentMs", registers,
    async collect() {
      this.set(await alive("relay", s.silentMs));
    },
  });
  new Gauge({
    name: `${P}workers_alive`, help: "Workers heard from within 3 × silentMs", registers,
    async collect() {
      this.set(await alive("worker", 3 * s.silentMs));
    },
  });
  new Gauge({
    name: `${P}rung_waits`, help: "Open early-stopping decisions being waited for, one per (trial, attempt, step)", registers,
    collect() {
      this.set(s.rungs.counts.waits);
    },
  });
  new Gauge({
    name: `${P}rung_requests_waiting`, help: "Rung long-polls waiting for an open decision (dropped when their client goes away)", registers,
    collect() {
      this.set(s.rungs.counts.requests);
    },
  });
  new Counter({
    name: `${P}polls_total`, help: "Worker polls answered by the controller's root relay", registers,
    collect() {
      // The root relay counts its polls itself; read it rather than instrument the poll path.
      this.reset();
      this.inc(s.relay()?.counters.polls ?? 0);
    },
  });

  const heartbeats = new Counter({ name: `${P}heartbeats_total`, help: "Relay heartbeats absorbed, the root relay's included", registers });
  const leases = new Counter({ name: `${P}leases_granted_total`, help: "Trials leased to relays", registers });
  const batches = new Counter({ name: `${P}result_batches_total`, help: "Result batches recorded", registers });
  const results = new Counter({
    name: `${P}results_total`, help: "Results in recorded batches, by acknowledgement status", labelNames: ["status"] as const, registers,
  });
  const bytes = new Counter({
    name: `${P}result_batch_bytes_total`,
    help: "Bytes of result batch bodies received over HTTP: wire = as sent (deflated), raw = the batch's JSON after inflating",
    labelNames: ["encoding"] as const, registers,
  });
  for (const status of RESULT_STATUSES) results.inc({ status }, 0);
  for (const encoding of ["raw", "wire"]) bytes.inc({ encoding }, 0);

  return {
    heartbeat: () => heartbeats.inc(),
    leasesGranted(n) {
      if (n > 0) leases.inc(n);
    },
    resultBatch(ack, received) {
      batches.inc();
      const by = new Map<string, number>();
      for (const st of ack.statuses) by.set(st, (by.get(st) ?? 0) + 1);
      for (const [status, n] of by) results.inc({ status }, n);
      if (received) {
        const wire = received.ctx.request.length ?? 0;
        const raw = (received.ctx.state.bodyRawBytes as number | undefined) ?? wire;
        bytes.inc({ encoding: "wire" }, wire);
        bytes.inc({ encoding: "raw" }, raw);
      }
    },
  };
}
