// Tests of bulk bodies: JSON round trips, when deflate is used, and what a receiver refuses
// (deflate bombs, garbage, bad JSON, unknown encodings, oversized bodies).
import { slowTest } from "../kernels/slow-test.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { deflate } from "pako";
import {
  encodeJsonBody, decodeJsonBody, inflateCapped, BodyTooLargeError, BadEncodingError,
  COMPRESS_MIN_BYTES, DEFAULT_BODY_CAP,
} from "./codec.ts";

const MiB = 1024 * 1024;

const resultBatch = (n: number) => ({
  batchId: "b-1",
  results: Array.from({ length: n }, (_, i) => ({
    trialId: i + 1, attempt: 1, status: "done", workerId: "w-0123456789ab", error: null, finishedAt: 1_700_000_000_000 + i,
    outcome: { weightsSha256: "ab".repeat(32), epochs: [{ epoch: 1, trainLoss: 0.5, testLoss: 0.6, testAccuracy: 0.9, lr: 0.1, wallMs: 12 }] },
  })),
});

test("a small body travels as plain JSON", () => {
  const value = { items: [{ trialId: 1, attempt: 2, note: "héllo ✓" }] };
  const enc = encodeJsonBody(value);
  assert.equal(enc.headers["content-type"], "application/json");
  assert.equal(enc.headers["content-encoding"], undefined);
  assert.equal(enc.rawBytes, enc.body.byteLength);
  assert.ok(enc.rawBytes < COMPRESS_MIN_BYTES);
  assert.deepEqual(decodeJsonBody(enc.body, enc.headers["content-encoding"]), value);
  assert.deepEqual(decodeJsonBody(enc.body, "identity"), value);
});

test("a large body is deflated, shrinks, and round-trips", () => {
  const value = resultBatch(500);
  const enc = encodeJsonBody(value);
  assert.equal(enc.headers["content-encoding"], "deflate");
  assert.equal(enc.rawBytes, new TextEncoder().encode(JSON.stringify(value)).byteLength);
  assert.ok(enc.rawBytes >= COMPRESS_MIN_BYTES);
  assert.ok(enc.body.byteLength < enc.rawBytes * 0.7, `${enc.body.byteLength} of ${enc.rawBytes}`);
  assert.deepEqual(decodeJsonBody(enc.body, "deflate"), value);
});

test("a large body that does not compress well enough stays plain; force deflates anyway", () => {
  const value = { noise: randomBytes(30_000).toString("base64") };
  const enc = encodeJsonBody(value);
  assert.equal(enc.headers["content-encoding"], undefined, "base64 noise shrinks by less than 0.7×");
  assert.deepEqual(decodeJsonBody(enc.body, undefined), value);

  const small = { a: 1 };
  const forced = encodeJsonBody(small, "deflate");
  assert.equal(forced.headers["content-encoding"], "deflate");
  assert.deepEqual(decodeJsonBody(forced.body, "deflate"), small);
});

test("raw keeps a large, compressible body plain", () => {
  const value = { rows: Array.from({ length: 2000 }, (_, i) => ({ i, loss: 0.5 })) };
  assert.equal(encodeJsonBody(value).headers["content-encoding"], "deflate", "it would be deflated by default");
  const raw = encodeJsonBody(value, "raw");
  assert.equal(raw.headers["content-encoding"], undefined);
  assert.equal(raw.body.byteLength, raw.rawBytes);
  assert.deepEqual(decodeJsonBody(raw.body, undefined), value);
});

test("a deflate bomb is refused at the cap, quickly", { skip: slowTest }, () => {
  const bomb = deflate(new Uint8Array(200 * MiB));
  assert.ok(bomb.byteLength < MiB, "the bomb itself is small");
  const start = performance.now();
  assert.throws(() => decodeJsonBody(bomb, "deflate", MiB), (err: unknown) => {
    assert.ok(err instanceof BodyTooLargeError);
    assert.equal(err.cap, MiB);
    assert.match(err.message, new RegExp(`${MiB}`));
    return true;
  });
  const ms = performance.now() - start;
  assert.ok(ms < 2_000, `refused after ${ms.toFixed(0)} ms, without inflating it all`);
});

test("a deflated body just under the cap passes, just over is refused", () => {
  const json = new TextEncoder().encode(JSON.stringify({ pad: "x".repeat(1000) }));
  const packed = deflate(json);
  assert.equal((decodeJsonBody(packed, "deflate", json.byteLength) as { pad: string }).pad.length, 1000);
  assert.throws(() => decodeJsonBody(packed, "deflate", json.byteLength - 1), BodyTooLargeError);
  assert.deepEqual(inflateCapped(packed, json.byteLength), json);
});

test("garbage, truncated or empty deflate data is a BadEncodingError with a message", () => {
  const garbage = new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff));
  for (const [what, data] of [
    ["garbage", garbage],
    ["truncated", deflate(new TextEncoder().encode(JSON.stringify(resultBatch(50)))).subarray(0, 100)],
    ["empty", new Uint8Array(0)],
  ] as const) {
    assert.throws(() => decodeJsonBody(data, "deflate"), (err: unknown) => {
      assert.ok(err instanceof BadEncodingError, `${what}: ${String(err)}`);
      assert.match(err.message, /deflate/, what);
      return true;
    });
  }
});

test("invalid JSON or invalid UTF-8 is a BadEncodingError naming JSON", () => {
  const bad = new TextEncoder().encode("{\"a\": 1,");
  for (const [data, encoding] of [[bad, undefined], [deflate(bad), "deflate"], [new Uint8Array([0x22, 0xff, 0xfe, 0x22]), "identity"]] as const) {
    assert.throws(() => decodeJsonBody(data, encoding), (err: unknown) => {
      assert.ok(err instanceof BadEncodingError, String(err));
      assert.match(err.message, /not valid JSON/);
      return true;
    });
  }
});

test("an unknown content-encoding is refused, naming the header", () => {
  const body = new TextEncoder().encode("{}");
  for (const encoding of ["gzip", "br", "DEFLATE"]) {
    assert.throws(() => decodeJsonBody(body, encoding), (err: unknown) => {
      assert.ok(err instanceof BadEncodingError);
      assert.match(err.message, /content-encoding/);
      assert.ok(err.message.includes(JSON.stringify(encoding)), err.message);
      return true;
    });
  }
});

test("an identity body over the cap is BodyTooLargeError; at the cap it is read", () => {
  const body = new TextEncoder().encode(JSON.stringify({ pad: "y".repeat(2000) }));
  assert.throws(() => decodeJsonBody(body, undefined, body.byteLength - 1), (err: unknown) => err instanceof BodyTooLargeError && err.cap === body.byteLength - 1);
  assert.throws(() => decodeJsonBody(body, "identity", 100), BodyTooLargeError);
  assert.equal((decodeJsonBody(body, "identity", body.byteLength) as { pad: string }).pad.length, 2000);
  assert.ok(DEFAULT_BODY_CAP >= MiB);
});

test("bytes after the end of a deflate stream are refused, not silently dropped", () => {
  const one = deflate(JSON.stringify({ a: 1 }));
  const two = new Uint8Array([...one, ...deflate(JSON.stringify({ b: 2 }))]);
  assert.throws(() => decodeJsonBody(two, "deflate", 1024), (err: unknown) => err instanceof BadEncodingError && /bytes after the end of the stream/.test(err.message));
  assert.deepEqual(decodeJsonBody(one, "deflate", 1024), { a: 1 });
});
