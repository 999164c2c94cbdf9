// Whether a dotted path names a field of a zod schema (through defaults, optionals and
// preprocessors, array elements by index, and any option of a union): how a sweep's parameter
// paths are checked against an experiment's schema (`model.layers.0.filters`); and the keys an
// object takes at a path, for "did you mean" on a key it does not.
import type { z } from "zod";

export function schemaHasPath(root: z.core.$ZodType, path: string): boolean {
  return has(root, path.split("."));
}

/** The keys an object schema at `path` takes (every option's, for a union), or [] where there is none. */
export function schemaKeysAt(root: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  const schema = unwrap(root);
  const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; options?: z.core.$ZodType[] };
  if (def.type === "union") return [...new Set(def.options!.flatMap((option) => schemaKeysAt(option, path)))];
  if (path.length === 0) return def.type === "object" ? Object.keys(def.shape!) : [];
  const [key, ...rest] = path;
  if (def.type === "object") return Object.hasOwn(def.shape!, String(key)) ? schemaKeysAt(def.shape![String(key)]!, rest) : [];
  if (def.type === "array") return schemaKeysAt(def.element!, rest);
  return [];
}

function has(node: z.core.$ZodType, keys: string[]): boolean {
  if (keys.length === 0) return true;
  const schema = unwrap(node);
  const [key, ...rest] = keys as [string, ...string[]];
  const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; options?: z.core.$ZodType[] };
  switch (def.type) {
    case "object":
      return Object.hasOwn(def.shape!, key) && has(def.shape![key]!, rest);
    case "array":
      return /^(0|[1-9]\d{0,5})$/.test(key) && has(def.element!, rest);
    case "union":
      return def.options!.some((option) => has(option, keys));
    default:
      return false;
  }
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def as { innerType?: z.core.$ZodType; out?: z.core.$ZodType };
  if (def.innerType) return unwrap(def.innerType); // default, optional, ...
  if (schema._zod.def.type === "pipe" && def.out) return unwrap(def.out); // preprocess
  return schema;
}
