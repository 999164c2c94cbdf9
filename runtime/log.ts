// Structured logs: pino, one JSON object per line on stderr. Quiet by default ("warn");
// DISCALC_LOG_LEVEL=info shows joins, commands and deploys, =debug more.
import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

const LEVELS: readonly LevelWithSilent[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** The level from DISCALC_LOG_LEVEL (default "warn"); a value pino does not know is refused. */
export function logLevel(env: string | undefined = process.env.DISCALC_LOG_LEVEL): LevelWithSilent {
  const v = env?.trim().toLowerCase();
  if (!v) return "warn";
  if (!(LEVELS as readonly string[]).includes(v)) {
    throw new Error(`DISCALC_LOG_LEVEL must be one of ${LEVELS.join(", ")}, got "${env}"`);
  }
  return v as LevelWithSilent;
}

/** A logger named `name` writing JSON lines to stderr, synchronously (nothing lost at exit). */
export function createLogger(name: string, level: LevelWithSilent = logLevel()): Logger {
  return pino(
    { name, level, timestamp: pino.stdTimeFunctions.isoTime, base: { pid: process.pid } },
    pino.destination({ fd: 2, sync: true }),
  );
}

type Level = "error" | "warn" | "info";

/**
 * The level of one of the controller's text events (the `log` callback of startController,
 * its root relay and its HTTP error middleware): failures of the store and 5xx answers are
 * errors, failed exchanges, silent workers and stalled sweeps warnings, everything else (joins, commands,
 * deploys) info.
 */
export function eventLevel(message: string): Level {
  if (/store write failed|lease expiry failed/.test(message)) return "error";
  if (/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \S+: /.test(message)) return "error";
  if (/\bfailed\b|\bcannot\b|\bsilent\b|^stall\b/.test(message)) return "warn";
  return "info";
}

/** The kind of event, as a field to filter on: the message's first word (join, command, deploy, …). */
function eventKind(message: string): string | undefined {
  if (/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /.test(message)) return "http";
  if (/store write failed|lease expiry failed/.test(message)) return "store";
  return /^(join|command|deploy|worker|relay|lease|result|heartbeat|stall|no live workers)\b/.exec(message)?.[1]?.replace(/ /g, "-");
}

/** Adapts a `(message) => void` log callback to the logger, at the level eventLevel picks. */
export function textEvents(logger: Logger): (message: string) => void {
  return (message) => {
    const event = eventKind(message);
    logger[eventLevel(message)](event ? { event } : {}, message);
  };
}
