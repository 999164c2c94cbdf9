// The LeNet-style CNN of the benchmark, the tests and docs/benchmarks.md: two convolutions with
// pooling, a dense layer with dropout, ten outputs.
import type { z } from "zod";
import type { LayerSpec } from "./layer-spec.ts";

export const LENET_LAYERS: z.input<typeof LayerSpec>[] = [
  { type: "conv2d", filters: 8, kernel: 5, stride: 1, padding: "same", activation: "relu" },
  { type: "maxpool2d", size: 2 },
  { type: "conv2d", filters: 16, kernel: 5, padding: "valid", activation: "relu" },
  { type: "avgpool2d", size: 2 },
  { type: "flatten" },
  { type: "dense", units: 64, activation: "relu" },
  { type: "dropout", rate: 0.25 },
  { type: "dense", units: 10 },
];
