// The `discalc` command: parses arguments and starts the pieces. The one place that wires
// kernels, protocol and runtime together.
import { parseArgs } from "node:util";
import { ConfigError } from "../protocol/config-errors.ts";
import { trainCommand } from "./train-command.ts";

const USAGE = `usage: discalc <command> [options]

commands:
  train CONFIG [--json]   train one trial config (YAML or JSON) on this machine, print each epoch
  bench [--quick]         benchmark the kernels against naive JavaScript and tfjs-wasm

run "npm run kernels:build" first if the kernels are not built.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "train": {
      const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: "boolean", default: false } } });
      if (positionals.length !== 1) throw new UsageError("train takes exactly one CONFIG file");
      await trainCommand(positionals[0]!, values.json!);
      return 0;
    }
    case "bench": {
      process.argv = [process.argv[0]!, "bench", ...rest];
      await import("../kernels/bench.ts");
      return 0;
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`discalc: ${err.message}\n\n${USAGE}`);
    else if (err instanceof ConfigError) console.error(`discalc: ${err.message}`);
    else if (err instanceof Error && "code" in err && err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") console.error(`discalc: ${err.message}`);
    else console.error(`discalc: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = err instanceof UsageError || err instanceof ConfigError ? 2 : 1;
  },
);
