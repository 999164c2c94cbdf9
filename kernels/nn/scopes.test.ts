// Tidy scopes as ctx.nn keeps them (one array of tensors, a depth per tensor): what each
// scope frees and hands up, through nesting, keep, dispose, errors and the backward pass.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "../index.ts";
import { createNN } from "./nn.ts";

const nn = createNN(instantiateKernels(await compileKernels()), 3);
const live = () => nn.memory().tensors;

test("a tensor returned through two nested tidies lives in the outermost one and is freed when it ends", () => {
  const before = live();
  let inner!: ReturnType<typeof nn.zeros>;
  nn.tidy(() => {
    const fromMiddle = nn.tidy(() => {
      inner = nn.tidy(() => {
        nn.zeros([3]); // freed with the innermost scope
        return nn.ones([2]);
      });
      nn.zeros([4]); // freed with the middle scope
      return inner;
    });
    assert.equal(fromMiddle, inner);
    assert.equal(inner.isDisposed, false);
    assert.equal(live(), before + 1, "only the returned tensor is left");
  });
  assert.equal(inner.isDisposed, true);
  assert.equal(live(), before);
});

test("results in arrays and plain objects survive; kept and disposed tensors are not freed twice", () => {
  const before = live();
  const out = nn.tidy(() => {
    const a = nn.ones([1]), b = nn.ones([2]), c = nn.ones([3]);
    const kept = nn.keep(nn.ones([4]));
    const gone = nn.ones([5]);
    gone.dispose();
    return { pair: [a, b], c, kept, n: 1 };
  });
  assert.deepEqual([out.pair[0]!, out.pair[1]!, out.c, out.kept].map((t) => t.isDisposed), [false, false, false, false]);
  assert.equal(live(), before + 4);
  for (const t of [...out.pair, out.c, out.kept]) t.dispose();
  assert.equal(live(), before);
});

test("an error inside a nested tidy frees that scope's tensors and leaves the enclosing scope's alone", () => {
  const before = live();
  nn.tidy(() => {
    const outer = nn.ones([2]);
    assert.throws(() => nn.tidy(() => {
      nn.ones([7]);
      nn.tidy(() => nn.ones([8]));
      throw new Error("inside");
    }), /inside/);
    assert.equal(live(), before + 1);
    assert.equal(outer.isDisposed, false);
    // The scope stack is whole again: what is made now belongs to this scope and is freed with it.
    nn.ones([9]);
    assert.equal(live(), before + 2);
  });
  assert.equal(live(), before);
});

test("tidy refuses an async fn and frees what it made; outside any tidy a tensor lives until disposed", async () => {
  const before = live();
  assert.throws(() => nn.tidy((async () => nn.ones([2])) as unknown as () => void), /must be synchronous/);
  assert.equal(live(), before);
  const loose = nn.ones([3]);
  nn.tidy(() => void nn.ones([1]));
  assert.equal(loose.isDisposed, false);
  const handedOut = nn.tidy(() => nn.ones([1]));
  assert.equal(handedOut.isDisposed, false, "a top-level tidy hands its result to the caller");
  handedOut.dispose();
  loose.dispose();
  assert.equal(live(), before);
});

test("backward passes inside nested tidies leave only the parameters' gradients; twice accumulates", () => {
  const w = nn.tensor([0.5, -1, 2], [3], { requiresGrad: true });
  const before = live();
  for (let i = 0; i < 2; i++) {
    nn.tidy(() => nn.tidy(() => {
      const y = w.mul(w).tanh().add(w.exp()).sum();
      y.backward();
    }));
  }
  // One gradient tensor (w.grad), summed over the two passes: 2·(2w(1 − tanh²(w²)) + eˣ).
  assert.equal(live(), before + 1);
  const g = w.grad!.data();
  const expect = [0.5, -1, 2].map((x) => 2 * (2 * x * (1 - Math.tanh(x * x) ** 2) + Math.exp(x)));
  g.forEach((v, i) => assert.ok(Math.abs(v - expect[i]!) < 1e-4 * Math.max(1, Math.abs(expect[i]!)), `${v} vs ${expect[i]}`));
  w.dispose();
  assert.equal(live(), before - 1);
});
