// A relay daemon's Prometheus series, read from the Relay when /metrics is scraped (its
// stats() and counters), so the poll and result paths carry no instrumentation.
import type { Registry } from "prom-client";
import { Counter, Gauge } from "prom-client";
import type { Relay } from "./relay.ts";
import { METRIC_PREFIX } from "../http/metrics.ts";

const P = `${METRIC_PREFIX}relay_`;

export function relayMetrics(registry: Registry, relay: Relay): void {
  const registers = [registry];
  /** A counter whose value is a running total the relay keeps itself. */
  const total = (name: string, help: string, read: () => number) => new Counter({
    name: `${P}${name}`, help, registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
  const gauge = (name: string, help: string, read: () => number) => new Gauge({
    name: `${P}${name}`, help, registers,
    collect() {
      this.set(read());
    },
  });

  total("polls_total", "Worker polls answered by this relay", () => relay.counters.polls);
  total("results_uploaded_total", "Results uploaded to the controller and acknowledged", () => relay.counters.resultsUploaded);
  total("handed_back_total", "Unstarted trials workers handed back at a sweep's end, re-queued here for idle threads", () => relay.counters.handedBack);
  total("upload_failures_total", "Result batch uploads that failed (the batch is kept and retried)", () => relay.counters.uploadFailures);
  gauge("queued_trials", "Leased trials held ready for workers", () => relay.stats().queued);
  gauge("running_trials", "Trials running on this relay's workers", () => relay.stats().running);
  gauge("buffered_results", "Results acknowledged to workers, not yet acknowledged by the controller", () => relay.stats().bufferedResults);
  new Gauge({
    name: `${P}workers`, help: "Workers known to this relay, by whether they polled within silentMs", labelNames: ["state"] as const, registers,
    collect() {
      const workers = relay.stats().workers;
      const silent = workers.filter((w) => w.silent).length;
      this.set({ state: "alive" }, workers.length - silent);
      this.set({ state: "silent" }, silent);
    },
  });
  new Counter({
    name: `${P}result_bytes_total`,
    help: "Bytes of bodies sent to the controller (result batches, also metrics and heartbeats): raw = JSON before deflate, wire = after",
    labelNames: ["encoding"] as const, registers,
    collect() {
      const st = relay.stats();
      this.reset();
      this.inc({ encoding: "raw" }, st.bytesBeforeCompression);
      this.inc({ encoding: "wire" }, st.bytesAfterCompression);
    },
  });
}
