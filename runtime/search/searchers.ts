// Searchers by name, as the sweep config's `search.method` names them: the built-in ones register
// here, and a new searcher is a file of its own plus a registerSearcher call, with no edit to the
// sweep code (which asks the registry for the schema, the size and the points).
import { nearestName } from "../nearest-name.ts";
import { gridSearch } from "./grid-search.ts";
import { randomSearch } from "./random-search.ts";
import type { SearchConfig, Searcher } from "./searcher.ts";
import { tpeSearch } from "./tpe-search.ts";
import { pbtSearch } from "./pbt-search.ts";

const registry = new Map<string, Searcher>();

export function registerSearcher(searcher: Searcher): void {
  if (registry.has(searcher.name)) throw new Error(`a searcher named "${searcher.name}" is already registered`);
  registry.set(searcher.name, searcher);
}

/** The method a search that names none runs. */
export const DEFAULT_SEARCHER = "grid";

export function searcherNames(): string[] {
  return [...registry.keys()];
}

export function findSearcher(method: string): Searcher | undefined {
  return registry.get(method);
}

/** The line for a method no searcher registered: the registered ones, and the nearest if near. */
export function unknownMethodMessage(method: unknown): string {
  const names = searcherNames();
  const near = typeof method === "string" ? nearestName(method, names) : undefined;
  return `Invalid option: expected one of ${names.map((n) => JSON.stringify(n)).join("|")}${near ? ` (did you mean "${near}"?)` : ""}`;
}

/** The searcher a parsed search runs; throws naming the registered ones when there is none. */
export function searcherOf(search: Pick<SearchConfig, "method"> | undefined): Searcher {
  const method = search?.method ?? DEFAULT_SEARCHER;
  const searcher = registry.get(method);
  if (!searcher) throw new Error(`search.method: ${unknownMethodMessage(method)} (a new searcher is added with registerSearcher)`);
  return searcher;
}

/** A search that sweeps nothing: one empty point. */
export function noSearch(): SearchConfig {
  return { method: DEFAULT_SEARCHER, seed: 0, repeats: 1, parameters: {} };
}

registerSearcher(gridSearch);
registerSearcher(randomSearch);
registerSearcher(tpeSearch);
registerSearcher(pbtSearch);
