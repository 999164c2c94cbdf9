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

/** How serious an event is; each call site says it (nothing is guessed from the text). */
export type EventLevel = "error" | "warn" | "info";

/**
 * Where the controller and the relays report events: each call names its level and its kind
 * (the `event` field users filter on: join, command, deploy, http, store, stall, …).
 */
export type EventLog = (level: EventLevel, event: string, message: string) => void;

/** Writes each event as a JSON line at its level, with its kind as the `event` field. */
export function pinoEvents(logger: Logger): EventLog {
  return (level, event, message) => logger[level]({ event }, message);
}
