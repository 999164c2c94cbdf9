import { test } from "node:test";
import assert from "node:assert/strict";
import { termHandOff } from "./term-hand-off.ts";

const ASKED_AT = 1_000;

test("a trial is stopped once a checkpoint stored after the ask is in; one stored before the ask does not count", () => {
  const d = termHandOff([
    { key: "1:1", running: true, storedAt: 1_200 },
    { key: "2:1", running: true, storedAt: 900 },
    { key: "3:1", running: true, storedAt: undefined },
  ], ASKED_AT, 1_300, 25_000);
  assert.deepEqual(d, { stop: ["1:1"], waiting: ["2:1", "3:1"], late: [] });
});

test("a trial that ended meanwhile needs nothing; when the grace is over the rest are stopped as they are", () => {
  assert.deepEqual(termHandOff([{ key: "1:1", running: false, storedAt: undefined }], ASKED_AT, 1_001, 25_000), { stop: [], waiting: [], late: [] });
  const d = termHandOff([{ key: "1:1", running: true, storedAt: 1_500 }, { key: "2:1", running: true, storedAt: undefined }], ASKED_AT, ASKED_AT + 25_000, 25_000);
  assert.deepEqual(d, { stop: ["1:1", "2:1"], waiting: [], late: ["2:1"] });
});
