// What nn.graph records of a step and how a replay runs it. A step is recorded as a list of
// entries: kernel calls with their arguments (through the kernels below, which record each call
// into the active list as they make it) and host functions (copies from host arrays, optimiser
// steps). A replay is one generated function that makes those calls with their arguments as
// literals, so V8 calls each kernel directly, as hand-written code would. Until a graph has been
// replayed a few times, and where code cannot be generated (a page whose policy forbids it), a
// loop over the entries makes the same calls: a short trial does not pay for generating code.
import type { KernelExports } from "../exports.ts";

/** One entry of a step: a kernel call and its arguments, or a host function (args null); `use` takes a call's result at each replay. */
export interface StepEntry {
  fn: (...args: number[]) => unknown;
  args: number[] | null;
  use?: (result: number) => void;
}

/** The list the recording kernels append to (one thread captures one step at a time). */
let active: StepEntry[] | null = null;

/** Starts (a list) or stops (null) recording. */
export function setActiveRecording(entries: StepEntry[] | null): void {
  active = entries;
}

const recordingByKernels = new WeakMap<KernelExports, KernelExports>();

/** The kernels, each call also appended to the active list with its arguments (made once per instance). */
export function recordingKernels(kernels: KernelExports): KernelExports {
  let out = recordingByKernels.get(kernels);
  if (out) return out;
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(kernels)) {
    if (typeof value !== "function") {
      wrapped[name] = value;
      continue;
    }
    const fn = value as (...args: number[]) => unknown;
    wrapped[name] = (...args: number[]) => {
      active?.push({ fn, args });
      return fn(...args);
    };
  }
  out = wrapped as unknown as KernelExports;
  recordingByKernels.set(kernels, out);
  return out;
}

/** A number as a JavaScript literal that reads back to the same value (−0 included). */
const literal = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/** The replay of `entries` as a loop over them: no code to generate, for a graph replayed a few times. */
export function loopReplay(entries: readonly StepEntry[]): () => void {
  return () => {
    for (const e of entries) {
      const r = e.args ? e.fn(...e.args) : e.fn();
      e.use?.(r as number);
    }
  };
}

/** The replay of `entries`: one function making every call in order. */
export function compileReplay(entries: readonly StepEntry[]): () => void {
  const fns = entries.map((e) => e.fn);
  const uses = entries.map((e) => e.use);
  const lines = entries.map((e, i) => {
    const call = `f${i}(${e.args ? e.args.map(literal).join(",") : ""})`;
    return e.use ? `u${i}(${call});` : `${call};`;
  });
  const locals = entries.map((e, i) => `f${i} = f[${i}]${e.use ? `, u${i} = u[${i}]` : ""}`);
  try {
    // One `const` per entry, then a body of direct calls: no array reads, no spread.
    const make = new Function("f", "u", `"use strict";\n${locals.length ? `const ${locals.join(",\n")};\n` : ""}return function replay() {\n${lines.join("\n")}\n};`);
    return make(fns, uses) as () => void;
  } catch {
    return loopReplay(entries);
  }
}
