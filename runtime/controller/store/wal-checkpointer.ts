// Checkpoints a SQLite database's WAL from a thread of its own. SQLite checkpoints inside
// COMMIT once the WAL passes 1,000 pages: on the controller's one thread, that copied the WAL's
// pages into the database and synced both files while every request waited (it showed in the
// tiny-trial throughput of `npm run bench:runtime`). A PASSIVE
// checkpoint from another connection copies what is committed without blocking the writer, and
// the writer restarts the WAL once it is all copied. The writer keeps a high autocheckpoint as
// a backstop, and goes back to SQLite's own if this thread fails.
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";

/** How often the thread checkpoints; a PASSIVE checkpoint with nothing to copy costs microseconds. */
const EVERY_MS = 100;

// CommonJS, evaluated in the thread: better-sqlite3 comes by the path the main thread resolved.
const THREAD_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// Syncs the WAL before copying and the database after: a checkpoint is durable.
db.pragma("synchronous = NORMAL");
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}, workerData.everyMs);
parentPort.on("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private exited: Promise<void>;

  /** `onFailure` hears why the thread stopped checkpointing (the writer then checkpoints itself). */
  constructor(file: string, onFailure: (message: string) => void, everyMs = EVERY_MS) {
    const driver = fileURLToPath(import.meta.resolve("better-sqlite3"));
    this.worker = new Worker(THREAD_CODE, { eval: true, workerData: { file, driver, everyMs } });
    this.worker.unref();
    let failed = false;
    const fail = (message: string) => {
      if (!failed) onFailure(message);
      failed = true;
    };
    this.worker.on("message", (m: { error?: string }) => m.error && fail(m.error));
    this.worker.on("error", (err) => fail(err.message));
    this.exited = new Promise((resolve) => this.worker.once("exit", (code) => {
      if (code !== 0) fail(`checkpoint thread exited with code ${code}`);
      resolve();
    }));
  }

  /** Stops the thread after its current checkpoint, and closes its connection. */
  async close(): Promise<void> {
    // Held by nothing else (unref'd so it never keeps a process up): waiting for it must.
    this.worker.ref();
    this.worker.postMessage("close");
    await this.exited;
  }
}
