import { test } from "node:test";
import assert from "node:assert/strict";
import { planHandBacks, tailCap } from "./hand-back.ts";

const t = (trialId: number) => ({ trialId, attempt: 1 });
const plain = (plan: Map<string, Array<{ trialId: number }>>) => Object.fromEntries([...plan].map(([id, refs]) => [id, refs.map((r) => r.trialId)]));

test("nothing is asked back without idle threads, or when what is on its way covers them", () => {
  const holders = [{ workerId: "a", reserve: [t(1), t(2)] }];
  assert.deepEqual(plain(planHandBacks(0, 0, holders)), {});
  assert.deepEqual(plain(planHandBacks(2, 2, holders)), {});
  assert.deepEqual(plain(planHandBacks(2, 5, holders)), {});
});

test("one trial per idle thread the supply leaves, from the end of a reserve", () => {
  assert.deepEqual(plain(planHandBacks(1, 0, [{ workerId: "a", reserve: [t(1), t(2), t(3)] }])), { a: [3] });
  assert.deepEqual(plain(planHandBacks(3, 1, [{ workerId: "a", reserve: [t(1), t(2), t(3)] }])), { a: [3, 2] });
});

test("the largest reserve gives first, so reserves even out; ties go to the first listed", () => {
  const holders = [
    { workerId: "a", reserve: [t(1)] },
    { workerId: "b", reserve: [t(2), t(3), t(4)] },
    { workerId: "c", reserve: [t(5), t(6)] },
  ];
  assert.deepEqual(plain(planHandBacks(1, 0, holders)), { b: [4] });
  // b 3 → 2 (ties with c: b first) → b 1, c 2 → c 1 → all at 1: a first.
  assert.deepEqual(plain(planHandBacks(4, 0, holders)), { b: [4, 3], c: [6], a: [1] });
});

test("never more than the reserves hold", () => {
  assert.deepEqual(plain(planHandBacks(10, 0, [{ workerId: "a", reserve: [t(1)] }, { workerId: "b", reserve: [] }])), { a: [1] });
  assert.deepEqual(plain(planHandBacks(4, 0, [])), {});
});

test("the holders' lists are not changed", () => {
  const reserve = [t(1), t(2)];
  planHandBacks(2, 0, [{ workerId: "a", reserve }]);
  assert.equal(reserve.length, 2);
});

test("in the tail a worker gets trials for its idle threads only; otherwise what it asked", () => {
  assert.equal(tailCap(4, 1, true), 1);
  assert.equal(tailCap(4, 0, true), 0);
  assert.equal(tailCap(1, 3, true), 1);
  assert.equal(tailCap(4, -2, true), 0);
  assert.equal(tailCap(4, 0, false), 4);
});
