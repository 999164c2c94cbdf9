// A training step captured once and replayed (nn.graph), as torch.cuda.graph captures a CUDA
// graph: the step runs once as written, every kernel call it makes is recorded with its
// arguments, and replay() runs those calls again in order, with none of the work JavaScript does
// per op (shapes, the tape, scopes, allocation). A small model's step is a few dozen kernel
// calls of microseconds each, so that work is a large share of its time eagerly and next to
// none replayed (docs/benchmarks.md has the figures); the kernels and their order are the capture's, so a replay's bits are those of
// running the step again.
//
// What a replay cannot redo, it is told not to rely on:
//   - shapes and constants are the capture's: another batch size is another graph;
//   - inputs come from the same host arrays (nn.tensor's values, labels, indices), copied again
//     at each replay: refill them in place (`bx.set(...)`), do not make new ones;
//   - values JavaScript decides at each step (an optimiser's step count and learning rate, a
//     norm's clipping) are host steps that run again at replay (optim's step, clipGradNorm);
//   - reading values into JavaScript while capturing (item, data, stateOf) or writing them from
//     it (loadState, state dicts) is refused: read the outputs after replay();
//   - the blocks the capture allocated, and older ones it freed, are the graph's until dispose():
//     no other tensor gets one, so the tensors it returned and the gradients it left stay where a
//     replay writes them; tensors it reads that were made before (parameters, optimiser state,
//     data) must outlive it.
import { BlockPool } from "./block-allocator.ts";
import { forEachTensor, type Engine, type Tensor } from "./tensor.ts";
import { compileReplay, loopReplay, type StepEntry } from "./step-recorder.ts";

/** Replays run by the loop before the graph's calls become generated code. */
const COMPILE_AFTER = 16;

export class Graph<T> {
  private run: (() => void) | null;
  private entries: StepEntry[] = [];
  private replays = 0;
  /** Entries a replay runs (kernel calls, host copies, host steps). */
  readonly length: number;
  private readonly pool = new BlockPool();
  private readonly kept: Tensor[] = [];
  /** What fn returned at the capture; each replay writes its values again. */
  readonly outputs: T;

  constructor(private readonly engine: Engine, fn: () => T) {
    if (typeof fn !== "function") throw new TypeError("graph: needs a function, the step to capture");
    if (engine.capturing) throw new Error("graph: a step is being captured already (graphs do not nest)");
    const entries: StepEntry[] = [];
    engine.allocator.beginCapture(this.pool);
    engine.startRecording(entries);
    let outputs: T;
    try {
      outputs = engine.tidy(fn);
    } catch (err) {
      engine.stopRecording();
      engine.allocator.endCapture();
      engine.allocator.releasePool(this.pool);
      throw err;
    }
    engine.stopRecording();
    engine.allocator.endCapture();
    forEachTensor(outputs, (t) => {
      // Only what the capture made is the graph's: a parameter or input it returns stays the caller's.
      if (!this.pool.owned.has(t.ptr)) return;
      engine.keep(t);
      // Its tape went with the capture's scope: a backward from it would find freed tensors.
      t.creator = null;
      this.kept.push(t);
    });
    this.outputs = outputs;
    this.length = entries.length;
    this.entries = entries;
    this.run = loopReplay(entries);
  }

  /** Runs the captured step again; returns its outputs (the same tensors, with this step's values). */
  replay(): T {
    const run = this.run;
    if (!run) throw new Error("graph.replay: the graph was disposed");
    if (this.engine.capturing) throw new Error("graph.replay: cannot replay while another step is being captured");
    // The calls as generated code once the graph has shown it is replayed (most steps of a run).
    if (++this.replays === COMPILE_AFTER) {
      this.run = compileReplay(this.entries);
      this.entries = []; // the generated function holds what it calls
    }
    run();
    return this.outputs;
  }

  /** Frees the outputs and gives the graph's blocks back (those still held by live tensors when those are freed). */
  dispose(): void {
    if (!this.run) return;
    this.run = null;
    for (const t of this.kept) t.dispose();
    this.engine.allocator.releasePool(this.pool);
  }
}
