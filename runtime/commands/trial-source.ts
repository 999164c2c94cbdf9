// Where `discalc train --trial N` reads a stored trial from: the store itself (--data DIR or
// --store URL, beside a running controller or not) or a controller's REST API (--controller URL
// --token T). Either way the same things: the trial's resolved config, parameters and seed, the
// hash the fleet stored, the sweep's experiment and data blobs.
import { Store, type StoreLocation } from "../controller/store/store.ts";
import { BlobStore } from "../controller/store/blob-store.ts";
import { ApiClient } from "../../protocol/api-client.ts";
import { storedSweepIdentity, sweepIdentityOf, type StoredSweepIdentity } from "../controller/sweeps/sweep-identity.ts";
import type { ExperimentRef } from "../../protocol/messages.ts";

export interface StoredTrial {
  id: number;
  sweepId: number;
  sweepName: string;
  index: number;
  state: string;
  params: Record<string, unknown>;
  seed: number;
  /** The resolved trial config its worker ran. */
  config: Record<string, unknown>;
  /** The hash the fleet stored for it, or null (not finished, or failed). */
  resultSha256: string | null;
  /** The report a pruned trial stopped at (its hash is that report's), or null. */
  prunedStep: number | null;
  /** The sweep's experiment and its packed data files' blobs by dataset key. */
  experiment: ExperimentRef;
  datasets: Record<string, string>;
  /** The built-in engine the sweep ran on (null: a researcher's experiment). */
  engine: number | null;
  /** A population-based training member: its generation, the trial it starts from, and the report steps it runs. */
  lineage: { generation: number; slot: number; parentTrialId: number | null; startStep: number; stopStep: number } | null;
}

export interface TrialSource {
  /** Where it reads, for messages. */
  where: string;
  trial(id: number): Promise<StoredTrial>;
  /** The trial's kept final state (the sweep's `keep`), or undefined when it kept none. */
  keptState(id: number): Promise<{ bytes: Uint8Array; sha256: string; step: number } | undefined>;
  blob(sha: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** What a rerun needs of its sweep's identity: the experiment and the packed data files. */
const buildOf = ({ experiment, datasets, engine }: StoredSweepIdentity) => ({ experiment, datasets, engine });

export async function storeTrialSource(at: StoreLocation): Promise<TrialSource> {
  const store = await Store.open(at, { serve: false });
  const blobs = new BlobStore(store);
  return {
    where: store.where,
    async trial(id) {
      const t = await store.trial(id);
      if (!t) throw new Error(`--trial ${id}: no such trial in ${store.where}`);
      const sweep = (await store.sweep(t.sweep_id))!;
      const result = await store.result(id);
      const l = await store.lineageOfTrial(id);
      return {
        lineage: l ? { generation: l.generation, slot: l.slot, parentTrialId: l.parent_trial_id, startStep: l.start_step, stopStep: l.stop_step } : null,
        id, sweepId: t.sweep_id, sweepName: sweep.name, index: t.idx, state: t.state,
        params: JSON.parse(t.params) as Record<string, unknown>, seed: t.seed,
        config: JSON.parse(t.config) as Record<string, unknown>, resultSha256: result?.result_sha ?? null,
        prunedStep: t.state === "pruned" ? (JSON.parse(result?.outcome ?? "{}") as { pruned?: { step: number } }).pruned?.step ?? null : null,
        ...buildOf(storedSweepIdentity(sweep.config)),
      };
    },
    async keptState(id) {
      const kept = await store.trialState(id, "final");
      return kept && { bytes: kept.bytes, sha256: kept.sha256, step: kept.step };
    },
    async blob(sha) {
      const bytes = await blobs.get(sha);
      if (!bytes) throw new Error(`blob ${sha} is not in ${store.where}`);
      return bytes;
    },
    close: () => store.close(),
  };
}

export function apiTrialSource(controller: string, token: string | undefined): TrialSource {
  const client = new ApiClient(controller, token);
  return {
    where: `the controller at ${controller}`,
    async trial(id) {
      const t = await client.get("trial", {}, { id });
      if (!t.config) throw new Error(`the controller at ${controller} does not give trial configs (an older version): use --data or --store`);
      const sweep = await client.get("sweep", {}, { id: t.sweepId });
      const l = t.lineage;
      return {
        lineage: l ? { generation: l.generation, slot: l.slot, parentTrialId: l.parentTrialId, startStep: l.startStep, stopStep: l.stopStep } : null,
        id, sweepId: t.sweepId, sweepName: sweep.name, index: t.index, state: t.state, params: t.params, seed: t.seed,
        config: t.config, resultSha256: t.resultSha256, prunedStep: t.pruned?.step ?? null, ...buildOf(sweepIdentityOf(sweep.config)),
      };
    },
    keptState: (id) => client.trialState(id),
    blob: (sha) => client.blob(sha),
    close: async () => {},
  };
}
