// The built-in "network" experiment's trial config: a dataset (built-in or a file), the
// model and the training settings. The model and training schemas are the trainer's own.
import { z } from "zod";
import { BuiltinDatasetSpec, ModelSpec, TrainSpec } from "../../../kernels/mlp-config.ts";
import { FileDatasetSpec } from "../../datasets/file-spec.ts";
import { isPlainObject } from "../plain-data.ts";
import { schemaHasPath, schemaKeysAt } from "../schema-paths.ts";
import { nearestName } from "../../nearest-name.ts";

/** A file dataset when the spec names a `file`, a built-in otherwise: the issues then name the real problem. */
export const NetworkDatasetSpec = z.unknown().transform((value, ctx) => {
  const schema = isPlainObject(value) && "file" in value ? FileDatasetSpec : BuiltinDatasetSpec;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<typeof FileDatasetSpec> | z.output<typeof BuiltinDatasetSpec>;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  return z.NEVER;
});

export const NetworkConfigSchema = z.strictObject({
  dataset: NetworkDatasetSpec,
  model: ModelSpec,
  train: TrainSpec,
});
export type NetworkConfig = z.output<typeof NetworkConfigSchema>;

/** A built-in dataset's sample shape and classes, known before any data is read (a file's comes with its blob). */
export function builtinShape(d: NetworkConfig["dataset"]): { shape: number[]; classes: number } | null {
  if ("file" in d) return null;
  if (d.name === "mnist") return { shape: [28, 28, 1], classes: 10 };
  return { shape: [2], classes: d.name === "spirals" ? d.classes ?? 3 : 2 };
}

// For parameter paths: either form of dataset.
const BuiltinShape = z.strictObject({ dataset: BuiltinDatasetSpec, model: ModelSpec, train: TrainSpec });
const FileShape = z.strictObject({ dataset: FileDatasetSpec });

export const networkKnowsPath = (path: string) => schemaHasPath(BuiltinShape, path) || schemaHasPath(FileShape, path);

/** The known path nearest to an unknown one: its known part kept, the first unknown key replaced by the nearest there. */
export function networkNearestPath(path: string): string | undefined {
  const keys = path.split(".");
  const bad = keys.findIndex((_, i) => !networkKnowsPath(keys.slice(0, i + 1).join(".")));
  if (bad < 0) return undefined;
  const at = keys.slice(0, bad);
  const near = nearestName(keys[bad]!, [...schemaKeysAt(BuiltinShape, at), ...schemaKeysAt(FileShape, at)]);
  return near && [...at, near].join(".");
}
