// N worker threads, each running one trial at a time. Threads load the agent's own bundle
// (from memory) and share one compiled WebAssembly.Module.
import { Worker } from "node:worker_threads";
import type { TrialLease, TrialRef } from "../../protocol/messages.ts";
import type { ThreadData, ThreadReply, ThreadRequest } from "./thread.ts";

interface Slot {
  worker: Worker;
  stop: Int32Array;
  lease: TrialLease | null;
  datasets: Set<string>;
}

export interface PoolEvents {
  onReply(reply: ThreadReply, lease: TrialLease): void;
  onThreadError(err: Error, lease: TrialLease | null): void;
}

export class ThreadPool {
  private slots: Slot[] = [];

  constructor(size: number, module: WebAssembly.Module, bundleSource: string, private readonly events: PoolEvents) {
    const url = `data:text/javascript;base64,${Buffer.from(bundleSource).toString("base64")}`;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn(module, url));
  }

  private spawn(module: WebAssembly.Module, url: string): Slot {
    const stopFlag = new SharedArrayBuffer(4);
    const workerData: ThreadData = { module, stopFlag };
    const worker = new Worker(`import(${JSON.stringify(url)}).then((m) => m.runThread())`, { eval: true, workerData });
    const slot: Slot = { worker, stop: new Int32Array(stopFlag), lease: null, datasets: new Set() };
    worker.on("message", (reply: ThreadReply) => {
      const lease = slot.lease!;
      if (reply.type !== "epoch") slot.lease = null;
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

  run(lease: TrialLease, datasets: Map<string, Uint8Array>): void {
    const slot = this.slots.find((s) => !s.lease);
    if (!slot) throw new Error("no idle thread");
    for (const [name, sha] of Object.entries(lease.datasets)) {
      if (!slot.datasets.has(sha)) {
        const bytes = datasets.get(sha)!;
        slot.worker.postMessage({ type: "dataset", sha, name, bytes } satisfies ThreadRequest);
        slot.datasets.add(sha);
      }
    }
    Atomics.store(slot.stop, 0, 0);
    slot.lease = lease;
    slot.worker.postMessage({ type: "run", lease } satisfies ThreadRequest);
  }

  /** Asks the threads running these trials to stop after their current step. */
  stop(refs: TrialRef[] | "all"): void {
    for (const s of this.slots) {
      if (s.lease && (refs === "all" || refs.some((r) => r.trialId === s.lease!.trialId && r.attempt === s.lease!.attempt))) {
        Atomics.store(s.stop, 0, 1);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
