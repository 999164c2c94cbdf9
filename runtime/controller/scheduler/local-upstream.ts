// The root relay's upstream: direct calls into the controller's scheduler, no HTTP.
import type { Upstream } from "../../relay/upstream.ts";
import type { ControllerState } from "../state.ts";
import { HttpError } from "../../../protocol/client.ts";

export function localUpstream(s: Pick<ControllerState, "settings" | "health" | "work" | "heartbeats" | "scheduler" | "rungs" | "blobs" | "meters" | "states">): Upstream {
  const id = s.settings.controllerId;
  return {
    leases: async (n) => {
      if (s.health.failure) throw new Error(`store not writable: ${s.health.failure}`);
      const trials = await s.work.leaseTrials(id, n);
      return { trials, paused: await s.work.pausedOnly() };
    },
    heartbeat: async (req, seq) => s.heartbeats.absorb(id, req, seq, undefined),
    results: async (batch) => {
      if (s.health.failure) throw new Error(`store not writable: ${s.health.failure}`);
      const ack = await s.scheduler.recordResults(id, batch);
      s.meters?.resultBatch(ack); // discalc_result_batches_total, discalc_results_total
      return ack;
    },
    metrics: async (batch) => void (await s.scheduler.recordMetrics(id, batch)),
    rung: (ref, step, body, wait, gone) => s.rungs.decide(id, ref, step, body.reports, wait, gone, body.unstarted),
    putState: (q, deflated) => s.states.put(id, q, deflated),
    checkpoint: (ref, sha) => s.states.checkpoint(id, ref, sha),
    blob: async (sha) => {
      const bytes = await s.blobs.get(sha);
      if (!bytes) throw new HttpError(404, `no blob ${sha}`, "local");
      return bytes;
    },
  };
}
