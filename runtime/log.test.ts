// The event log: each call's level and kind reach the JSON line as given, and the level
// filter drops what is below it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { logLevel, pinoEvents } from "./log.ts";

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { lines, log: pinoEvents(pino({ level }, sink)) };
}

test("an event's level and kind are the call site's, its message unchanged", async () => {
  const { lines, log } = capture("info");
  log("error", "store", "store write failed (EIO): refusing work until restarted");
  log("info", "join", "join: lab-3 (8 threads) → worker w4 under root");
  log("warn", "stall", "stall: sweep 1 \"a\": no trial has made progress for 34 s");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines.map((l) => [l.level, l.event, l.msg]), [
    [50, "store", "store write failed (EIO): refusing work until restarted"],
    [30, "join", "join: lab-3 (8 threads) → worker w4 under root"],
    [40, "stall", "stall: sweep 1 \"a\": no trial has made progress for 34 s"],
  ]);
});

test("below the logger's level nothing is written", async () => {
  const { lines, log } = capture("warn");
  log("info", "command", "command 3: pause sweep 1");
  log("warn", "worker", "worker w2 silent for 5012 ms: handing back 2 trial(s)");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines.map((l) => l.event), ["worker"]);
});

test("DISCALC_LOG_LEVEL: warn by default, a known level taken, anything else refused", () => {
  assert.equal(logLevel(undefined), "warn");
  assert.equal(logLevel(" Info "), "info");
  assert.throws(() => logLevel("loud"), /DISCALC_LOG_LEVEL must be one of .*got "loud"/);
});
