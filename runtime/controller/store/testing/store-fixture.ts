// A fresh store with one registered sweep, a scheduler on it and a fake clock: what the store
// and decision conformance suites start each test from. Test code only.
import type { TestContext } from "node:test";
import { Store, type StoreLocation } from "../store.ts";
import { Scheduler } from "../../scheduler/scheduler.ts";
import { registerSweep } from "../../sweeps/register-sweep.ts";
import { parseSweepConfig } from "../../sweeps/sweep-config.ts";

export const MNIST_SHA = "ab".repeat(32);
export const T0 = 1_700_000_000_000;

/** A small synthetic sweep: 3 lr values × 2 repeats = 6 trials. */
export const xorSweep = (extra: object = {}) => ({
  name: "xor-lr",
  dataset: { name: "xor", train: 200, test: 50 },
  model: { hidden: [8], activation: "tanh" },
  train: { epochs: 2, batch: 16, lr: 0.1 },
  search: { method: "grid", repeats: 2, parameters: { "train.lr": [0.05, 0.1, 0.2] } },
  leaseSeconds: 30,
  maxAttempts: 2,
  ...extra,
});

/** Where each test gets a fresh, empty store, and how it is thrown away. */
export interface StoreBackend {
  fresh(): Promise<StoreLocation>;
  drop(at: StoreLocation): Promise<void>;
}

export interface Fixture {
  store: Store;
  sched: Scheduler;
  sweepId: number;
  /** Moves the fake clock forward by ms. */
  advance(ms: number): void;
  now(): number;
  /** Closes the store and opens it again (a controller restart). */
  reopen(): Promise<void>;
}

export async function makeFixture(t: TestContext, backend: StoreBackend, config: object = xorSweep()): Promise<Fixture> {
  const at = await backend.fresh();
  let clock = T0;
  const f: Fixture = {
    store: await Store.open(at),
    sched: undefined as unknown as Scheduler,
    sweepId: 0,
    advance: (ms) => { clock += ms; },
    now: () => clock,
    async reopen() {
      await f.store.close();
      f.store = await Store.open(at);
      f.sched = new Scheduler(f.store, { datasets: { mnist: MNIST_SHA }, now: () => clock });
    },
  };
  f.sched = new Scheduler(f.store, { datasets: { mnist: MNIST_SHA }, now: () => clock });
  f.sweepId = (await registerSweep(f.store, parseSweepConfig(config), { now: clock })).sweepId;
  t.after(async () => {
    await f.store.close().catch(() => { /* already closed */ });
    await backend.drop(at);
  });
  return f;
}
