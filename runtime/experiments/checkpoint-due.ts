// When a running trial should checkpoint: `ctx.checkpointDue(step)`'s decision, free of clocks
// and threads (the caller passes the time and the agent's request).

/** Without `checkpoint: { every }`, a trial checkpoints after about this much compute. */
export const DEFAULT_CHECKPOINT_MS = 30_000;

export interface CheckpointDueInput {
  step: number;
  /** The sweep's `checkpoint.every` (steps), if it names one. */
  every?: number;
  /** The step of the trial's last checkpoint (the restored one's, or none). */
  lastStep?: number;
  /** Compute time since the last checkpoint (or the trial's start), ms. */
  sinceMs: number;
  /** The agent asks for one now (SIGTERM: it hands the trial back after). */
  asked: boolean;
  intervalMs?: number;
}

export function checkpointDue(i: CheckpointDueInput): boolean {
  // Never twice at one step: the state would be the same.
  if (i.lastStep !== undefined && i.step <= i.lastStep) return false;
  if (i.asked) return true;
  // Step 0 is the start: nothing to keep yet.
  if (i.every !== undefined) return i.step > 0 && i.step % i.every === 0;
  return i.sinceMs >= (i.intervalMs ?? DEFAULT_CHECKPOINT_MS);
}
