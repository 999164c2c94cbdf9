// N worker threads, each running one trial at a time. Threads load the agent's own bundle
// (from memory) or, from a checkout, runtime/worker/thread.ts itself: the same entry either
// way. They share one compiled WebAssembly.Module of the core's kernels.
import type { Worker } from "node:worker_threads";
import type { TrialLease, TrialRef } from "../../protocol/messages.ts";
import { RUNG_CONTINUE, RUNG_PRUNE, RUNG_RELEASE, type ThreadData, type ThreadReply, type ThreadRequest } from "./thread.ts";
import { startModuleWorker } from "./source-worker.ts";

interface Slot {
  worker: Worker;
  stop: Int32Array;
  decision: Int32Array;
  lease: TrialLease | null;
  /** Blobs (datasets, experiment code) this thread already holds, by SHA-256. */
  blobs: Set<string>;
}

/** The code threads run: the node bundle's source, or this checkout's thread.ts. */
export type ThreadCode = { bundleSource: string } | "source";

// A function: inside the bundle import.meta.url is a data: URL, against which nothing resolves.
const sourceThread = () => new URL("./thread.ts", import.meta.url).href;

export interface PoolEvents {
  onReply(reply: ThreadReply, lease: TrialLease): void;
  onThreadError(err: Error, lease: TrialLease | null): void;
}

export class ThreadPool {
  private slots: Slot[] = [];

  constructor(size: number, module: WebAssembly.Module, code: ThreadCode, private readonly events: PoolEvents) {
    const url = code === "source" ? sourceThread() : `data:text/javascript;base64,${Buffer.from(code.bundleSource).toString("base64")}`;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn(module, url));
  }

  private spawn(module: WebAssembly.Module, url: string): Slot {
    const stopFlag = new SharedArrayBuffer(4);
    const decisionFlag = new SharedArrayBuffer(4);
    const workerData: ThreadData = { module, stopFlag, decisionFlag };
    const worker = startModuleWorker(url, "runThread", { workerData });
    const slot: Slot = { worker, stop: new Int32Array(stopFlag), decision: new Int32Array(decisionFlag), lease: null, blobs: new Set() };
    worker.on("message", (reply: ThreadReply) => {
      const lease = slot.lease!;
      if (reply.type === "done" || reply.type === "failed") slot.lease = null;
      this.events.onReply(reply, lease);
    });
    worker.on("error", (err) => {
      const lease = slot.lease;
      slot.lease = null;
      this.events.onThreadError(err, lease);
      // A crashed thread is replaced so the agent keeps serving.
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots[index] = this.spawn(module, url);
    });
    return slot;
  }

  get size(): number {
    return this.slots.length;
  }

  idle(): number {
    return this.slots.filter((s) => !s.lease).length;
  }

  running(): TrialLease[] {
    return this.slots.flatMap((s) => (s.lease ? [s.lease] : []));
  }

  /** Runs a lease on an idle thread; `blobs` holds every blob it names (datasets, experiment), by SHA-256. */
  run(lease: TrialLease, blobs: ReadonlyMap<string, Uint8Array>): void {
    const slot = this.slots.find((s) => !s.lease);
    if (!slot) throw new Error("no idle thread");
    for (const sha of leaseBlobs(lease)) {
      if (slot.blobs.has(sha)) continue;
      const bytes = blobs.get(sha);
      if (!bytes) throw new Error(`blob ${sha} of trial ${lease.trialId} was not fetched`);
      slot.worker.postMessage({ type: "blob", sha, bytes } satisfies ThreadRequest);
      slot.blobs.add(sha);
    }
    Atomics.store(slot.stop, 0, 0);
    slot.lease = lease;
    slot.worker.postMessage({ type: "run", lease } satisfies ThreadRequest);
  }

  /** Asks the threads running these trials to stop after their current step (a trial waiting at a rung at once). */
  stop(refs: TrialRef[] | "all"): void {
    for (const s of this.slots) {
      if (s.lease && (refs === "all" || refs.some((r) => r.trialId === s.lease!.trialId && r.attempt === s.lease!.attempt))) {
        Atomics.store(s.stop, 0, 1);
        Atomics.notify(s.decision, 0);
      }
    }
  }

  /** Answers a trial waiting at a rung. */
  decide(ref: TrialRef, answer: "continue" | "prune" | "release"): void {
    const s = this.slots.find((x) => x.lease && x.lease.trialId === ref.trialId && x.lease.attempt === ref.attempt);
    if (!s) return;
    Atomics.store(s.decision, 0, answer === "continue" ? RUNG_CONTINUE : answer === "prune" ? RUNG_PRUNE : RUNG_RELEASE);
    Atomics.notify(s.decision, 0);
  }

  /** Whether this trial is still on a thread (it may have been stopped or crashed meanwhile). */
  isRunning(ref: TrialRef): boolean {
    return this.slots.some((s) => s.lease && s.lease.trialId === ref.trialId && s.lease.attempt === ref.attempt);
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** Every blob a lease needs: its datasets and, for a researcher's experiment, its code. */
export function leaseBlobs(lease: TrialLease): string[] {
  return [...Object.values(lease.datasets), ...(lease.experiment.sha ? [lease.experiment.sha] : [])];
}
