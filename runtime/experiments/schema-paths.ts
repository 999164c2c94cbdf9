// Whether a dotted path names a field of a zod object schema (through defaults, optionals
// and preprocessors): how a sweep's parameter paths are checked against an experiment's schema.
import type { z } from "zod";

export function schemaHasPath(root: z.core.$ZodType, path: string): boolean {
  let schema = root;
  for (const key of path.split(".")) {
    schema = unwrap(schema);
    if (schema._zod.def.type !== "object") return false;
    const shape = (schema._zod.def as z.core.$ZodObjectDef).shape;
    if (!Object.hasOwn(shape, key)) return false;
    schema = shape[key]!;
  }
  return true;
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def as { innerType?: z.core.$ZodType; out?: z.core.$ZodType };
  if (def.innerType) return unwrap(def.innerType); // default, optional, ...
  if (schema._zod.def.type === "pipe" && def.out) return unwrap(def.out); // preprocess
  return schema;
}
