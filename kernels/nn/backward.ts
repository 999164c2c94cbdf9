// Reverse-mode differentiation over the tape: the nodes reachable from the output, visited
// from the latest to the earliest (a topological order that depends only on the program),
// each turning its output's gradient into its inputs'. Gradients of the same tensor are
// summed in visiting order. Leaves that require a gradient accumulate into `.grad`; the rest
// of the backward pass's tensors are freed when it ends.
import { defineTensorOps, type Tensor, type TapeNode } from "./tensor.ts";
import { add } from "./ops-elementwise.ts";
import { sameShape } from "./shape.ts";

export function backward(output: Tensor, seed?: Tensor): void {
  const e = output.check("backward").engine;
  if (!output.requiresGrad) throw new Error("backward: the tensor does not require a gradient (no parameter with requiresGrad led to it, or it was made under noGrad)");
  if (!seed && output.size !== 1) throw new RangeError(`backward: a gradient is needed for a tensor of ${output.size} elements (call it on a scalar loss)`);
  const nodes = reachableNodes(output);
  // The pass's bookkeeping lives in fields of the tensors it touches (an op output's pending
  // gradient, a gradient tensor's hold count), not in Maps: a small model's step runs a
  // backward pass of a dozen nodes thousands of times a second.
  try {
    e.tidy(() => e.noGrad(() => runNodes(nodes, output, seed)));
  } finally {
    for (const node of nodes) node.output.pendingGrad = null;
    if (seed) seed.holds = 0;
  }
}

function runNodes(nodes: readonly TapeNode[], output: Tensor, seed: Tensor | undefined): void {
  const e = output.engine;
  let first = seed?.check("backward");
  if (!first) {
    first = e.make(output.shape);
    e.k.fillF32(first.ptr, 1, 1);
    first.unitSeed = true;
  }
  // A caller's seed is held once more than its uses: no node may take it as its own to write into.
  first.holds = seed ? 2 : 1;
  output.pendingGrad = first;
  for (const node of nodes) {
    const out = node.output;
    const g = out.pendingGrad;
    if (!g) continue;
    out.pendingGrad = null;
    // Its own scope: the temporaries of this gradient are freed before the next node runs.
    const scope = e.openScope();
    let inputGrads: (Tensor | null)[];
    try {
      inputGrads = node.backward(g);
    } catch (err) {
      e.endScope(scope, undefined);
      throw err;
    }
    const mark = e.nextReturnMark();
    for (const gi of inputGrads) {
      if (!gi) continue;
      gi.returnMark = mark;
      gi.holds++;
    }
    e.endScopeMarked(scope, mark);
    const inputs = node.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const gi = inputGrads[i];
      if (!gi || !input.requiresGrad) continue;
      if (!input.creator) {
        // A gradient made for this leaf alone becomes its .grad as is (no 0 + g copy).
        if (!input.grad && gi.holds === 1 && gi !== seed && e.inInnermostScope(gi) && sameShape(gi.shape, input.shape)) input.grad = e.keep(gi);
        else accumulateLeaf(input, gi);
        continue;
      }
      const prev = input.pendingGrad;
      const next = prev ? add(prev, gi) : gi;
      input.pendingGrad = next;
      next.holds++;
      if (prev) drop(prev, seed);
    }
    for (const gi of inputGrads) if (gi) drop(gi, seed);
    drop(g, seed);
  }
}

/**
 * Lets go of one hold on a gradient tensor; at none it is freed (unless it is the caller's seed
 * or not this pass's own). Holds count how many pending gradients point at a tensor: a backward
 * may pass its gradient on as is. A module function, not a closure per pass.
 */
function drop(t: Tensor, seed: Tensor | undefined): void {
  if (--t.holds > 0) return;
  t.holds = 0;
  if (t !== seed && t.engine.inInnermostScope(t)) t.dispose();
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  const e = leaf.engine;
  if (leaf.grad) {
    e.k.axpy(leaf.grad.ptr, g.ptr, leaf.size, 1);
    return;
  }
  // A copy (0 + g): g may be another tensor's gradient too, and it is freed with the pass.
  const grad = e.make(leaf.shape, true);
  e.k.fillF32(grad.ptr, grad.size, 0);
  e.k.axpy(grad.ptr, g.ptr, leaf.size, 1);
  leaf.grad = grad;
}

let passes = 0;

/** Nodes reachable from `output`, latest first (each node knows the tensor it made). */
function reachableNodes(output: Tensor): TapeNode[] {
  const pass = ++passes;
  const found: TapeNode[] = [];
  const stack = [output];
  while (stack.length > 0) {
    const node = stack.pop()!.creator;
    if (!node || node.visited === pass) continue;
    node.visited = pass;
    found.push(node);
    for (const input of node.inputs) {
      input.check("backward");
      if (input.requiresGrad) stack.push(input);
    }
  }
  return found.sort((a, b) => b.id - a.id);
}

defineTensorOps({ backward });
