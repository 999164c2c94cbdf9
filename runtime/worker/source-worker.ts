// Starts a worker thread that imports a module and calls one of its exports. From the bundle
// (production) the module is a data: URL; from source (tests, `discalc run` in a checkout) the
// thread registers tsx first: worker threads do not reliably inherit the parent's loader flags.
import { Worker, type WorkerOptions } from "node:worker_threads";

export function startModuleWorker(moduleUrl: string, exportName: string, options: WorkerOptions = {}): Worker {
  const call = `.then((m) => m[${JSON.stringify(exportName)}]())`;
  const fail = `.catch((err) => { setImmediate(() => { throw err; }); })`;
  let code = `import(${JSON.stringify(moduleUrl)})${call}${fail};`;
  if (moduleUrl.startsWith("file:") && moduleUrl.endsWith(".ts")) {
    const tsxApi = import.meta.resolve("tsx/esm/api");
    code = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(moduleUrl)}); })${call}${fail};`;
  }
  return new Worker(code, { ...options, eval: true });
}
