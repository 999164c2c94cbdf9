// Batches by bytes: the first items that fit, never none, never past the count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { batchPrefix, jsonBytes, outcomeBytes } from "./batch-bytes.ts";

test("takes the leading items that fit the bytes and the count, and always at least one", () => {
  const items = Array.from({ length: 10 }, (_, i) => ({ i, pad: "x".repeat(90) }));
  const each = jsonBytes(items[0]) + 1;
  assert.equal(batchPrefix(items, 100, each * 3), 3);
  assert.equal(batchPrefix(items, 2, each * 3), 2, "the count binds first");
  assert.equal(batchPrefix(items, 100, 10), 1, "an item over the cap alone still goes, so the sender can decide");
  assert.equal(batchPrefix([], 100, 10), 0);
  assert.equal(batchPrefix(items, 100, 1e9), 10);
});

test("sizes the sender measured are used as given", () => {
  const items = Array.from({ length: 10 }, (_, i) => ({ i }));
  // Each claims 99 bytes (+1 separator): three fit in 300, whatever their JSON.
  assert.equal(batchPrefix(items, 100, 300, () => 99), 3);
  assert.equal(batchPrefix(items, 100, 300, (x) => (x.i === 1 ? 1000 : 10)), 1, "a large second item ends the batch");
  assert.equal(batchPrefix(items, 4, 1e9, () => 10), 4, "the count binds first");
});

test("an outcome's size is found without writing it: never less than its JSON, exact when large or unusual", () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  // The longest: 17 significant digits in fixed notation down to 1e-6, or in exponent form.
  const numbers = [0, -0, 1, -1, 0.1, 1 / 3, -2.2250738585072014e-308, 1.7976931348623157e308, 5e-324, 123456789012345680000, -1e21, 0.000001, 1e-7,
    -0.0000012345678901234567, -0.000001234567890123457, -123456789012345.67, -1.2345678901234567e-7];
  const name = () => Array.from({ length: 1 + Math.floor(rand() * 64) }, () => "abcXYZ_.:/-09"[Math.floor(rand() * 13)]).join("").replace(/^[^A-Za-z_]/, "m");
  const metrics = () => Object.fromEntries(Array.from({ length: Math.floor(rand() * 10) }, () => [name(), rand() < 0.5 ? numbers[Math.floor(rand() * numbers.length)]! : (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20)]));
  for (let i = 0; i < 500; i++) {
    const outcome = { resultSha256: "ab".repeat(32), metrics: metrics(), reports: Array.from({ length: Math.floor(rand() * 20) }, metrics), info: metrics(), runMs: rand() * 1000 };
    const exact = jsonBytes(outcome);
    const bound = outcomeBytes(outcome);
    assert.ok(bound >= exact, `bound ${bound} under the JSON's ${exact} bytes: ${JSON.stringify(outcome)}`);
    assert.ok(bound <= 3 * exact + 100, `bound ${bound} far over ${exact}`);
  }
  const big = { resultSha256: "ab".repeat(32), metrics: {}, reports: Array.from({ length: 20_000 }, (_, i) => ({ loss: i / 7, acc: i / 9 })), info: {}, runMs: 1 };
  assert.equal(outcomeBytes(big), jsonBytes(big), "past 1 MiB it is exact: whether a result may be sent at all depends on it");
  const other = { resultSha256: "ab".repeat(32), metrics: { loss: 1 }, reports: [], info: {}, runMs: 1, extra: "x" };
  assert.equal(outcomeBytes(other), jsonBytes(other), "another shape is measured");
  const longest = { resultSha256: "ab".repeat(32), metrics: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`m${i}`, -0.0000012345678901234567])), reports: [], info: {}, runMs: -0.0000012345678901234567 };
  assert.ok(outcomeBytes(longest) >= jsonBytes(longest), "numbers at their longest JSON, 25 characters");
  const odd = { resultSha256: "ab".repeat(32), metrics: { "naïve": 1 }, reports: [], info: {}, runMs: 1 };
  assert.equal(outcomeBytes(odd), jsonBytes(odd), "a name outside printable ASCII is measured");
});
