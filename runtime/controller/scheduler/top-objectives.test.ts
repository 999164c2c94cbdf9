import { test } from "node:test";
import assert from "node:assert/strict";
import { TopObjectives } from "./top-objectives.ts";

test("the K best objectives: read once, then kept by each result in O(K); ties go to the earlier trial", async () => {
  let reads = 0;
  const top = new TopObjectives(async () => {
    reads++;
    return [{ objective: 0.9, trialId: 4 }, { objective: 0.7, trialId: 2 }];
  });
  top.add(1, { objective: 0.99, trialId: 9 }, 3, "maximize"); // not read yet: left to the first read
  assert.equal(await top.kth(1, 3, "maximize"), undefined, "fewer than K");
  top.add(1, { objective: 0.8, trialId: 5 }, 3, "maximize");
  assert.deepEqual(await top.kth(1, 3, "maximize"), { objective: 0.7, trialId: 2 });
  top.add(1, { objective: 0.7, trialId: 1 }, 3, "maximize"); // ties the third, earlier: it enters
  assert.deepEqual(await top.kth(1, 3, "maximize"), { objective: 0.7, trialId: 1 });
  top.add(1, { objective: 0.7, trialId: 8 }, 3, "maximize"); // ties it, later: stays out
  top.add(1, { objective: 0.1, trialId: 10 }, 3, "maximize");
  top.add(1, { objective: 0.8, trialId: 5 }, 3, "maximize"); // the same trial again changes nothing
  assert.deepEqual(await top.kth(1, 3, "maximize"), { objective: 0.7, trialId: 1 });
  top.add(1, { objective: 0.95, trialId: 11 }, 3, "maximize");
  assert.deepEqual(await top.kth(1, 3, "maximize"), { objective: 0.8, trialId: 5 });
  assert.equal(reads, 1);
  const low = new TopObjectives(async () => []);
  assert.equal(await low.kth(2, 1, "minimize"), undefined);
  low.add(2, { objective: 3, trialId: 1 }, 1, "minimize");
  low.add(2, { objective: 2, trialId: 2 }, 1, "minimize");
  assert.deepEqual(await low.kth(2, 1, "minimize"), { objective: 2, trialId: 2 });
});
