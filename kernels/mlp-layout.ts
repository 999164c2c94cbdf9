// Where an MLP's tensors live in wasm memory. Parameters are one contiguous block
// [W0, b0, W1, b1, …] (Wl is in×out row-major), and gradients and optimizer moments
// mirror it, so one optimizer call updates everything and the weight hash is one range.
import type { KernelInstance } from "./instance.ts";

export interface LayerLayout {
  inputs: number;
  outputs: number;
  /** Offsets of W and b inside the parameter block, in floats. */
  wOffset: number;
  bOffset: number;
  /** Activations (post-activation; logits for the last layer): rows × outputs. */
  act: number;
}

export interface MlpLayout {
  sizes: number[];
  layers: LayerLayout[];
  paramCount: number;
  params: number;
  grads: number;
  /** First and second moments (Adam) or velocity (momentum, in `moment1`). */
  moment1: number;
  moment2: number;
  /** Rows the batch buffers hold. */
  rows: number;
  input: number;
  labels: number;
  /** Two ping-pong gradient buffers, rows × widest layer. */
  gradA: number;
  gradB: number;
}

/** A wasm32 instance addresses at most 4 GiB; keep room for the dataset and packing buffers. */
export const WASM_MEMORY_LIMIT = 4 * 1024 ** 3;

/** Bytes the network's buffers take (parameters, gradients, moments, batch activations). */
export function mlpBytes(sizes: number[], rows: number, moments: 0 | 1 | 2): number {
  let params = 0;
  let activations = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    params += sizes[l]! * sizes[l + 1]! + sizes[l + 1]!;
    activations += rows * sizes[l + 1]!;
  }
  const widest = Math.max(...sizes);
  return 4 * (params * (2 + moments) + activations + rows * (sizes[0]! + 1 + 2 * widest));
}

export function layoutMlp(inst: KernelInstance, sizes: number[], rows: number, moments: 0 | 1 | 2): MlpLayout {
  const layers: LayerLayout[] = [];
  let paramCount = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l]!, outputs = sizes[l + 1]!;
    const wOffset = paramCount;
    paramCount += inputs * outputs;
    const bOffset = paramCount;
    paramCount += outputs;
    layers.push({ inputs, outputs, wOffset, bOffset, act: inst.allocF32(rows * outputs) });
  }
  const widest = Math.max(...sizes);
  return {
    sizes, layers, paramCount, rows,
    params: inst.allocF32(paramCount),
    grads: inst.allocF32(paramCount),
    moment1: moments >= 1 ? inst.allocF32(paramCount) : 0,
    moment2: moments >= 2 ? inst.allocF32(paramCount) : 0,
    input: inst.allocF32(rows * sizes[0]!),
    labels: inst.allocI32(rows),
    gradA: inst.allocF32(rows * widest),
    gradB: inst.allocF32(rows * widest),
  };
}

/** Byte address of a float offset inside a block. */
export const at = (block: number, floats: number) => block + floats * 4;
