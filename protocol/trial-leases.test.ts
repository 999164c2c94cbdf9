// Leases: good ones pass a quick check in place; the quick check must accept exactly what
// z.array(TrialLease) accepts unchanged, and leave everything else to it.
import { test } from "node:test";
import { assertSameDecision } from "./same-decision.ts";
import assert from "node:assert/strict";
import { z } from "zod";
import { TrialLease, TrialLeases } from "./messages.ts";

const Detailed = z.array(TrialLease);
const sha = "cd".repeat(32);
const manifest = () => ({ bundleSha: sha, expiresAt: 1_700_000_000_000, proof: [`l${"A".repeat(43)}`, `r${"b_-".repeat(14)}c`], signature: "s".repeat(86) });
const good = () => [
  {
    trialId: 7, attempt: 1, sweepId: 2, experiment: { name: "network", sha: null },
    config: { dataset: { name: "xor" }, train: { lr: 0.1, epochs: 2 } }, params: { "train.lr": 0.1 },
    seed: 0, datasets: { "xor:1": sha }, deadline: 1_700_000_000_000, manifest: manifest(),
  },
  { trialId: 8, attempt: 3, sweepId: 2, experiment: { name: "mine", sha }, config: {}, params: {}, seed: 12, datasets: {}, deadline: 5, manifest: { ...manifest(), proof: [] } },
];
type Leases = ReturnType<typeof good>;

test("good leases pass as they are, and as the detailed schema gives them", () => {
  const v = JSON.parse(JSON.stringify(good()));
  const out = TrialLeases.parse(v);
  assert.equal(out, v, "no copy");
  assert.deepEqual(out, Detailed.parse(JSON.parse(JSON.stringify(good()))));
});

const variants: Array<[string, (l: Leases) => void]> = [
  ["an extra key (stripped)", (l) => Object.assign(l[0]!, { extra: 1 })],
  ["an extra experiment key (stripped)", (l) => Object.assign(l[0]!.experiment, { extra: 1 })],
  ["a stopping rule", (l) => Object.assign(l[0]!, { earlyStopping: { rule: "median", metric: "loss", goal: "minimize", minSteps: 1, every: 1 } })],
  ["a stopStep and a parent's state to restore", (l) => Object.assign(l[0]!, { stopStep: 4, keepState: true, restore: { step: 2, sha256: sha } })],
  ["a stopStep of 0", (l) => Object.assign(l[0]!, { stopStep: 0, keepState: true })],
  ["a stopStep of 1.5", (l) => Object.assign(l[0]!, { stopStep: 1.5 })],
  ["a bad stopping rule", (l) => Object.assign(l[0]!, { earlyStopping: { rule: "nonsense" } })],
  ["no datasets", (l) => delete (l[0] as Partial<Leases[0]>).datasets],
  ["trialId 0", (l) => (l[0]!.trialId = 0)],
  ["sweepId 1.5", (l) => (l[0]!.sweepId = 1.5)],
  ["attempt 2^53", (l) => (l[0]!.attempt = 2 ** 53)],
  ["seed -1", (l) => (l[0]!.seed = -1)],
  ["seed 2^53", (l) => (l[0]!.seed = 2 ** 53)],
  ["seed 0.5", (l) => (l[0]!.seed = 0.5)],
  ["deadline Infinity", (l) => (l[0]!.deadline = Infinity)],
  ["deadline NaN", (l) => (l[0]!.deadline = Number.NaN)],
  ["deadline a string", (l) => ((l[0] as Record<string, unknown>).deadline = "5")],
  ["an experiment name of 200", (l) => (l[0]!.experiment.name = "e".repeat(200))],
  ["an experiment name of 201", (l) => (l[0]!.experiment.name = "e".repeat(201))],
  ["an experiment SHA upper case", (l) => ((l[0]!.experiment as { sha: string | null }).sha = sha.toUpperCase())],
  ["no experiment SHA key", (l) => delete (l[0]!.experiment as Partial<Leases[0]["experiment"]>).sha],
  ["config an array", (l) => ((l[0] as Record<string, unknown>).config = [])],
  ["config null", (l) => ((l[0] as Record<string, unknown>).config = null)],
  ["params a number", (l) => ((l[0] as Record<string, unknown>).params = 3)],
  ["a dataset SHA short", (l) => (l[0]!.datasets["xor:1"] = "ab")],
  ["a dataset SHA a number", (l) => ((l[0]!.datasets as Record<string, unknown>)["xor:1"] = 5)],
  ["no manifest", (l) => delete (l[0] as Partial<Leases[0]>).manifest],
  ["an extra manifest key (stripped)", (l) => Object.assign(l[0]!.manifest, { extra: 1 })],
  ["a manifest bundle SHA short", (l) => (l[0]!.manifest.bundleSha = "ab")],
  ["a manifest expiry NaN", (l) => (l[0]!.manifest.expiresAt = Number.NaN)],
  ["a manifest expiry a string", (l) => ((l[0]!.manifest as Record<string, unknown>).expiresAt = "5")],
  ["a signature of 85", (l) => (l[0]!.manifest.signature = "s".repeat(85))],
  ["a signature with +", (l) => (l[0]!.manifest.signature = `+${"s".repeat(85)}`)],
  ["a proof step without a side", (l) => (l[0]!.manifest.proof[0] = `x${"A".repeat(43)}`)],
  ["a proof step of 42", (l) => (l[0]!.manifest.proof[0] = `l${"A".repeat(42)}`)],
  ["a proof step a number", (l) => ((l[0]!.manifest.proof as unknown[])[0] = 5)],
  ["a proof of 40", (l) => (l[0]!.manifest.proof = Array.from({ length: 40 }, () => `l${"A".repeat(43)}`))],
  ["a proof of 41", (l) => (l[0]!.manifest.proof = Array.from({ length: 41 }, () => `l${"A".repeat(43)}`))],
  ["a hole in the proof", (l) => (l[0]!.manifest.proof.length = 3)],
  ["a lease null", (l) => ((l as unknown[])[0] = null)],
  ["a hole in the leases", (l) => ((l as unknown[]).length = 3)],
  ["a lease with a null prototype (copied)", (l) => Object.setPrototypeOf(l[0]!, null)],
  ["not an array", () => {}],
  ["an own __proto__ key in a config from JSON", () => {}],
];

test("every change to good leases is decided as the detailed schema decides it", () => {
  for (const [name, change] of variants) {
    const make = (): unknown => {
      if (name === "not an array") return { 0: good()[0] };
      const l = good();
      change(l);
      if (name.includes("__proto__")) return JSON.parse(JSON.stringify(l).replace('"config":{', '"config":{"__proto__":{"x":1},'));
      return l;
    };
    assertSameDecision(name, TrialLeases, Detailed, make);
  }
});
