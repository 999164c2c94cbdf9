// Turns an experiment blob into a runnable experiment: its module imported from memory (a data:
// URL, nothing on disk) and its own wasm compiled once. Threads and the controller cache by hash.
import { decodeExperimentBlob } from "./experiment-blob.ts";
import { folderExperiment } from "./folder-experiment.ts";
import { trialErrorText } from "./trial-error.ts";
import type { ExperimentEntry } from "./experiment-entry.ts";
import { createHash } from "node:crypto";
import { experimentUrl, stackMapper } from "./experiment-stack.ts";

export interface LoadedExperiment {
  entry: ExperimentEntry;
  wasm: WebAssembly.Module | null;
}

export async function loadExperimentBlob(bytes: Uint8Array): Promise<LoadedExperiment> {
  const blob = decodeExperimentBlob(bytes);
  // Named, so its frames in a stack are short and can be mapped (the data: URL would be the whole module).
  const url = experimentUrl(blob.name, createHash("sha256").update(bytes).digest("hex"));
  const code = `${blob.code}\n//# sourceURL=${url}\n`;
  const mapStack = stackMapper(blob.name, url, blob.sourceMap ?? null);
  let mod: { default?: unknown };
  try {
    mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as { default?: unknown };
  } catch (err) {
    throw new Error(`experiment ${blob.name}: loading its module failed: ${trialErrorText(err, mapStack)}`);
  }
  const wasm = blob.wasm ? await WebAssembly.compile(blob.wasm as Uint8Array<ArrayBuffer>) : null;
  return { entry: { ...folderExperiment(blob.name, mod.default), mapStack }, wasm };
}

/** Loads each blob once per process (or thread), by its SHA-256. */
export class ExperimentCache {
  private loaded = new Map<string, Promise<LoadedExperiment>>();

  get(sha: string, bytes: () => Uint8Array | undefined): Promise<LoadedExperiment> {
    let hit = this.loaded.get(sha);
    if (!hit) {
      const b = bytes();
      if (!b) return Promise.reject(new Error(`experiment blob ${sha} was not sent to this thread`));
      hit = loadExperimentBlob(b);
      hit.catch(() => this.loaded.delete(sha));
      this.loaded.set(sha, hit);
    }
    return hit;
  }
}
