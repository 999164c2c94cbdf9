// `discalc export`: writes one row per trial from a data directory (the controller may be running).
import { writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../controller/store.ts";
import { trialView } from "../controller/api-views.ts";
import { trialsToCsv, trialsToJsonl } from "../controller/export-trials.ts";

export function exportCommand(o: { data: string; format: "csv" | "jsonl"; sweep?: number; out?: string }): string {
  if (!existsSync(join(o.data, "discalc.sqlite"))) throw new Error(`--data ${o.data} holds no discalc store`);
  const store = new Store(o.data);
  try {
    if (o.sweep !== undefined && !store.sweep(o.sweep)) throw new Error(`--sweep ${o.sweep}: no such sweep in ${o.data}`);
    const rows = (o.sweep !== undefined ? store.trialsOfSweep(o.sweep) : store.allTrials()).map((t) => trialView(store, t));
    const text = o.format === "csv" ? trialsToCsv(rows) : trialsToJsonl(rows);
    if (o.out) writeFileSync(o.out, text);
    return text;
  } finally {
    store.close();
  }
}
