import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Smoke test: the benchmark runs end to end and reports every figure with its peer.
// No speed is asserted here; speed is read from the benchmark's own output.
test("kernels:bench --quick prints the comparison and writes its JSON", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "discalc-bench-")), "kernels.json");
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "kernels/bench.ts", "--quick", "--out", out], { timeout: 180_000 });
  assert.match(stdout, /discalc\s+naive JS\s+tfjs-wasm\s+discalc\/tfjs/);
  assert.match(stdout, /discalc \/ tfjs-wasm: [\d.]+×/);
  const report = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(report.gemm.length, 5);
  for (const row of report.gemm) {
    assert.ok(row.ours > 0 && row.tfjs > 0 && row.naive > 0, JSON.stringify(row));
  }
  assert.ok(report.training.ours.samplesPerSec > 0 && report.training.tfjs.samplesPerSec > 0);
  assert.match(stdout, /time of ctx\.nn's MLP \/ the built-in's fused one: +tanh [\d.]+×, relu [\d.]+×/);
  assert.equal(report.nn.grokking.length, 2);
  for (const row of report.nn.grokking) assert.ok(row.ours > 0, JSON.stringify(row));
  assert.match(stdout, /the same, the step captured with nn\.graph: +tanh [\d.]+×, relu [\d.]+×/);
  const mlp = report.nn.mlp;
  for (const name of ["nnTanh", "nnRelu", "graphTanh", "graphRelu", "fusedTanh", "fusedRelu"]) assert.ok(mlp[name] > 0, `${name}: ${JSON.stringify(mlp)}`);
});
