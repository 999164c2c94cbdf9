// A point of a search applied to a config: each swept value set at its dotted path, copying only
// the objects on the way, so the base stays as it was.
import { isPlainObject } from "../../experiments/plain-data.ts";
import type { Point } from "../../search/param-spec.ts";

export { isPlainObject };

/** `base` with each swept value set; a path blocked by a non-object is left alone (the parse then names it). */
export function applyPoint(base: unknown, point: Point): unknown {
  let config = base;
  for (const [path, value] of Object.entries(point)) config = withPath(config, path.split("."), value) ?? config;
  return config;
}

/** A copy of `target` with `path` set, copying only the objects on the way, so the base is never mutated. */
function withPath(target: unknown, path: string[], value: unknown): unknown {
  const [head, ...rest] = path as [string, ...string[]];
  // An array element by its index (model.layers.0.filters): only an element that exists.
  if (Array.isArray(target)) {
    const i = /^(0|[1-9]\d*)$/.test(head) ? Number(head) : -1;
    if (i < 0 || i >= target.length) return undefined;
    const inner = rest.length === 0 ? value : withPath(target[i], rest, value);
    if (inner === undefined) return undefined;
    const copy = [...target];
    copy[i] = inner;
    return copy;
  }
  if (!isPlainObject(target)) return undefined;
  if (rest.length === 0) return { ...target, [head]: value };
  const inner = withPath(target[head], rest, value);
  return inner === undefined ? undefined : { ...target, [head]: inner };
}
