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
  e.tidy(() =>
    e.noGrad(() => {
      // Gradients of intermediates are freed as soon as nothing needs them (held counts how
      // many entries of `grads` point at a tensor: a backward may pass its gradient on as is).
      const grads = new Map<Tensor, Tensor>();
      const held = new Map<Tensor, number>();
      const hold = (t: Tensor) => held.set(t, (held.get(t) ?? 0) + 1);
      const drop = (t: Tensor) => {
        const n = (held.get(t) ?? 0) - 1;
        if (n > 0) return void held.set(t, n);
        held.delete(t);
        if (t !== seed && e.inInnermostScope(t)) t.dispose();
      };
      let first = seed?.check("backward");
      if (!first) {
        first = e.make(output.shape);
        e.k.fillF32(first.ptr, 1, 1);
      }
      grads.set(output, first);
      hold(first);
      for (const { node, output: out } of nodes) {
        const g = grads.get(out);
        if (!g) continue;
        grads.delete(out);
        // Its own scope: the temporaries of this gradient are freed before the next node runs.
        const inputGrads = e.tidy(() => node.backward(g));
        const made = inputGrads.filter((t): t is Tensor => t !== null);
        made.forEach(hold);
        node.inputs.forEach((input, i) => {
          const gi = inputGrads[i];
          if (!gi || !input.requiresGrad) return;
          if (!input.creator) {
            // A gradient made for this leaf alone becomes its .grad as is (no 0 + g copy).
            if (!input.grad && held.get(gi) === 1 && gi !== seed && e.inInnermostScope(gi) && sameShape(gi.shape, input.shape)) input.grad = e.keep(gi);
            else accumulateLeaf(input, gi);
            return;
          }
          const prev = grads.get(input);
          const next = prev ? add(prev, gi) : gi;
          grads.set(input, next);
          hold(next);
          if (prev) drop(prev);
        });
        made.forEach(drop);
        drop(g);
      }
    }),
  );
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

/** Nodes reachable from `output` with the tensor each made, latest first. */
function reachableNodes(output: Tensor): { node: TapeNode; output: Tensor }[] {
  const found = new Map<TapeNode, Tensor>();
  const stack = [output];
  while (stack.length > 0) {
    const t = stack.pop()!;
    const node = t.creator;
    if (!node || found.has(node)) continue;
    found.set(node, t);
    for (const input of node.inputs) {
      input.check("backward");
      if (input.requiresGrad) stack.push(input);
    }
  }
  return [...found].map(([node, out]) => ({ node, output: out })).sort((a, b) => b.node.id - a.node.id);
}

defineTensorOps({ backward });
