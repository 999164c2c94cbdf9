// The layer types a model may list (`model.layers`), each with its schema. Layout is NHWC.
import { z } from "zod";

const int = (min: number, max: number) => z.int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
/** The activation after a dense or conv2d layer; the output layer has none (softmax comes with the loss). */
const activation = z.enum(["relu", "tanh", "sigmoid", "none"]).default("none");

export const DenseSpec = z.strictObject({ type: z.literal("dense"), units: int(1, 65_536), activation });
export const Conv2dSpec = z.strictObject({
  type: z.literal("conv2d"),
  filters: int(1, 4096),
  kernel: int(1, 31),
  stride: int(1, 16).default(1),
  /** same: output ⌈in / stride⌉, zeros around (TensorFlow's split: the extra one after); valid: no padding. */
  padding: z.enum(["same", "valid"]).default("valid"),
  activation,
});
const pool = <T extends string>(type: T) => z.strictObject({
  type: z.literal(type),
  size: int(1, 16),
  /** Defaults to size (windows side by side). */
  stride: int(1, 16).optional(),
});
export const MaxPool2dSpec = pool("maxpool2d");
export const AvgPool2dSpec = pool("avgpool2d");
export const FlattenSpec = z.strictObject({ type: z.literal("flatten") });
export const DropoutSpec = z.strictObject({
  type: z.literal("dropout"),
  rate: z.number().min(0, "must be 0 or more").lt(1, "must be < 1"),
});

export const LayerSpec = z.discriminatedUnion("type", [DenseSpec, Conv2dSpec, MaxPool2dSpec, AvgPool2dSpec, FlattenSpec, DropoutSpec], {
  error: (issue) => issue.code === "invalid_union" ? 'type: must be one of "dense", "conv2d", "maxpool2d", "avgpool2d", "flatten", "dropout"' : undefined,
});
export type LayerSpec = z.output<typeof LayerSpec>;
export type LayerType = LayerSpec["type"];
