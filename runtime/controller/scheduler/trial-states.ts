// The controller's side of trial states: stores a running attempt's checkpoint or final state
// (only from the relay holding that attempt, only bytes whose SHA-256 is the one named, within
// --max-state-bytes) and serves a checkpoint to the attempt that resumes from it. What is kept
// afterwards (`keep`, a checkpoint dropped when its trial ends) is the scheduler's.
import { createHash } from "node:crypto";
import type { Store } from "../store/store.ts";
import type { Scheduler } from "./scheduler.ts";
import type { StateKind, StateStored, TrialRef } from "../../../protocol/messages.ts";
import { inflateCapped, BodyTooLargeError, BadEncodingError } from "../../../protocol/codec.ts";
import { StateRefusal } from "../../relay/state-refusal.ts";

/** --max-state-bytes unless given: the largest state (raw bytes) stored. */
export const DEFAULT_MAX_STATE_BYTES = 64 * 1024 * 1024;

export interface StateUpload { trial: number; attempt: number; step: number; sha: string; kind: StateKind }

export class TrialStates {
  constructor(private readonly store: Store, private readonly scheduler: Scheduler, readonly maxStateBytes = DEFAULT_MAX_STATE_BYTES) {}

  /** Stores a state a relay sent up (deflated, as it travels). */
  async put(relayId: string, q: StateUpload, deflated: Uint8Array): Promise<StateStored> {
    let raw: Uint8Array;
    try {
      raw = inflateCapped(deflated, this.maxStateBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        throw new StateRefusal(413, `trial ${q.trial}: state exceeds the controller's cap of ${this.maxStateBytes} bytes (--max-state-bytes)`);
      }
      if (err instanceof BadEncodingError) throw new StateRefusal(400, `trial ${q.trial}: ${err.message}`);
      throw err;
    }
    const sha = createHash("sha256").update(raw).digest("hex");
    if (sha !== q.sha) throw new StateRefusal(400, `trial ${q.trial}: state bytes have SHA-256 ${sha}, not the ${q.sha} named: refused`);
    const now = this.scheduler.now();
    return this.store.tx(async () => {
      const trial = await this.heldTrial(relayId, q);
      if (q.kind === "final") {
        const { keep, continues } = await this.scheduler.sweepInfo(trial.sweep_id);
        // A continuing sweep's member may be a parent: its state is kept until settleStates decides.
        if ("top" in keep && keep.top === 0 && !continues) return { stored: false, bytes: raw.byteLength };
      }
      // Stored as it came (deflated at the store's level): checked above, not deflated again.
      await this.store.putTrialState({ trialId: q.trial, attempt: q.attempt, kind: q.kind, step: q.step, sha256: sha, bytes: raw, createdAt: now, deflated });
      return { stored: true, bytes: raw.byteLength };
    });
  }

  /**
   * The state an attempt this relay holds resumes from, as stored (deflated): the trial's own
   * checkpoint, or (a population-based training member) its parent's kept final state, when
   * it has this SHA-256.
   */
  async checkpoint(relayId: string, ref: TrialRef, sha: string): Promise<Uint8Array> {
    const trial = await this.heldTrial(relayId, { trial: ref.trialId, attempt: ref.attempt });
    const own = await this.store.storedTrialState(trial.id, "checkpoint");
    if (own?.sha256 === sha) return own.data;
    const parent = (await this.store.lineageOfTrial(trial.id))?.parent_trial_id ?? null;
    const start = parent === null ? undefined : await this.store.storedTrialState(parent, "final");
    if (start?.sha256 === sha) return start.data;
    throw new StateRefusal(404, `trial ${ref.trialId} has no stored checkpoint ${sha}`);
  }

  private async heldTrial(relayId: string, q: { trial: number; attempt: number }) {
    const attempt = await this.store.attempt(q.trial, q.attempt);
    const trial = await this.store.trial(q.trial);
    if (!attempt || !trial || attempt.relay_id !== relayId || attempt.outcome !== null || trial.state !== "leased" || trial.attempts !== q.attempt) {
      throw new StateRefusal(409, `trial ${q.trial} attempt ${q.attempt} is not running under this relay`);
    }
    return trial;
  }
}
