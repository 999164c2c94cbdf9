// The MLP trainer's config (model and training settings) and the built-in datasets it can
// generate or unpack: the schema with its defaults, so a resolved config reproduces a result
// exactly. The built-in "network" experiment composes these with file datasets.
import { z } from "zod";
import { ConfigError, formatIssues } from "./config-errors.ts";
import { LayerSpec } from "./layers/layer-spec.ts";
import { ValidationFraction } from "./datasets/validation-split.ts";

export const MNIST_SAMPLES = 10_000;
const U32_MAX = 0xffff_ffff;

const count = (max: number) => z.int().min(1, "must be at least 1").max(max, `must be at most ${max}`);
const seed = z.int().min(0, "must be 0 or more").max(U32_MAX, `must be at most ${U32_MAX}`);
const positive = (max: number) => z.number().gt(0, "must be > 0").lte(max, `must be at most ${max}`);

export const BuiltinDatasetSpec = z
  .strictObject({
    name: z.enum(["mnist", "spirals", "moons", "xor"]),
    train: count(1_000_000),
    test: count(1_000_000),
    /** The fraction of the `train` rows held out for validation (chosen by a shuffle seeded by `seed`); none from a single row. */
    validation: ValidationFraction,
    /** Std of the Gaussian noise added to synthetic points. */
    noise: z.number().min(0, "must be 0 or more").max(10, "must be at most 10").optional(),
    /** Arms of `spirals`. */
    classes: z.int().min(2, "must be at least 2").max(16, "must be at most 16").optional(),
    /** Seed of the synthetic generators (the same for every trial, so trials share data). */
    seed: seed.default(0),
  })
  .superRefine((d, ctx) => {
    if (d.name === "mnist" && d.train + d.test > MNIST_SAMPLES) {
      ctx.addIssue({ code: "custom", path: ["train"], message: `train + test must be at most ${MNIST_SAMPLES} for mnist (got ${d.train + d.test})` });
    }
    if (d.name === "mnist" && d.noise !== undefined) {
      ctx.addIssue({ code: "custom", path: ["noise"], message: "applies only to synthetic datasets (spirals, moons, xor)" });
    }
    if (d.classes !== undefined && d.name !== "spirals") {
      ctx.addIssue({ code: "custom", path: ["classes"], message: "applies only to spirals" });
    }
  });

export const ModelSpec = z.strictObject({
  /** The MLP shorthand: hidden widths, one activation, then the output layer. */
  hidden: z.array(z.int().min(1, "must be at least 1").max(8192, "must be at most 8192")).max(16, "at most 16 hidden layers").optional(),
  activation: z.enum(["relu", "tanh", "sigmoid"]).default("relu"),
  /** A layer list instead (NHWC): dense, conv2d, maxpool2d, avgpool2d, flatten, dropout; the last is the dense output layer. */
  layers: z.array(LayerSpec).min(1, "must list at least one layer").max(64, "at most 64 layers").optional(),
  /** The input's shape, when not the dataset's own (mnist: [28, 28, 1]). */
  input: z.array(z.int().min(1, "must be at least 1").max(65_536, "must be at most 65536")).min(1, "must have 1 to 3 axes").max(3, "must have 1 to 3 axes").optional(),
  /** auto: He for relu layers, Xavier for the others. */
  init: z.enum(["auto", "he", "xavier"]).default("auto"),
}).superRefine((m, ctx) => {
  if (m.hidden === undefined && m.layers === undefined) ctx.addIssue({ code: "custom", path: ["hidden"], message: "give model.hidden (an MLP) or model.layers" });
  if (m.hidden !== undefined && m.layers !== undefined) ctx.addIssue({ code: "custom", path: ["layers"], message: "give model.hidden or model.layers, not both" });
});

const ScheduleObject = z.strictObject({
  type: z.enum(["constant", "step", "cosine"]),
  /** step: multiply the rate by `gamma` every `every` epochs. */
  every: z.int().min(1, "must be at least 1").default(1),
  gamma: z.number().gt(0, "must be > 0").lte(1, "must be at most 1").default(0.5),
});
export const LrSchedule = z.preprocess(
  (v) => (typeof v === "string" ? { type: v } : v),
  ScheduleObject,
);

export const TrainSpec = z.strictObject({
  epochs: count(10_000),
  batch: count(8192),
  optimizer: z.enum(["sgd", "momentum", "adam"]).default("sgd"),
  lr: positive(10),
  momentum: z.number().min(0, "must be 0 or more").lt(1, "must be < 1").default(0.9),
  beta1: z.number().min(0, "must be 0 or more").lt(1, "must be < 1").default(0.9),
  beta2: z.number().min(0, "must be 0 or more").lt(1, "must be < 1").default(0.999),
  eps: positive(1).default(1e-8),
  weightDecay: z.number().min(0, "must be 0 or more").lte(1, "must be at most 1").default(0),
  schedule: LrSchedule.default({ type: "constant", every: 1, gamma: 0.5 }),
  loss: z.enum(["cross_entropy", "mse"]).default("cross_entropy"),
  seed: seed.default(0),
});

/** A trial of the MLP trainer on a built-in dataset (kernels' tests and benchmark use this form). */
export const TrialConfigSchema = z.strictObject({
  dataset: BuiltinDatasetSpec,
  model: ModelSpec,
  train: TrainSpec,
});

export type BuiltinDatasetSpec = z.output<typeof BuiltinDatasetSpec>;
export type ModelSpec = z.output<typeof ModelSpec>;
export type TrainSpec = z.output<typeof TrainSpec>;
export type TrialConfig = z.output<typeof TrialConfigSchema>;
export type TrialConfigInput = z.input<typeof TrialConfigSchema>;
export type DatasetName = BuiltinDatasetSpec["name"];

/** Validates and fills defaults; throws ConfigError naming each bad field. */
export function parseTrialConfig(input: unknown): TrialConfig {
  const parsed = TrialConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues), "trial config");
  return parsed.data;
}
