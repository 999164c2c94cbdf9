// The `discalc` command: parses arguments and starts the pieces. The one place that wires
// kernels, protocol and runtime together.
import { parseArgs, type ParseArgsConfig } from "node:util";
// Each command's modules are imported when it runs: `discalc run` and `discalc join` start in
// a fraction of the time that loading every command's dependencies (the store's drivers, the
// experiments, pino) takes.
import { ConfigError } from "../kernels/config-errors.ts";
import { tokenArgs, tokenOption, TokenOptionError } from "./commands/token-option.ts";
import type { StoreLocation } from "./controller/store/store.ts";

/**
 * Each command's usage: `discalc COMMAND --help` prints its own, `discalc --help` all of them.
 * The first word of each is the command's name.
 */
const COMMAND_USAGE: ReadonlyArray<readonly [string, string]> = [
  ["run", `  run SWEEP [--threads N] [--max-threads M] [--data DIR] [--new] [--verbose]
        run a sweep on this machine (controller, root relay, local agent); print the leaderboard`],
  ["controller", `  controller --config SWEEP --token T [--relay-token R] [--admin-token A] [--no-promote] [--max-threads M] [--port 7070] [--host 0.0.0.0]
             [--data DIR] [--store postgres://user@host:port/db] [--new] [--private] [--trust-proxy]
             [--advertise URL] [--print-token] [--max-connections N] [--max-state-bytes B]
        serve a sweep to a fleet (workers join with T, relays with R, commands and deploys take A;
        R defaults to A, and A is generated into DIR/admin-token when not given);
        --max-threads: a machine asking more threads at join is granted M (default 256, at most 1024)
        --advertise: the URL the printed join lines name (else a network address of this machine);
        --print-token: put T in the printed one-line join (else it reads DISCALC_TOKEN where it runs);
        --max-connections: open connections at most (4096; DISCALC_MAX_CONNECTIONS, which relays read too)
        --max-state-bytes: the largest trial checkpoint or kept final state stored (default 67108864, 64 MiB)`],
  ["join", `  join --controller URL --token T [--threads N] [--role relay|worker] [--exit-when-idle [SECONDS]] [--term-grace SECONDS] [--relay-port P] [--listen HOST] [--advertise URL]
        join this machine to a controller (as the bootstrap one-liner does); --role relay takes the relay token;
        threads default to what the machine grants (SLURM_CPUS_PER_TASK, the cgroup CPU quota, CPU affinity, cores);
        --exit-when-idle: exit 0 once nothing runs and the controller has had nothing to lease for SECONDS (60);
        --term-grace: on SIGTERM, running trials get SECONDS (25; DISCALC_TERM_GRACE_SECONDS) to store a checkpoint, then go back`],
  ["relay", `  relay --controller URL --token R [--port P] [--listen HOST] [--advertise URL]
        join as a relay, with the relay token`],
  ["sweep", `  sweep extend --controller URL --admin-token A --sweep ID [--samples N] [--repeats R]
        more samples (random, tpe) or repeats for a running or finished sweep: the new totals; existing trials stay`],
  ["deploy", `  deploy --controller URL --admin-token A [--label L]
        bundle the node runtime with the built kernels and make it current on the fleet`],
  ["export", `  export (--data DIR | --store URL) --format csv|jsonl [--sweep ID] [--out FILE]
        one row per trial`],
  ["status", `  status --controller URL [--token T]
        the network (controller → relays → workers, alive/silent/gone, live statistics) and each sweep's progress`],
  ["best", `  best --sweep ID (--controller URL [--token T] | --data DIR | --store URL) [--top N] [--json] [--importance]
        a sweep's leaderboard by its metric (mean ± std over seeds per point); --json prints the rows (all unless --top)`],
  ["train", `  train CONFIG [--json] [--save FILE]
  train --trial N (--controller URL [--token T] | --data DIR | --store URL) [--json] [--save FILE]
        run one trial here and print its parameters, resolved config, reports and result hash:
        CONFIG runs the config's own values (not its search); --trial N reruns a stored trial of a sweep
        and checks its hash against the stored one (exit 1 on a mismatch); --save writes its state (weights)`],
  ["artifact", `  artifact get --trial N --out FILE (--controller URL [--token T] | --data DIR | --store URL)
        a trial's kept final state: a built-in trial's weights as .npz (numpy.load opens it; names and
        layouts in docs/kept-models.md), a state of named arrays as .npz, any other state as its raw bytes`],
  ["bench", `  bench [--quick]
        benchmark the kernels against naive JavaScript and tfjs-wasm`],
];

const USAGE_FOOTER = `Every token option X also takes --X-file PATH (the file's first line) or the environment:
DISCALC_TOKEN, DISCALC_RELAY_TOKEN, DISCALC_ADMIN_TOKEN (a token in argv is visible in ps).
run "npm run build" first if the kernels are not built.
DISCALC_LOG_LEVEL=info|debug shows the controller's events (joins, commands, deploys) as JSON lines on stderr (default: warn).`;

const USAGE = `usage: discalc <command> [options]   (discalc <command> --help: that command alone)

commands:
${COMMAND_USAGE.map(([, u]) => u).join("\n")}

${USAGE_FOOTER}`;


/** One command's usage (and the shared notes on tokens and logs), or everything for an unknown name. */
function usageOf(command: string | undefined): string {
  const own = COMMAND_USAGE.find(([name]) => name === command);
  return own ? `usage: discalc ${own[1].trimStart()}\n\n${USAGE_FOOTER}` : USAGE;
}

class UsageError extends Error {}

function args<O extends NonNullable<ParseArgsConfig["options"]>>(rest: string[], options: O, positionals = 0) {
  const parsed = parseArgs({ args: rest, options, allowPositionals: positionals > 0, strict: true });
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(positionals ? `expected ${positionals} argument(s), got ${parsed.positionals.length}` : "unexpected argument");
  }
  return parsed;
}

const int = (name: string, v: string | undefined, min: number, max: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}..${max}, got "${v}"`);
  return n;
};
/** A store to read beside its controller: --data DIR (SQLite) or --store URL / DISCALC_STORE (PostgreSQL). */
const storeOption = async (values: { data?: string; store?: string }): Promise<StoreLocation | undefined> => {
  if (values.data !== undefined && values.store !== undefined) throw new UsageError("give --data DIR or --store URL, not both");
  if (values.store !== undefined) return (await import("./controller/store/store.ts")).storeLocation(values.store, "");
  return values.data !== undefined ? { dir: values.data } : undefined;
};
const required = (name: string, v: string | undefined): string => {
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
};
const role = (v: string | undefined) => {
  if (v !== undefined && v !== "relay" && v !== "worker") throw new UsageError(`--role must be relay or worker, got "${v}"`);
  return v as "relay" | "worker" | undefined;
};
/**
 * The controller's start-up and shutdown lines: plain text on stderr whatever the log level
 * (people, and the e2e harness, read "controller listening on URL" and the join line there).
 */
const plainLine = (m: string) => console.error(`[discalc ${new Date().toISOString()}] ${m}`);

/** The command being run, for a usage error's usage. */
let current: string | undefined;

/** --controller as a user types it: `host:port` is http://; anything that is no http(s) URL is refused now. */
async function controllerOption(v: string | undefined): Promise<string> {
  const { controllerUrl } = await import("./commands/controller-url.ts");
  try {
    return controllerUrl(required("controller", v));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  current = command;
  // --help and -h anywhere before a "--": that command's usage, and nothing run.
  const beforeDashes = rest.indexOf("--") < 0 ? rest : rest.slice(0, rest.indexOf("--"));
  if (command !== undefined && (beforeDashes.includes("--help") || beforeDashes.includes("-h"))) {
    console.log(usageOf(command));
    return 0;
  }
  const s = { type: "string" } as const;
  const b = { type: "boolean", default: false } as const;
  switch (command) {
    case "train": {
      const { positionals, values } = parseArgs({ args: rest, options: { json: b, trial: s, controller: s, data: s, store: s, save: s, ...tokenArgs("token") }, allowPositionals: true, strict: true });
      const { trainCommand } = await import("./commands/train.ts");
      const trial = int("trial", values.trial, 1, Number.MAX_SAFE_INTEGER);
      if (trial === undefined) {
        if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected 1 argument (CONFIG), got ${positionals.length}` : "give CONFIG, or --trial N with --controller, --data or --store");
        for (const flag of ["controller", "data", "store"] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --trial N (a config file runs its own values)`);
        return trainCommand({ config: positionals[0]!, save: values.save, json: values.json! });
      }
      if (positionals.length) throw new UsageError("--trial N takes no CONFIG (the stored trial is its own config)");
      const data = await storeOption(values);
      if ((data === undefined) === (values.controller === undefined)) throw new UsageError("--trial N needs one of --controller URL, --data DIR or --store URL");
      return trainCommand({
        trial, data, save: values.save, json: values.json!,
        ...(values.controller !== undefined && { controller: await controllerOption(values.controller), token: tokenOption(values, "token") }),
      });
    }
    case "run": {
      const { positionals, values } = args(rest, { threads: s, "max-threads": s, data: s, new: b, verbose: b }, 1);
      const { runCommand } = await import("./commands/run.ts");
      return runCommand({
        config: positionals[0]!, threads: int("threads", values.threads, 1, 1024), maxThreads: int("max-threads", values["max-threads"], 1, 1024),
        data: values.data, forceNew: values.new!, verbose: values.verbose!,
      });
    }
    case "controller": {
      const { values } = args(rest, {
        config: s, port: s, host: s, data: s, store: s, ...tokenArgs("token"), ...tokenArgs("relay-token"), ...tokenArgs("admin-token"),
        new: b, private: b, "trust-proxy": b, "no-promote": b, "max-threads": s, advertise: s, "print-token": b, "max-connections": s,
        "max-state-bytes": s,
      });
      const advertiseError = values.advertise === undefined ? undefined : (await import("./commands/join-url.ts")).advertiseProblem(values.advertise);
      if (advertiseError) throw new UsageError(advertiseError);
      const { maxConnectionsFromEnv } = await import("./http/listen.ts");
      const maxConnections = int("max-connections", values["max-connections"], 1, 1_000_000) ?? maxConnectionsFromEnv();
      const [{ controllerCommand }, { createLogger, pinoEvents }] = await Promise.all([import("./commands/controller.ts"), import("./log.ts")]);
      // Events (joins, commands, deploys, store failures) go to pino; what controllerCommand
      // prints before it returns (the sweep, the URL, the join lines) stays plain text.
      const events = pinoEvents(createLogger("controller"));
      let started = false;
      const controller = await controllerCommand({
        config: required("config", values.config), port: int("port", values.port, 0, 65535) ?? 7070, host: values.host ?? "0.0.0.0",
        data: values.data ?? "discalc-data", store: values.store ?? (process.env.DISCALC_STORE || undefined), token: required("token", tokenOption(values, "token")),
        relayToken: tokenOption(values, "relay-token"), adminToken: tokenOption(values, "admin-token"), promote: !values["no-promote"],
        maxThreads: int("max-threads", values["max-threads"], 1, 1024),
        maxStateBytes: int("max-state-bytes", values["max-state-bytes"], 1, 2 ** 31 - 1),
        forceNew: values.new!, privateApi: values.private!, trustProxy: values["trust-proxy"]!,
        advertise: values.advertise, printToken: values["print-token"]!, maxConnections,
      }, (level, event, m) => (started ? events(level, event, m) : plainLine(m)));
      started = true;
      await new Promise<void>((resolve) => {
        process.once("SIGTERM", resolve);
        process.once("SIGINT", resolve);
      });
      plainLine("controller stopping");
      await controller.close();
      return 0;
    }
    case "join":
    case "relay": {
      // --exit-when-idle takes an optional number of seconds (default 60).
      const at = rest.indexOf("--exit-when-idle");
      if (at >= 0 && !/^\d+$/.test(rest[at + 1] ?? "")) rest.splice(at + 1, 0, "60");
      const { values } = args(rest, {
        controller: s, ...tokenArgs("token"), threads: s, role: s, "relay-port": s, port: s, listen: s, advertise: s, "exit-when-idle": s,
        "term-grace": s,
      });
      const { joinCommand, grantedThreads } = await import("./commands/join.ts");
      return joinCommand({
        controller: await controllerOption(values.controller), token: required("token", tokenOption(values, "token")),
        threads: int("threads", values.threads, 1, 1024) ?? (grantedThreads() as { threads: number }).threads,
        exitWhenIdle: int("exit-when-idle", values["exit-when-idle"], 1, 7 * 86_400),
        termGrace: int("term-grace", values["term-grace"], 0, 3600),
        role: command === "relay" ? "relay" : role(values.role),
        relayPort: int(command === "relay" ? "port" : "relay-port", command === "relay" ? values.port : values["relay-port"], 0, 65535),
        listen: values.listen, advertise: values.advertise,
      });
    }
    case "deploy": {
      const { values } = args(rest, { controller: s, ...tokenArgs("admin-token"), label: s });
      const { deployCommand } = await import("./commands/deploy.ts");
      // The outcome is the command's answer: printed, not logged.
      await deployCommand({ controller: await controllerOption(values.controller), adminToken: required("admin-token", tokenOption(values, "admin-token")), label: values.label },
        (m) => console.log(m));
      return 0;
    }
    case "sweep": {
      const [sub, ...more] = rest;
      if (sub !== "extend") throw new UsageError(`sweep: unknown subcommand "${sub ?? ""}" (sweep extend)`);
      const { values } = args(more, { controller: s, ...tokenArgs("admin-token"), sweep: s, samples: s, repeats: s });
      const samples = int("samples", values.samples, 1, 1_000_000), repeats = int("repeats", values.repeats, 1, 1000);
      if (samples === undefined && repeats === undefined) throw new UsageError("give --samples N or --repeats R (the new totals)");
      const { sweepExtendCommand } = await import("./commands/sweep-extend.ts");
      console.log(await sweepExtendCommand({
        controller: await controllerOption(values.controller), adminToken: required("admin-token", tokenOption(values, "admin-token")),
        sweep: int("sweep", required("sweep", values.sweep), 1, Number.MAX_SAFE_INTEGER)!, samples, repeats,
      }));
      return 0;
    }
    case "artifact": {
      const [sub, ...more] = rest;
      if (sub !== "get") throw new UsageError(`artifact: unknown subcommand "${sub ?? ""}" (artifact get)`);
      const { values } = args(more, { trial: s, out: s, controller: s, ...tokenArgs("token"), data: s, store: s });
      const trial = int("trial", required("trial", values.trial), 1, Number.MAX_SAFE_INTEGER)!;
      const out = required("out", values.out);
      const data = await storeOption(values);
      if ((data === undefined) === (values.controller === undefined)) throw new UsageError("give one of --controller URL, --data DIR or --store URL");
      if (values.token !== undefined && data !== undefined) throw new UsageError("--token goes with --controller, not --data or --store");
      const { artifactGetCommand } = await import("./commands/artifact.ts");
      return artifactGetCommand({
        trial, out, data,
        ...(values.controller !== undefined && { controller: await controllerOption(values.controller), token: tokenOption(values, "token") }),
      });
    }
    case "status": {
      const { values } = args(rest, { controller: s, ...tokenArgs("token") });
      const { statusCommand } = await import("./commands/status.ts");
      console.log(await statusCommand({ controller: await controllerOption(values.controller), token: tokenOption(values, "token") }));
      return 0;
    }
    case "best": {
      const { values } = args(rest, { sweep: s, controller: s, ...tokenArgs("token"), data: s, store: s, top: s, json: b, importance: b });
      const sweep = int("sweep", required("sweep", values.sweep), 1, Number.MAX_SAFE_INTEGER)!;
      const local = await storeOption(values);
      if ((values.controller === undefined) === (local === undefined)) throw new UsageError("give one of --controller URL, --data DIR or --store URL");
      if (values.token !== undefined && local !== undefined) throw new UsageError("--token goes with --controller, not --data or --store");
      const { bestCommand } = await import("./commands/best.ts");
      process.stdout.write(await bestCommand({
        sweep, controller: values.controller === undefined ? undefined : await controllerOption(values.controller), token: values.controller !== undefined ? tokenOption(values, "token") : undefined, data: local, top: int("top", values.top, 1, 1_000_000), json: values.json!,
        importance: values.importance,
      }));
      return 0;
    }
    case "export": {
      const { values } = args(rest, { data: s, store: s, format: s, sweep: s, out: s });
      const format = values.format ?? "csv";
      if (format !== "csv" && format !== "jsonl") throw new UsageError(`--format must be csv or jsonl, got "${format}"`);
      const at = await storeOption(values);
      if (at === undefined) throw new UsageError("--data DIR or --store URL is required");
      const { exportCommand } = await import("./commands/export.ts");
      const text = await exportCommand({ at, format, sweep: int("sweep", values.sweep, 1, Number.MAX_SAFE_INTEGER), out: values.out });
      if (!values.out) process.stdout.write(text);
      return 0;
    }
    case "bench": {
      process.argv = [process.argv[0]!, "bench", ...rest];
      await import("../kernels/bench.ts");
      return 0;
    }
    case "help":
      // discalc help COMMAND: that command's usage.
      console.log(usageOf(rest[0]));
      return 0;
    case undefined:
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const usage = err instanceof UsageError || err instanceof TokenOptionError || (err as { code?: string })?.code?.startsWith("ERR_PARSE_ARGS");
    if (usage) console.error(`discalc: ${(err as Error).message}\n\n${usageOf(current)}`);
    else console.error(`discalc: ${err instanceof Error ? err.message : String(err)}`), process.env.DISCALC_DEBUG && console.error(String((err as Error)?.stack).slice(0, 3000));
    // A bad config, bad data or an experiment that does not build: exit 2, nothing started.
    process.exitCode = usage || err instanceof ConfigError || (err as Error)?.name === "ExperimentBuildError" ? 2 : 1;
  },
);
