// The agent's result sender, driven without sockets: posts it starts are held open until the
// test answers them, so what is in flight at each moment is seen exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ResultSender } from "./result-sender.ts";
import type { TrialResult } from "../../protocol/messages.ts";

const result = (trialId: number): TrialResult =>
  ({ trialId, attempt: 1, status: "done", workerId: "w", error: null, outcome: null, finishedAt: 0 });
const ids = (batch: TrialResult[]) => batch.map((r) => r.trialId);
const tick = () => new Promise((r) => setImmediate(r));

/** A relay whose answers the test gives: each post waits until `answer(i)` or `fail(i)`. */
function heldRelay() {
  const posts: Array<{ batch: TrialResult[]; answer: () => void; fail: () => void }> = [];
  const send = (batch: TrialResult[]) => new Promise<void>((resolve, reject) => {
    posts.push({ batch, answer: resolve, fail: () => reject(new Error("relay down")) });
  });
  return { posts, send };
}

test("full batches go at once, up to maxPosts under way; a result stays unacknowledged until its post is answered", async () => {
  const relay = heldRelay();
  const sender = new ResultSender({ send: relay.send, log: () => {}, batchMax: 4, maxPosts: 2, flushMs: 60_000 });
  for (let i = 1; i <= 12; i++) sender.add(result(i));
  await tick();
  assert.deepEqual(relay.posts.map((p) => ids(p.batch)), [[1, 2, 3, 4], [5, 6, 7, 8]], "two posts at once, the third batch waits");
  assert.equal(sender.size, 12);
  assert.deepEqual(ids(sender.unacked()).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
  relay.posts[1]!.answer();
  await tick();
  assert.deepEqual(ids(relay.posts[2]!.batch), [9, 10, 11, 12], "an answered post frees its place for the next batch at once");
  assert.equal(sender.size, 8);
  sender.close();
});

test("results left after an answered post go at once, without waiting for the timer", async () => {
  const relay = heldRelay();
  // A timer of a minute: if the sender waited for it, the test would see no second post.
  const sender = new ResultSender({ send: relay.send, log: () => {}, batchMax: 4, maxPosts: 1, flushMs: 60_000 });
  for (let i = 1; i <= 6; i++) sender.add(result(i));
  await tick();
  assert.equal(relay.posts.length, 1);
  relay.posts[0]!.answer();
  await tick();
  assert.deepEqual(ids(relay.posts[1]!.batch), [5, 6]);
  relay.posts[1]!.answer();
  await tick();
  assert.equal(sender.size, 0);
  sender.close();
});

test("a failed post's results go back to the front and are sent again after the pause", async () => {
  const relay = heldRelay();
  const sender = new ResultSender({ send: relay.send, log: () => {}, batchMax: 2, maxPosts: 1, flushMs: 60_000, retryMs: 20 });
  for (let i = 1; i <= 3; i++) sender.add(result(i));
  await tick();
  relay.posts[0]!.fail();
  await tick();
  assert.equal(relay.posts.length, 1, "no retry before the pause");
  assert.equal(sender.size, 3, "nothing lost");
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(ids(relay.posts[1]!.batch), [1, 2], "the failed batch first, in its order");
  sender.close();
});

test("a lone result goes after flushMs", async () => {
  const relay = heldRelay();
  const sender = new ResultSender({ send: relay.send, log: () => {}, flushMs: 10 });
  sender.add(result(1));
  await tick();
  assert.equal(relay.posts.length, 0);
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(ids(relay.posts[0]!.batch), [1]);
  relay.posts[0]!.answer();
  sender.close();
});
