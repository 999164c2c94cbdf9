// Starts a worker thread on a module file. When the file is TypeScript (running from
// source under tsx), the thread registers tsx first: worker threads do not reliably
// inherit the parent's loader flags (node --test runs files in children without them).
import { Worker, type WorkerOptions } from "node:worker_threads";

export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, options);
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })` +
    `.catch((err) => { setImmediate(() => { throw err; }); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
