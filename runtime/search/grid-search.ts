// The grid searcher: every combination of the parameters' choices, the first parameter varying
// slowest. It takes lists only (a range has no finite set of points) and no sample count.
import { isPlainObject } from "../experiments/plain-data.ts";
import type { ParamSpec, Point } from "./param-spec.ts";
import type { SearchConfig, Searcher } from "./searcher.ts";

export type ChoiceList = [path: string, choices: readonly unknown[]];

/** The parameters given as lists of choices, in order. */
export function choiceLists(parameters: Record<string, ParamSpec>): ChoiceList[] {
  return Object.entries(parameters).flatMap(([path, spec]): ChoiceList[] => (Array.isArray(spec) ? [[path, spec]] : []));
}

/** How many combinations the choices make (Infinity when a parameter is a range). */
export function combinations(parameters: Record<string, ParamSpec>): number {
  return Object.values(parameters).reduce((n, spec) => n * (Array.isArray(spec) ? spec.length : Infinity), 1);
}

/** Mixed-radix digits of a grid index; the first parameter is the most significant (varies slowest). */
export function digitsOf(lists: ChoiceList[], index: number): number[] {
  const digits: number[] = new Array(lists.length);
  for (let k = lists.length - 1; k >= 0; k--) {
    const n = lists[k]![1].length;
    digits[k] = index % n;
    index = Math.floor(index / n);
  }
  return digits;
}

export function pointAt(lists: ChoiceList[], digits: number[]): Point {
  return Object.fromEntries(lists.map(([path, choices], k) => [path, choices[digits[k]!]]));
}

export const gridSearch: Searcher = {
  name: "grid",
  options: {},
  refuses: {
    samples: "only for method random (a grid takes every point)",
    batch: "only for method tpe (grid and random points do not depend on results)",
  },
  spaceProblems(parameters) {
    return Object.entries(parameters).filter(([, spec]) => isPlainObject(spec))
      .map(([path]) => ({ path, message: "a range needs method random or tpe (a grid takes a list of choices)" }));
  },
  size: (search: SearchConfig) => combinations(search.parameters),
  *points(search: SearchConfig) {
    const lists = choiceLists(search.parameters);
    const size = combinations(search.parameters);
    for (let index = 0; index < size; index++) yield pointAt(lists, digitsOf(lists, index));
  },
};
