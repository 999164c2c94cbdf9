// The `dataset:` section of a sweep that names the researcher's own data file instead of a
// built-in dataset. Paths are relative to the config file. Which fields the file needs
// depends on its format (a CSV names its label column, NPY and IDX a labels file).
import { z } from "zod";
import { DatasetFileError } from "./dataset-file-error.ts";
import { dataFileFormat, FORMAT_NAMES, needsLabelsFile } from "./file-format.ts";
import { ValidationFraction } from "../../kernels/datasets/validation-split.ts";

const U32_MAX = 0xffff_ffff;
/** The test fraction when the spec names neither `test` nor `testFile`. */
export const DEFAULT_TEST_FRACTION = 0.2;

const FRACTION = "must be a fraction in (0, 1)";
const SEED = `must be an integer 0..${U32_MAX}`;
const path = (what: string) => z.string({ error: `must be the path of ${what}` }).min(1, `must be the path of ${what}`);

const fields = {
  file: path("a .csv, .npy, .npz or IDX data file"),
  /** CSV only: the header name of the label (target) column; every other column is a feature. */
  label: z.string({ error: "must be the name of the label column" }).min(1, "must be the name of the label column").optional(),
  /**
   * CSV only: the class names the label column may hold, in the order of their indices. A label
   * outside them is refused with its line (a typo would otherwise be one more class). Without it
   * the classes are the labels found, sorted.
   */
  classes: z.array(z.union([z.string(), z.int()], { error: "each class must be a name or an integer" }), { error: "must be a list of class names" })
    .min(2, "must name at least 2 classes")
    .transform((names) => names.map(String))
    .superRefine((names, ctx) => {
      names.forEach((name, i) => {
        if (name.trim() === "") ctx.addIssue({ code: "custom", path: [i], message: "must not be empty" });
        else if (name.trim() !== name) ctx.addIssue({ code: "custom", path: [i], message: `"${name}" has spaces at an end (labels are read trimmed)` });
        const first = names.indexOf(name);
        if (first < i) ctx.addIssue({ code: "custom", path: [i], message: `"${name}" is listed twice (also at ${first})` });
      });
    })
    .optional(),
  /** NPY and IDX only: the file of labels, one per sample. */
  labels: path("the labels file").optional(),
  /** Regression takes one numeric target per sample; classification takes class labels. */
  task: z.enum(["classification", "regression"], { error: 'must be "classification" or "regression"' }).default("classification"),
  /** The test split's fraction, after a shuffle seeded by `seed`; DEFAULT_TEST_FRACTION when absent. */
  test: z.number({ error: FRACTION }).gt(0, FRACTION).lt(1, FRACTION).optional(),
  /** A separate test file in the same format; then there is no random split. */
  testFile: path("a test file in the same format as file").optional(),
  testLabels: path("the test file's labels file").optional(),
  /**
   * The fraction of the training rows held out for validation, chosen by a shuffle seeded by
   * `seed`; 0 for none. With `validationFile` the fraction is not used (the file is the split).
   */
  validation: ValidationFraction,
  /** A separate validation file in the same format: its rows are the validation split, and no train row is held out. */
  validationFile: path("a validation file in the same format as file").optional(),
  validationLabels: path("the validation file's labels file").optional(),
  /**
   * Per feature, fitted on the train split only. u8 data (IDX images, u1 NPY) first reads as
   * value / 255, so images land in [0, 1] whatever the normalisation.
   */
  normalize: z.enum(["none", "standard", "minmax"], { error: 'must be "none", "standard" or "minmax"' }).default("none"),
  /** Seeds the split's shuffle. */
  seed: z.int({ error: SEED }).min(0, SEED).max(U32_MAX, SEED).default(0),
};
const KNOWN = Object.keys(fields).join(", ");

const SpecObject = z
  .strictObject(fields, {
    error: (issue) => issue.code === "unrecognized_keys"
      ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")} (known: ${KNOWN})`
      : issue.code === "invalid_type" ? `must be a mapping with fields ${KNOWN}` : undefined,
  })
  .superRefine(checkFieldsForFormat, {
    // Also when another field failed, so one pass names every problem.
    when: (payload) => typeof payload.value === "object" && payload.value !== null && !Array.isArray(payload.value),
  });

/**
 * The spec's schema. With `validationFile` the fraction is 0 (the file is the split), so a
 * fraction above 0 beside it is refused. Checked on the input, where a left-out `validation`
 * is still absent, not yet its default; a parsed spec (validation 0) parses again to itself.
 */
export const FileDatasetSpec = z.unknown().transform((raw, ctx) => {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw) || !("validationFile" in raw)) return raw;
  if (!("validation" in raw)) return { ...raw, validation: 0 };
  if ((raw as { validation: unknown }).validation !== 0) {
    ctx.addIssue({ code: "custom", path: ["validation"], message: "must be 0 or left out with validationFile (the validation file is the validation split)" });
  }
  return raw;
}).pipe(SpecObject);

export type FileDatasetSpec = z.output<typeof SpecObject>;
export type FileDatasetSpecInput = z.input<typeof SpecObject>;

type Ctx = Parameters<Parameters<typeof SpecObject.superRefine>[0]>[1];

function checkFieldsForFormat(spec: Partial<Record<keyof typeof fields, unknown>>, ctx: Ctx): void {
  const problem = (key: keyof typeof fields, message: string) => ctx.addIssue({ code: "custom", path: [key], message });
  if (typeof spec.file !== "string" || spec.file === "") return;
  const format = dataFileFormat(spec.file);
  const kind = `${spec.file} is ${FORMAT_NAMES[format]}`;
  const labelsCome = format === "csv" ? "whose labels are the label column"
    : format === "npz" ? "whose labels are its array y" : "whose labels come from the labels file";
  const an = format === "csv" ? "a" : "an"; // "an NPY", "an IDX"

  if (format === "csv" && spec.label === undefined) problem("label", "required for a CSV file: the name of the label column");
  if (format !== "csv" && spec.label !== undefined) problem("label", `only for a CSV file; ${kind}, ${labelsCome}`);
  if (format !== "csv" && spec.classes !== undefined) problem("classes", `only for a CSV file; ${kind}, whose classes are its integer labels`);
  if (spec.task === "regression" && spec.classes !== undefined) problem("classes", "only for task classification (regression has no classes)");
  if (needsLabelsFile(format) && spec.labels === undefined) {
    problem("labels", `required for ${an} ${FORMAT_NAMES[format]} file: the file of labels, one per sample`);
  }
  if (!needsLabelsFile(format) && spec.labels !== undefined) problem("labels", `only for NPY and IDX files; ${kind}, ${labelsCome}`);

  if (spec.testFile !== undefined && spec.test !== undefined) problem("test", "not allowed with testFile (the test file is the test split)");
  checkSecondFile("testFile", "testLabels", "test");
  checkSecondFile("validationFile", "validationLabels", "validation");

  /** A separate test or validation file: the same format as `file`, with its own labels file where the format needs one. */
  function checkSecondFile(fileKey: "testFile" | "validationFile", labelsKey: "testLabels" | "validationLabels", what: string): void {
    const second = spec[fileKey];
    if (second === undefined) {
      if (spec[labelsKey] !== undefined) problem(labelsKey, `only with ${fileKey}`);
      return;
    }
    if (typeof second === "string" && second !== "" && dataFileFormat(second) !== format) {
      problem(fileKey, `must be in the same format as file (${FORMAT_NAMES[format]}), not ${FORMAT_NAMES[dataFileFormat(second)]}`);
    }
    if (needsLabelsFile(format) && spec[labelsKey] === undefined) {
      problem(labelsKey, `required with ${fileKey} for ${an} ${FORMAT_NAMES[format]} file: the ${what} file's labels`);
    }
    if (!needsLabelsFile(format) && spec[labelsKey] !== undefined) problem(labelsKey, `only for NPY and IDX files; ${kind}, ${labelsCome}`);
  }
}

/**
 * Validates a spec outside a sweep config; throws one DatasetFileError naming every bad
 * field, each with `prefix` ("dataset.", "datasets.train.").
 */
export function parseFileDatasetSpec(input: unknown, prefix = "dataset."): FileDatasetSpec {
  const parsed = FileDatasetSpec.safeParse(input);
  if (parsed.success) return parsed.data;
  const fieldOf = (at: readonly PropertyKey[]) => at.length === 0 ? prefix.replace(/\.$/, "") : `${prefix}${at.map(String).join(".")}`;
  const [first, ...rest] = parsed.error.issues;
  const more = rest.map((issue) => `; ${fieldOf(issue.path)}: ${issue.message}`).join("");
  throw new DatasetFileError(fieldOf(first!.path), null, null, `${first!.message}${more}`);
}

/**
 * The fields that change the packed bytes (not the split, seed or normalisation, which workers
 * apply), in a fixed order: packing the same files twice gives the same key and one blob.
 * Paths are as written, so a caller packing specs from several config folders adds the folder.
 */
export function datasetBlobKey(spec: FileDatasetSpec): string {
  return JSON.stringify({
    file: spec.file,
    label: spec.label ?? null,
    labels: spec.labels ?? null,
    testFile: spec.testFile ?? null,
    testLabels: spec.testLabels ?? null,
    task: spec.task,
    // Only when named, as classes below: the keys of sweeps stored before stay the same.
    ...(spec.validationFile && { validationFile: spec.validationFile, validationLabels: spec.validationLabels ?? null }),
    // Only when named, so the key (and the hash of every sweep stored before classes) stays the same.
    ...(spec.classes && { classes: spec.classes }),
  });
}
