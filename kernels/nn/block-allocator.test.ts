import { test } from "node:test";
import assert from "node:assert/strict";
import { compileKernels, instantiateKernels } from "../index.ts";
import { BlockAllocator, sizeClass } from "./block-allocator.ts";

test("size classes: 64 bytes at least, then four per power of two", () => {
  assert.deepEqual([1, 64, 65, 96, 97, 128, 129, 1000, 4096].map(sizeClass), [64, 64, 80, 96, 112, 128, 160, 1024, 4096]);
  assert.deepEqual([2 ** 31 - 5, 2 ** 31 + 7, 3e9, 2 ** 32 - 1].map(sizeClass), [2 ** 31, 2 ** 31 + 2 ** 29, 3 * 2 ** 30, 2 ** 32], "exact above 2 GiB too");
});

test("a freed block is reused for the next request of its class; the heap does not grow", async () => {
  const instance = instantiateKernels(await compileKernels());
  const blocks = new BlockAllocator(instance);
  const a = blocks.alloc(1000), b = blocks.alloc(900);
  assert.equal(a % 64, 0);
  assert.deepEqual([blocks.bytes, blocks.blocks], [2048, 2]);
  blocks.release(a, 1000);
  const top = instance.k.heapTop();
  assert.equal(blocks.alloc(1024), a, "1000 and 1024 share a class");
  assert.equal(instance.k.heapTop(), top);
  assert.notEqual(blocks.alloc(1000), b);
});
