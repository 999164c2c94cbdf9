// `discalc artifact get --trial N --out FILE`: a trial's kept final state, taken home. A built-in
// trial's weights become an .npz that numpy.load opens (docs/kept-models.md); a state held as
// named arrays stays .npz; any other state is written as its raw bytes. Reads from the store
// (--data DIR, --store URL) or a controller (--controller URL --token T), as `train --trial` does.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { StoreLocation } from "../controller/store/store.ts";
import { trialDatasetBlobs } from "../experiments/trial-blobs.ts";
import { apiTrialSource, storeTrialSource, type TrialSource } from "./trial-source.ts";
import { keptStateFile } from "./kept-state-file.ts";

export interface ArtifactGetOptions {
  trial: number;
  out: string;
  controller?: string;
  token?: string;
  data?: StoreLocation;
}

/** A trial's kept final state: its bytes, their SHA-256 as stored, and the step it was taken at. */
export interface KeptState {
  bytes: Uint8Array;
  sha256: string;
  step: number;
}

/** The kept final state of a trial, or undefined when it kept none (not among the sweep's `keep`). */
export function fetchKeptState(source: TrialSource, trialId: number): Promise<KeptState | undefined> {
  return source.keptState(trialId);
}

/** Exit code 0, or 1 when the trial kept no state or its bytes do not match their stored hash. */
export async function artifactGetCommand(o: ArtifactGetOptions): Promise<number> {
  const source = o.controller !== undefined ? apiTrialSource(o.controller, o.token) : await storeTrialSource(o.data!);
  try {
    const trial = await source.trial(o.trial);
    const kept = await fetchKeptState(source, o.trial);
    if (!kept) {
      console.error(`trial ${o.trial} kept no state (${trial.state}): a sweep keeps the final state of its best trials only (keep: { top: K }, or keep: { all: true })`);
      return 1;
    }
    const sha = createHash("sha256").update(kept.bytes).digest("hex");
    if (sha !== kept.sha256) {
      console.error(`trial ${o.trial}'s kept state from ${source.where} has SHA-256 ${sha}, stored as ${kept.sha256}: not written`);
      return 1;
    }
    const blobs = await trialDatasetBlobs(trial.config, trial.datasets, (s) => source.blob(s));
    const file = keptStateFile(trial, kept.bytes, blobs);
    writeFileSync(o.out, file.bytes);
    const what = file.format === "npz"
      ? `as .npz (numpy.load opens it): ${file.arrays!.map((a) => `${a.name} [${a.shape.join(", ")}]`).join(", ")}`
      : `as its raw bytes (${kept.bytes.byteLength} bytes)`;
    console.log(`wrote ${o.out}: trial ${o.trial}'s final state (step ${kept.step}, sha256 ${kept.sha256}) ${what}`);
    return 0;
  } finally {
    await source.close();
  }
}
