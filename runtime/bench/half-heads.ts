// Memory a controller holds for unauthenticated sockets that send most of a request head (all
// but 256 bytes of what daemons take) and never finish it: its RSS before, at the peak while they are open, and
// once its head timeout has cut them. Linux only (/proc); 127.0.0.1 only; stops by itself.
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { Cluster, waitFor } from "../e2e/cluster.ts";
import { MAX_HEADER_BYTES } from "../http/listen.ts";

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HalfHeadsWave {
  /** Sockets the controller accepted and that sent their head. */
  sent: number;
  /** At most this many were open at once (seen from this side). */
  peakOpen: number;
  peakMiB: number;
  /** Seconds from the first socket until the controller had closed them all. */
  allClosedSeconds: number;
  /** A few seconds after the last was closed. */
  afterMiB: number;
}

export interface HalfHeadsFigures {
  sockets: number;
  beforeMiB: number;
  /** Two waves, one after the other: the second shows whether the memory of the first is reused or kept on top. */
  waves: HalfHeadsWave[];
}

/** Opens `sockets` sockets that each send all but 256 bytes of the longest head a daemon takes; resolves once the controller has closed them all. */
async function wave(pid: number, port: number, sockets: number, open: Set<Socket>): Promise<HalfHeadsWave> {
  let peakMiB = rssMiB(pid), peakOpen = 0, sent = 0;
  const sampler = setInterval(() => (peakMiB = Math.max(peakMiB, rssMiB(pid))), 100);
  const head = `GET /?running=${"1".repeat(MAX_HEADER_BYTES - 256)}`;
  const t0 = performance.now();
  try {
    // In batches, within the listen backlog; each socket is left open until the controller closes it.
    for (let i = 0; i < sockets; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, sockets - i) }, () => new Promise<void>((resolve) => {
        const s = connect(port, "127.0.0.1");
        s.on("error", () => {});
        // Read the 408 it gets: a paused socket never sees the controller's end, nor closes.
        s.resume();
        s.once("close", () => (open.delete(s), resolve()));
        s.once("connect", () => {
          open.add(s);
          peakOpen = Math.max(peakOpen, open.size);
          s.write(head, () => (sent++, resolve()));
        });
      })));
    }
    await waitFor(async () => open.size === 0, 60_000, "the controller to close every half-sent head");
  } finally {
    clearInterval(sampler);
  }
  const allClosedSeconds = (performance.now() - t0) / 1000;
  // Let the freed buffers go (V8 and the allocator return memory lazily, if at all).
  await sleep(3_000);
  return { sent, peakOpen, peakMiB, allClosedSeconds, afterMiB: rssMiB(pid) };
}

export async function halfHeadsBench(sockets: number): Promise<HalfHeadsFigures> {
  const c = new Cluster();
  const open = new Set<Socket>();
  try {
    const ctl = await c.startController(c.writeConfig("half-heads", {
      name: "half-heads", dataset: { name: "xor", train: 10, test: 10 }, model: { hidden: [2] }, train: { epochs: 1, batch: 4, lr: 0.1 },
    }));
    const pid = ctl.child.pid!;
    const port = Number(new URL(c.url).port);
    await sleep(2_000);
    const beforeMiB = rssMiB(pid);
    const waves = [await wave(pid, port, sockets, open), await wave(pid, port, sockets, open)];
    return { sockets, beforeMiB, waves };
  } finally {
    for (const s of open) s.destroy();
    await c.stopAll();
  }
}
