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

test("flushUntilAcked returns once the relay acknowledged those results, whichever post carried them", async () => {
  const relay = heldRelay();
  const sender = new ResultSender({ send: relay.send, log: () => {}, batchMax: 2, maxPosts: 1, flushMs: 60_000 });
  for (let i = 1; i <= 3; i++) sender.add(result(i));
  const handedBack = result(4);
  sender.add(handedBack);
  await tick();
  let done = false;
  const waiting = sender.flushUntilAcked([handedBack], 5000).then(() => (done = true));
  relay.posts[0]!.answer(); // 1, 2: the post that frees its place sends 3, 4 on its own
  await tick();
  assert.deepEqual(ids(relay.posts[1]!.batch), [3, 4]);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false, "4 is on its way, not yet acknowledged");
  relay.posts[1]!.answer();
  await waiting;
  assert.equal(sender.size, 0);
  sender.close();
});

test("after a failure nothing goes before the pause, not even a full batch", async () => {
  const relay = heldRelay();
  const sender = new ResultSender({ send: relay.send, log: () => {}, batchMax: 2, maxPosts: 3, flushMs: 60_000, retryMs: 50 });
  sender.add(result(1));
  sender.add(result(2));
  await tick();
  relay.posts[0]!.fail();
  await tick();
  sender.add(result(3));
  sender.add(result(4));
  await tick();
  assert.equal(relay.posts.length, 1, "paused: the relay is failing");
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(relay.posts.slice(1).map((p) => ids(p.batch)), [[1, 2], [3, 4]], "after the pause, the oldest first");
  sender.close();
});

test("drain sends everything, then nothing starts on its own any more", async () => {
  const posted: number[][] = [];
  let failing = true;
  const sender = new ResultSender({
    send: async (batch) => {
      posted.push(ids(batch));
      if (failing) throw new Error("relay down");
    },
    log: () => {}, batchMax: 4, retryMs: 10,
  });
  for (let i = 1; i <= 6; i++) sender.add(result(i));
  setTimeout(() => (failing = false), 30);
  await sender.drain(2000);
  assert.equal(sender.size, 0, "all acknowledged once the relay came back");
  const after = posted.length;
  sender.add(result(7)); // e.g. a thread's late end: queued, not sent by a closed sender
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(posted.length, after);
});

test("a drain that runs out of time leaves no timer and no retry behind", async () => {
  let posts = 0;
  const sender = new ResultSender({ send: async () => { posts++; throw new Error("relay down"); }, log: () => {}, retryMs: 5 });
  sender.add(result(1));
  await sender.drain(40);
  assert.equal(sender.size, 1, "kept, not dropped");
  const after = posts;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(posts, after, "no post after close");
});
