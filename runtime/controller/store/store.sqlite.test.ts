// The store conformance suite on SQLite files in temp folders.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storeConformance } from "./testing/store-conformance.ts";

storeConformance("sqlite", {
  fresh: async () => ({ dir: mkdtempSync(join(tmpdir(), "discalc-store-")) }),
  drop: async (at) => {
    if ("dir" in at) rmSync(at.dir, { recursive: true, force: true });
  },
});
