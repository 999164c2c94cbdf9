// A fresh instance of an experiment's own AssemblyScript module per trial. The imports an
// AssemblyScript module with the stub runtime may ask for are provided deterministically:
// abort throws, seed returns the trial's seed (so Math.random repeats), trace goes to stderr.

export function instantiateExperimentWasm(module: WebAssembly.Module, seed: number, name: string): WebAssembly.Exports {
  let memory: WebAssembly.Memory | undefined;
  const text = (ptr: number) => {
    if (!memory || !ptr) return "";
    const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0]!;
    return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
  };
  const env: Record<string, unknown> = {
    abort(msg: number, file: number, line: number, column: number): never {
      throw new Error(`experiment ${name} wasm abort: ${text(msg)} at ${text(file)}:${line}:${column}`);
    },
    seed: () => seed,
    trace(msg: number, n: number, ...args: number[]) {
      process.stderr.write(`[${name} wasm] ${text(msg)}${n ? ` ${args.slice(0, n).join(", ")}` : ""}\n`);
    },
  };
  const missing = WebAssembly.Module.imports(module).filter((i) => i.module !== "env" || !(i.name in env));
  if (missing.length) {
    throw new Error(`experiment ${name}: its module imports ${missing.map((i) => `${i.module}.${i.name}`).join(", ")}, which discalc does not provide (env.abort, env.seed, env.trace)`);
  }
  const instance = new WebAssembly.Instance(module, { env: env as WebAssembly.ModuleImports });
  memory = instance.exports.memory as WebAssembly.Memory | undefined;
  return instance.exports;
}
