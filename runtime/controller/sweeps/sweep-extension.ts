// A sweep's extension (`discalc sweep extend`): the new totals of samples and repeats, kept beside
// the config (whose hash stays the sweep's identity) and applied wherever the search's size is read.
import type { SweepRow } from "../store/store.ts";
import type { SweepConfig } from "./sweep-config.ts";
import type { SearchConfig } from "../../search/searcher.ts";

export interface SweepExtension {
  /** The new total of sampled points (a searcher that takes samples). */
  samples?: number;
  /** The new total of seeds per point. */
  repeats?: number;
}

export function extensionOf(row: Pick<SweepRow, "extension">): SweepExtension {
  return row.extension ? (JSON.parse(row.extension) as SweepExtension) : {};
}

/** The search with its extension applied. */
export function effectiveSearch(search: SearchConfig, ext: SweepExtension): SearchConfig {
  if (ext.samples === undefined && ext.repeats === undefined) return search;
  return { ...search, ...(ext.samples !== undefined && { samples: ext.samples }), ...(ext.repeats !== undefined && { repeats: ext.repeats }) };
}

/** The config with its extension applied: the search a sweep runs now. */
export function effectiveConfig(config: SweepConfig, ext: SweepExtension): SweepConfig {
  if (!config.search || (ext.samples === undefined && ext.repeats === undefined)) return config;
  return { ...config, search: effectiveSearch(config.search, ext) };
}
