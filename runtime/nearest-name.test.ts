// The "did you mean" suggestion: edit distance with adjacent swaps, and when to stay silent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { editDistance, nearestName } from "./nearest-name.ts";

test("edit distance counts an insertion, a deletion, a substitution or a swap of neighbours as one", () => {
  assert.equal(editDistance("learning_rat", "learning_rate"), 1);
  assert.equal(editDistance("stpes", "steps"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("same", "same"), 0);
});

test("the nearest known name, ignoring case, only when it is near enough to be a typo", () => {
  assert.equal(nearestName("learning_rat", ["steps", "learning_rate", "lr"]), "learning_rate");
  assert.equal(nearestName("Steps", ["steps", "seed"]), "steps");
  assert.equal(nearestName("serach", ["seed", "search", "name"]), "search");
  assert.equal(nearestName("batch_size", ["steps", "learning_rate"]), undefined, "nothing near");
  assert.equal(nearestName("7", ["0", "1"]), undefined, "replacing every character is no typo");
});
