// What a relay needs from above. The controller's root relay implements it with direct
// calls into the scheduler; a relay daemon implements it over HTTP. One relay, two upstreams.
import type {
  LeasesResponse, HeartbeatRequest, HeartbeatResponse, ResultBatch, ResultAck, MetricsBatch, TrialRef, RungRequest, StateKind, StateStored,
} from "../../protocol/messages.ts";
import type { RungDecision } from "../../protocol/early-stopping.ts";

export interface Upstream {
  leases(n: number): Promise<LeasesResponse>;
  heartbeat(req: HeartbeatRequest, lastSeq: number, port: number | undefined): Promise<HeartbeatResponse>;
  results(batch: ResultBatch): Promise<ResultAck>;
  metrics(batch: MetricsBatch): Promise<void>;
  /** A trial at a rung: its reports stored and its stopping decision, waiting up to `waitMs` while open and the worker's request is there (`gone`). */
  rung(ref: TrialRef, step: number, body: RungRequest, waitMs: number, gone?: AbortSignal): Promise<RungDecision>;
  /**
   * Stores a running attempt's state (deflated, as it travels): refused with a StateRefusal (or
   * an HttpError of the same status, from a controller over HTTP).
   */
  putState(q: { trial: number; attempt: number; step: number; sha: string; kind: StateKind }, deflated: Uint8Array): Promise<StateStored>;
  /** A trial's stored checkpoint by its SHA-256, deflated, for the attempt that resumes from it. */
  checkpoint(ref: TrialRef, sha: string): Promise<Uint8Array>;
  /** A blob's bytes, already checked against its SHA-256. */
  blob(sha: string): Promise<Uint8Array>;
  /** Bytes of bodies sent upstream before and after compression (HTTP upstreams only). */
  bytes?(): { raw: number; sent: number };
}
