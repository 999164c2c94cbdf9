// A relay daemon's upstream: the controller over HTTP, with the relay's identity cookie.
import type { Upstream } from "./upstream.ts";
import { putState, type ProtocolClient } from "../../protocol/client.ts";

export function httpUpstream(client: ProtocolClient, advertiseUrl?: string): Upstream {
  return {
    leases: (n) => client.call("leases", { query: { n } }),
    heartbeat: (req, seq, port) => client.call("heartbeat", { query: { seq, port: advertiseUrl ? undefined : port, url: advertiseUrl }, body: req, deflate: true }),
    results: (batch) => client.call("results", { body: batch, deflate: true }),
    metrics: async (batch) => void (await client.call("metrics", { body: batch, deflate: true })),
    // Aborted when the worker's socket goes away, so the controller drops its wait too.
    rung: (ref, step, body, wait, gone) => client.call("rung", {
      query: { trial: ref.trialId, attempt: ref.attempt, step, wait }, body,
      signal: gone ? AbortSignal.any([gone, AbortSignal.timeout(wait + 10_000)]) : undefined, timeoutMs: wait + 10_000,
    }),
    putState: (q, deflated) => putState(client, q, deflated),
    checkpoint: (ref, sha) => client.call("restore", { pathParams: { sha }, query: { trial: ref.trialId, attempt: ref.attempt }, timeoutMs: 120_000 }),
    blob: (sha) => client.fetchBlob(sha),
    bytes: () => ({ raw: client.rawBytesSent, sent: client.bytesSent }),
  };
}
