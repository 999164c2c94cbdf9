// `discalc export`: writes one row per trial from a store (the controller may be running).
import { writeFileSync } from "node:fs";
import { Store, type StoreLocation } from "../controller/store/store.ts";
import { trialViews } from "../controller/api/api-views.ts";
import { trialsToCsv, trialsToJsonl } from "../controller/sweeps/export-trials.ts";

export async function exportCommand(o: { at: StoreLocation; format: "csv" | "jsonl"; sweep?: number; out?: string }): Promise<string> {
  const store = await Store.open(o.at, { serve: false });
  try {
    if (o.sweep !== undefined && !(await store.sweep(o.sweep))) throw new Error(`--sweep ${o.sweep}: no such sweep in ${store.where}`);
    const rows = await trialViews(store, o.sweep !== undefined ? await store.trialsOfSweep(o.sweep) : await store.allTrials());
    const text = o.format === "csv" ? trialsToCsv(rows) : trialsToJsonl(rows);
    if (o.out) writeFileSync(o.out, text);
    return text;
  } finally {
    await store.close();
  }
}
