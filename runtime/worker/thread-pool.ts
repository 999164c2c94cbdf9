// N worker threads, each running a chunk of trials at a time, one after another (a chunk of one
// unless trials are tiny: the agent sizes them). Threads load the agent's own bundle (from
// memory) or, from a checkout, runtime/worker/thread.ts itself: the same entry either way.
// They share one compiled WebAssembly.Module of the core's kernels.
import type { Worker } from "node:worker_threads";
import type { UnsignedLease, TrialRef } from "../../protocol/messages.ts";
import { MAX_CHUNK, nextTrialMs } from "../flow/chunk-size.ts";
import {
  RUNG_CONTINUE, RUNG_PRUNE, RUNG_RELEASE, CHECKPOINT_ASKED, CHECKPOINT_USED, type ThreadData, type ThreadMessage, type ThreadReply, type ThreadRequest,
} from "./thread.ts";
import { startModuleWorker } from "./source-worker.ts";
import { trialKey as ref } from "../../protocol/routes.ts";

interface Slot {
  worker: Worker;
  /** Per trial of the chunk: non-zero asks it to stop, or not to start. */
  stops: Int32Array;
  /** The chunk position the thread runs now (its ends may still wait in its outbox). */
  position: Int32Array;
  /** It crashed: whatever it still posts is ignored (its trials were accounted for). */
  dead: boolean;
  decision: Int32Array;
  /** ThreadData.checkpointFlags: asked now, and whether the running trial checkpoints. */
  checkpoints: Int32Array;
  /** The chunk the thread holds, in the order it runs them. */
  chunk: UnsignedLease[];
  /** How many of the chunk have ended: chunk[ended] runs now. */
  ended: number;
  /** Blobs (datasets, experiment code) this thread already holds, by SHA-256. */
  blobs: Set<string>;
}

/** The code threads run: the node bundle's source, or this checkout's thread.ts. */
export type ThreadCode = { bundleSource: string } | "source";

// A function: inside the bundle import.meta.url is a data: URL, against which nothing resolves.
const sourceThread = () => new URL("./thread.ts", import.meta.url).href;

export interface PoolEvents {
  onReply(reply: Exclude<ThreadReply, { type: "returned" | "chunk" }>, lease: UnsignedLease): void;
  /** A chunk ran long and gave back the trials it had not started, in order: run them elsewhere, first. */
  onReturned(leases: UnsignedLease[]): void;
  /** A thread died: the trial it ran (if any), and the trials of its chunk it had not started. */
  onThreadError(err: Error, running: UnsignedLease | null, unstarted: UnsignedLease[]): void;
}

const ends = new Set<ThreadReply["type"]>(["done", "failed", "skipped"]);

export class ThreadPool {
  private slots: Slot[] = [];
  private trialMsBySweep = new Map<number, number>();

  /**
   * A trial's recent time on a thread, in ms, for a sweep (a moving average over its chunks, as
   * the threads time them; undefined until one ends): how the agent sizes chunks.
   */
  trialMs(sweepId: number): number | undefined {
    return this.trialMsBySweep.get(sweepId);
  }

  /** trialMs() of every sweep that has one. */
  trialTimes(): ReadonlyMap<number, number> {
    return this.trialMsBySweep;
  }

  private noteChunk(sweepId: number, ms: number): void {
    const was = this.trialMsBySweep.get(sweepId);
    this.trialMsBySweep.set(sweepId, nextTrialMs(was, ms));
  }

  constructor(
    size: number, module: WebAssembly.Module, code: ThreadCode, private readonly events: PoolEvents,
    private readonly options: Pick<ThreadData, "reportEveryMs" | "chunkReturnMs" | "maxStateBytes" | "checkpointIntervalMs"> = {},
  ) {
    const url = code === "source" ? sourceThread() : `data:text/javascript;base64,${Buffer.from(code.bundleSource).toString("base64")}`;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn(module, url));
  }

  private spawn(module: WebAssembly.Module, url: string): Slot {
    const stopFlags = new SharedArrayBuffer(4 * MAX_CHUNK);
    const positionFlag = new SharedArrayBuffer(4);
    const decisionFlag = new SharedArrayBuffer(4);
    const checkpointFlags = new SharedArrayBuffer(8);
    const workerData: ThreadData = { module, stopFlags, positionFlag, decisionFlag, checkpointFlags, ...this.options };
    const worker = startModuleWorker(url, "runThread", { workerData });
    const slot: Slot = {
      worker, stops: new Int32Array(stopFlags), position: new Int32Array(positionFlag), dead: false,
      decision: new Int32Array(decisionFlag), checkpoints: new Int32Array(checkpointFlags), chunk: [], ended: 0, blobs: new Set(),
    };
    worker.on("message", (replies: ThreadMessage) => {
      // Messages posted just before a crash may arrive after its error event.
      if (slot.dead) return;
      // Timings first: the chunk's last end frees the thread, and the agent sizes the next chunk at once.
      for (const reply of replies) if (reply.type === "chunk") this.noteChunk(reply.sweepId, reply.trialMs);
      for (const reply of replies) {
        if (reply.type === "chunk") continue;
        if (reply.type === "returned") {
          // Those asked to stop meanwhile end here, skipped; the others go back.
          const rest = slot.chunk.slice(reply.from);
          const stopped = rest.filter((_, i) => Atomics.load(slot.stops, reply.from + i) !== 0);
          slot.chunk = [];
          slot.ended = 0;
          for (const l of stopped) this.events.onReply({ type: "skipped", trialId: l.trialId, attempt: l.attempt }, l);
          this.events.onReturned(rest.filter((l) => !stopped.includes(l)));
          continue;
        }
        const lease = slot.chunk[slot.ended];
        if (!lease) return;
        if (ends.has(reply.type)) slot.ended++;
        if (slot.ended === slot.chunk.length) {
          slot.chunk = [];
          slot.ended = 0;
        }
        this.events.onReply(reply, lease);
      }
    });
    worker.on("error", (err) => {
      slot.dead = true;
      // The trial it ran is to blame; those before it whose ends had not come (lost with the
      // thread) and those after it run again elsewhere.
      const at = Math.max(slot.ended, Math.min(Atomics.load(slot.position, 0), slot.chunk.length - 1));
      const running = slot.chunk[at] ?? null;
      const unstarted = slot.chunk.slice(slot.ended).filter((l) => l !== running);
      slot.chunk = [];
      slot.ended = 0;
      this.events.onThreadError(err, running, unstarted);
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
    return this.slots.filter((s) => !s.chunk.length).length;
  }

  /** Every trial on a thread: running, or next in its chunk. */
  running(): UnsignedLease[] {
    return this.slots.flatMap((s) => s.chunk.slice(s.ended));
  }

  /** Runs a chunk of leases (at most MAX_CHUNK) on an idle thread; `blobs` holds every blob they name, by SHA-256. */
  run(leases: UnsignedLease | UnsignedLease[], blobs: ReadonlyMap<string, Uint8Array>, restores?: Record<string, Uint8Array>): void {
    const chunk = Array.isArray(leases) ? leases : [leases];
    if (!chunk.length || chunk.length > MAX_CHUNK) throw new Error(`a chunk holds 1 to ${MAX_CHUNK} trials, not ${chunk.length}`);
    if (chunk.some((l) => l.sweepId !== chunk[0]!.sweepId)) throw new Error("a chunk holds one sweep's trials");
    const slot = this.slots.find((s) => !s.chunk.length);
    if (!slot) throw new Error("no idle thread");
    for (const lease of chunk) {
      for (const sha of leaseBlobs(lease)) {
        if (slot.blobs.has(sha)) continue;
        const bytes = blobs.get(sha);
        if (!bytes) throw new Error(`blob ${sha} of trial ${lease.trialId} was not fetched`);
        slot.worker.postMessage({ type: "blob", sha, bytes } satisfies ThreadRequest);
        slot.blobs.add(sha);
      }
    }
    slot.stops.fill(0, 0, chunk.length);
    Atomics.store(slot.position, 0, 0);
    slot.chunk = chunk;
    slot.ended = 0;
    slot.worker.postMessage({ type: "run", leases: chunk, ...(restores && { restores }) } satisfies ThreadRequest);
  }

  /** Asks the threads holding these trials to stop them after their current step (a trial waiting at a rung at once), or not to start them. */
  stop(refs: TrialRef[] | "all"): void {
    const wanted = refs === "all" ? undefined : new Set(refs.map(ref));
    for (const s of this.slots) {
      for (let i = s.ended; i < s.chunk.length; i++) {
        if (wanted && !wanted.has(ref(s.chunk[i]!))) continue;
        Atomics.store(s.stops, i, 1);
        if (i === s.ended) Atomics.notify(s.decision, 0);
      }
    }
  }

  /**
   * Asks every running trial for a checkpoint now (ctx.checkpointDue turns true); returns those
   * that checkpoint (they asked checkpointDue or checkpointed in this attempt): the others
   * would never answer.
   */
  askCheckpoints(): UnsignedLease[] {
    const asked: UnsignedLease[] = [];
    for (const s of this.slots) {
      const running = s.chunk[s.ended];
      if (!running) continue;
      Atomics.store(s.checkpoints, CHECKPOINT_ASKED, 1);
      if (Atomics.load(s.checkpoints, CHECKPOINT_USED) !== 0) asked.push(running);
    }
    return asked;
  }

  /** Asks every thread not to start the rest of its chunk (they come back skipped): an agent that stops hands them back at once. */
  stopQueued(): void {
    for (const s of this.slots) {
      for (let i = Math.max(s.ended, Atomics.load(s.position, 0) + 1); i < s.chunk.length; i++) Atomics.store(s.stops, i, 1);
    }
  }

  /** Answers a trial waiting at a rung. */
  decide(r: TrialRef, answer: "continue" | "prune" | "release"): void {
    const s = this.slots.find((x) => x.chunk.length && ref(x.chunk[x.ended]!) === ref(r));
    if (!s) return;
    Atomics.store(s.decision, 0, answer === "continue" ? RUNG_CONTINUE : answer === "prune" ? RUNG_PRUNE : RUNG_RELEASE);
    Atomics.notify(s.decision, 0);
  }

  /** Whether this trial is still on a thread (it may have been stopped or crashed meanwhile). */
  isRunning(r: TrialRef): boolean {
    return this.slots.some((s) => s.chunk.slice(s.ended).some((l) => ref(l) === ref(r)));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** Every blob a lease needs: its datasets and, for a researcher's experiment, its code. */
export function leaseBlobs(lease: UnsignedLease): string[] {
  return [...Object.values(lease.datasets), ...(lease.experiment.sha ? [lease.experiment.sha] : [])];
}
