// CPU time a process has used (user + system), from /proc: how a benchmark shows where the
// per-trial cost of each daemon goes. Linux only; elsewhere it reports nothing.
import { existsSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** Seconds of CPU the process has used, or undefined where /proc does not say. */
export function processCpuSeconds(pid: number): number | undefined {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return undefined;
  // Fields after the command name (which may hold spaces) : utime and stime are the 12th and 13th.
  const raw = readFileSync(path, "utf8");
  const fields = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
