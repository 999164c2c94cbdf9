// Load benchmark: thousands of simulated agents (one generator process) polling through 10
// relay daemons of one controller, on 127.0.0.1. Reports polls/s, poll latency, errors, and
// the controller's CPU and memory, at 500, 2,000 and 5,000 agents. Then the controller's memory
// with 4,000 sockets that each send nearly the longest request head a daemon takes and never finish (half-heads.ts).
//
//   npm run bench:load [-- --sizes 500,2000,5000] [-- --seconds 60] [-- --interval 2000] [-- --half-heads 4000]
//   npm run bench:load -- --sizes= --half-heads 4000      (the half-sent heads alone; 0 skips them)
import { MAX_HEADER_BYTES } from "../http/listen.ts";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { Cluster, waitFor, type Proc } from "../e2e/cluster.ts";
import { halfHeadsBench, type HalfHeadsFigures } from "./half-heads.ts";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "500,2000,5000" }, seconds: { type: "string", default: "60" },
    interval: { type: "string", default: "2000" }, relays: { type: "string", default: "10" },
    out: { type: "string", default: "build/bench/load.json" }, "half-heads": { type: "string", default: "4000" },
  },
});
const GENERATOR = fileURLToPath(new URL("./load-agents.ts", import.meta.url));

/** CPU seconds (user + system) and resident MiB of a process, from /proc. */
function usage(pid: number): { cpu: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpu = (Number(fields[11]) + Number(fields[12])) / 100;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return { cpu, rssMiB: Number(rss) / 1024 };
}

async function run(agents: number) {
  const c = new Cluster();
  try {
    const ctl = await c.startController(c.writeConfig("load", {
      name: "load", dataset: { name: "xor", train: 10, test: 10 }, model: { hidden: [2] }, train: { epochs: 1, batch: 4, lr: 0.1 },
      relays: { fanout: 10_000 },
      // Thousands of agents join as fast as they can: what is measured, so no join limit.
    }), { env: { DISCALC_JOIN_LIMIT: "1000000/1000000" } });
    const relays: Proc[] = [];
    for (let i = 0; i < Number(args.relays); i++) relays.push(c.startRelay());
    await waitFor(async () => (await c.client.getAll("nodes")).filter((n) => n.role === "relay" && n.url).length === relays.length,
      60_000, "relays", () => c.dump());
    const before = usage(ctl.child.pid!);
    const relayBefore = relays.map((r) => usage(r.child.pid!).cpu);
    const t0 = performance.now();
    let peakRss = before.rssMiB;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, usage(ctl.child.pid!).rssMiB)), 1000);
    const gen = spawn(process.execPath, ["--import", "tsx", GENERATOR, "--controller", c.url, "--token", c.token,
      "--agents", String(agents), "--seconds", args.seconds!, "--interval", args.interval!], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    gen.stdout.on("data", (d) => (out += d));
    await new Promise((r) => gen.once("exit", r));
    clearInterval(sampler);
    const wall = (performance.now() - t0) / 1000;
    const after = usage(ctl.child.pid!);
    const relayCpu = relays.reduce((sum, r, i) => sum + usage(r.child.pid!).cpu - relayBefore[i]!, 0);
    const figures = JSON.parse(out.trim().split("\n").at(-1)!);
    return {
      ...figures,
      controllerCpuPct: (100 * (after.cpu - before.cpu)) / wall,
      controllerRssMiB: after.rssMiB, controllerPeakRssMiB: peakRss,
      relaysCpuPct: (100 * relayCpu) / wall,
    };
  } finally {
    await c.stopAll();
  }
}

console.log(`discalc load benchmark — simulated agents polling through ${args.relays} relays, one poll per agent every ${args.interval} ms, ${args.seconds} s per size\n`);
console.log("agents  relays  joins/s   polls/s   p50 ms   p99 ms   max ms  errors  controller CPU  controller RSS  relays CPU (sum)");
const rows = [];
for (const n of args.sizes!.split(",").filter(Boolean).map(Number)) {
  const r = await run(n);
  rows.push(r);
  const errors = Object.values(r.errors as Record<string, number>).reduce((s, x) => s + x, 0);
  console.log(
    `${String(n).padStart(6)}  ${String(r.relays).padStart(6)}  ${(n / r.joinSeconds).toFixed(0).padStart(7)}  ${r.pollsPerSec.toFixed(0).padStart(8)}  ${r.p50ms.toFixed(1).padStart(7)}  ${r.p99ms.toFixed(1).padStart(7)}  ${r.maxMs.toFixed(0).padStart(7)}  ${String(errors).padStart(6)}  ${r.controllerCpuPct.toFixed(1).padStart(13)}%  ${r.controllerPeakRssMiB.toFixed(0).padStart(10)} MiB  ${r.relaysCpuPct.toFixed(0).padStart(15)}%`,
  );
  if (errors) console.log(`        errors: ${JSON.stringify(r.errors)}`);
}
let halfHeads: HalfHeadsFigures | undefined;
if (Number(args["half-heads"])) {
  halfHeads = await halfHeadsBench(Number(args["half-heads"]));
  const h = halfHeads;
  console.log(`\nhalf-sent heads: ${h.sockets} sockets each send ${((MAX_HEADER_BYTES - 256) / 1024).toFixed(1)} KiB of a request head and never finish it, twice; controller RSS before: ${h.beforeMiB.toFixed(0)} MiB`);
  console.log("wave  sent  open at once  controller peak RSS  RSS after the head timeout  all closed after");
  for (const [i, w] of h.waves.entries()) {
    console.log(`${String(i + 1).padStart(4)}  ${String(w.sent).padStart(4)}  ${String(w.peakOpen).padStart(12)}  ${w.peakMiB.toFixed(0).padStart(15)} MiB  ${w.afterMiB.toFixed(0).padStart(22)} MiB  ${w.allClosedSeconds.toFixed(1).padStart(14)} s`);
  }
}
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(args.out!, JSON.stringify({ date: new Date().toISOString(), node: process.version, rows, halfHeads }, null, 2));
console.log(`\nfigures written to ${args.out}`);
