// What a relay needs from above. The controller's root relay implements it with direct
// calls into the scheduler; a relay daemon implements it over HTTP. One relay, two upstreams.
import type {
  LeasesResponse, HeartbeatRequest, HeartbeatResponse, ResultBatch, ResultAck, MetricsBatch, TrialRef, RungRequest,
} from "../../protocol/messages.ts";
import type { RungDecision } from "../../protocol/early-stopping.ts";

export interface Upstream {
  leases(n: number): Promise<LeasesResponse>;
  heartbeat(req: HeartbeatRequest, lastSeq: number, port: number | undefined): Promise<HeartbeatResponse>;
  results(batch: ResultBatch): Promise<ResultAck>;
  metrics(batch: MetricsBatch): Promise<void>;
  /** A trial at a rung: its reports stored and its stopping decision, waiting up to `waitMs` while open and the worker's request is there (`gone`). */
  rung(ref: TrialRef, step: number, body: RungRequest, waitMs: number, gone?: AbortSignal): Promise<RungDecision>;
  /** A blob's bytes, already checked against its SHA-256. */
  blob(sha: string): Promise<Uint8Array>;
  /** Bytes of bodies sent upstream before and after compression (HTTP upstreams only). */
  bytes?(): { raw: number; sent: number };
}
