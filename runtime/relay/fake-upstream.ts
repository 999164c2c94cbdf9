// For the relay's in-process tests: a controller with `n` trials to lease, that records the
// lease requests and heartbeats it gets, and stores every result.
import type { Upstream } from "./upstream.ts";
import type { HeartbeatRequest, TrialLease } from "../../protocol/messages.ts";

export const fakeLease = (trialId: number): TrialLease => ({
  trialId, attempt: 1, sweepId: 1, experiment: { name: "x", sha: null }, config: {}, params: {}, seed: 0, datasets: {}, deadline: Date.now() + 60_000,
  // Relays carry the controller's signature without checking it: a placeholder of its shape.
  manifest: { bundleSha: "0".repeat(64), expiresAt: Date.now() + 3_600_000, proof: [], signature: "A".repeat(86) },
});

export function fakeUpstream(n: number) {
  const left = Array.from({ length: n }, (_, i) => fakeLease(i + 1));
  const heartbeats: HeartbeatRequest[] = [];
  /** How many trials each lease request asked for. */
  const leaseRequests: number[] = [];
  const upstream: Upstream = {
    leases: async (k) => {
      leaseRequests.push(k);
      return { trials: left.splice(0, k), paused: false };
    },
    heartbeat: async (req) => {
      heartbeats.push(req);
      return { commands: [], revoked: [], bundleSha: "0".repeat(64), pausedSweeps: [], identityTokens: [] };
    },
    results: async (b) => ({ statuses: b.results.map(() => "stored" as const) }),
    metrics: async () => {},
    rung: async () => ({ decision: "continue" }) as never,
    putState: async (q) => ({ stored: true, bytes: q.step }),
    checkpoint: async () => new Uint8Array(),
    blob: async () => new Uint8Array(),
  };
  return { upstream, heartbeats, leaseRequests };
}
