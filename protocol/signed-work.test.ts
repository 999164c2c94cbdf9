// Signed leases and commands: a worker runs exactly what the controller signed, and nothing a
// carrier changed on the way, whatever the batch's size and whichever of its leases it sees.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { canonicalJson, commandMessage, signLeases, WorkVerifier } from "./signed-work.ts";
import { TrialLease, TrialLeases, type Command, type UnsignedLease } from "./messages.ts";

const keys = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { pem: publicKey.export({ type: "spki", format: "pem" }).toString(), sign: (m: Buffer) => sign(null, m, privateKey).toString("base64url") };
};
const controller = keys();
const bundle = "b".repeat(64);
const sha = (c: string) => c.repeat(64);
const NOW = 1_800_000_000_000;

const lease = (trialId: number, extra: Partial<UnsignedLease> = {}): UnsignedLease => ({
  trialId, attempt: 1, sweepId: 3, experiment: { name: "mine", sha: sha("e") }, config: { train: { lr: 0.1, epochs: 2 }, p: [1, 2] },
  params: { "train.lr": 0.1 }, seed: trialId, datasets: { "xor:1": sha("d") }, deadline: NOW + 10_000, ...extra,
});
const batch = (n: number, extra: Partial<UnsignedLease> = {}) =>
  signLeases(Array.from({ length: n }, (_, i) => lease(i + 1, extra)), bundle, NOW + 60_000, controller.sign);
/** As the wire gives it: JSON out and back, through the schema a worker parses with. */
const wire = (l: unknown): TrialLease => TrialLease.parse(JSON.parse(JSON.stringify(l)));

test("every lease of batches of 1 to 17 passes, in any order, with every hop's copies", () => {
  for (let n = 1; n <= 17; n++) {
    const v = new WorkVerifier(controller.pem, () => NOW);
    const signed = batch(n).map(wire);
    for (const l of [...signed].reverse()) assert.equal(v.leaseProblem(l), null, `batch of ${n}, trial ${l.trialId}`);
    assert.ok(signed.every((l) => l.manifest.signature === signed[0]!.manifest.signature), "one signature a batch");
    assert.ok(signed.every((l) => l.manifest.proof.length <= Math.ceil(Math.log2(n))), "a path no longer than the tree is deep");
  }
});

test("keys in another order and a new deadline change nothing; a stopping rule is covered", () => {
  const [l] = batch(1, { earlyStopping: { rule: "asha", min_epochs: 1, reduction: 3, max_wait_seconds: 300 } });
  // Every object's keys reversed, at every depth, and another deadline.
  const reverse = (v: unknown): unknown => Array.isArray(v) ? v.map(reverse)
    : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
  const reordered = JSON.parse(JSON.stringify({ ...(reverse(l) as object), deadline: 5 }));
  assert.notEqual(JSON.stringify(reordered.config), JSON.stringify(l!.config));
  assert.equal(new WorkVerifier(controller.pem, () => NOW).leaseProblem(wire(reordered)), null);
  const changed = wire(l);
  changed.earlyStopping = { rule: "asha", min_epochs: 1, reduction: 100, max_wait_seconds: 300 };
  assert.match(new WorkVerifier(controller.pem, () => NOW).leaseProblem(changed) ?? "", /not the controller's/);
});

const alterations: Array<[string, (l: TrialLease) => void]> = [
  ["the experiment blob", (l) => (l.experiment.sha = sha("f"))],
  ["the experiment's name", (l) => (l.experiment.name = "other")],
  ["a built-in in place of a blob", (l) => (l.experiment.sha = null)],
  ["a dataset blob", (l) => (l.datasets["xor:1"] = sha("0"))],
  ["an added dataset", (l) => (l.datasets.extra = sha("0"))],
  ["a config value", (l) => ((l.config.train as { lr: number }).lr = 0.2)],
  ["an added config key", (l) => (l.config.evil = true)],
  ["a param", (l) => (l.params["train.lr"] = 0.3)],
  ["the seed", (l) => (l.seed += 1)],
  ["the trial", (l) => (l.trialId += 100)],
  ["the attempt", (l) => (l.attempt += 1)],
  ["the sweep", (l) => (l.sweepId += 1)],
  ["an added stopping rule", (l) => (l.earlyStopping = { rule: "median", min_epochs: 1, min_trials: 1, max_wait_seconds: 1 })],
  ["the bundle", (l) => (l.manifest.bundleSha = sha("c"))],
  ["the expiry, later", (l) => (l.manifest.expiresAt += 86_400_000)],
];

/** Changes to the proof or the signature alone: refused by a verifier that has not yet seen the batch's root. */
const proofChanges: Array<[string, (l: TrialLease) => void]> = [
  ["a proof step's side", (l) => (l.manifest.proof[0] = (l.manifest.proof[0]![0] === "l" ? "r" : "l") + l.manifest.proof[0]!.slice(1))],
  ["a proof step's hash", (l) => (l.manifest.proof[0] = l.manifest.proof[0]!.slice(0, 1) + "A".repeat(43))],
  ["a proof step dropped", (l) => l.manifest.proof.pop()],
  ["another batch's signature", (l) => (l.manifest.signature = batch(6)[0]!.manifest.signature)],
];

test("a carrier that changes anything a worker would run gets it refused, even after its batch's other leases passed", () => {
  for (const [what, alter] of alterations) {
    const v = new WorkVerifier(controller.pem, () => NOW);
    const signed = batch(5).map(wire);
    // Its neighbours checked first: what they taught the verifier must not let a changed lease through.
    for (const l of signed.slice(1)) assert.equal(v.leaseProblem(l), null);
    const l = signed[0]!;
    alter(l);
    assert.notEqual(v.leaseProblem(l), null, what);
  }
  for (const [what, alter] of proofChanges) {
    const l = batch(5).map(wire)[0]!;
    alter(l);
    assert.notEqual(new WorkVerifier(controller.pem, () => NOW).leaseProblem(l), null, what);
  }
});

test("a batch signed by any other key, or past its expiry, is refused", () => {
  const forged = signLeases([lease(1)], bundle, NOW + 60_000, keys().sign).map(wire);
  assert.match(new WorkVerifier(controller.pem, () => NOW).leaseProblem(forged[0]!) ?? "", /not the controller's/);
  const [l] = batch(1).map(wire);
  assert.match(new WorkVerifier(controller.pem, () => NOW + 60_000).leaseProblem(l!) ?? "", /expired/);
  // Expiry is checked before anything remembered.
  const v = new WorkVerifier(controller.pem, () => NOW);
  assert.equal(v.leaseProblem(l!), null);
  const later = new WorkVerifier(controller.pem, () => NOW + 61_000);
  assert.match(later.leaseProblem(l!) ?? "", /expired/);
});

test("commands: the controller's pass, anything changed or unsigned is refused", () => {
  const c: Command = { seq: 4, kind: "cancel", sweepId: 2, trialId: null, bundleSha: null, at: NOW };
  const signed = { ...c, signature: controller.sign(commandMessage(c)) };
  const v = new WorkVerifier(controller.pem);
  assert.equal(v.commandProblem(signed), null);
  assert.match(v.commandProblem(c) ?? "", /not signed/);
  assert.match(v.commandProblem({ ...signed, kind: "shutdown" }) ?? "", /not the controller's/);
  assert.match(v.commandProblem({ ...signed, sweepId: 3 }) ?? "", /not the controller's/);
  assert.match(v.commandProblem({ ...signed, seq: 5 }) ?? "", /not the controller's/);
  assert.match(v.commandProblem({ ...c, signature: keys().sign(commandMessage(c)) }) ?? "", /not the controller's/);
});

test("canonical JSON sorts keys at every depth and keeps arrays in order", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: null }], c: "x" } }), '{"a":{"c":"x","d":[3,{"y":null,"z":1}]},"b":1}');
  assert.equal(canonicalJson({ a: undefined, b: 0.1 }), '{"b":0.1}');
});

test("a lease's checkpoint to resume from is signed: a carrier can neither swap it, add one, nor drop it", () => {
  const restore = { step: 10, sha256: sha("c") };
  const changes: Array<[string, Partial<UnsignedLease>, (l: TrialLease) => void]> = [
    ["another checkpoint", { restore }, (l) => void (l.restore = { step: 10, sha256: sha("f") })],
    ["another step", { restore }, (l) => void (l.restore = { ...restore, step: 5 })],
    ["dropped", { restore }, (l) => void delete l.restore],
    ["added", {}, (l) => void (l.restore = restore)],
    ["keepState dropped", { keepState: true }, (l) => void delete l.keepState],
    ["checkpointEvery changed", { checkpointEvery: 5 }, (l) => void (l.checkpointEvery = 50)],
    ["keepIfBetter's bar lowered", { keepIfBetter: { metric: "acc", goal: "maximize", than: 0.9, thanTrial: 4 } }, (l) => void (l.keepIfBetter!.than = 0)],
  ];
  for (const [what, extra, alter] of changes) {
    const [l] = batch(1, extra).map(wire);
    assert.equal(new WorkVerifier(controller.pem, () => NOW).leaseProblem(l!), null, `${what}: as signed`);
    alter(l!);
    assert.notEqual(new WorkVerifier(controller.pem, () => NOW).leaseProblem(l!), null, what);
  }
});

test("a lease with the state fields most leases carry passes the quick check unchanged", () => {
  const [l] = batch(1, { keepState: true, checkpointEvery: 3 });
  const asSent = JSON.parse(JSON.stringify(l)) as unknown;
  const [parsed] = TrialLeases.parse([asSent]);
  assert.equal(parsed, asSent, "taken as it is (no copy): the quick path");
  assert.equal(parsed!.keepState, true);
  assert.equal(parsed!.checkpointEvery, 3);
  // A malformed field goes the detailed way, which names it.
  assert.throws(() => TrialLeases.parse([{ ...(asSent as object), checkpointEvery: 0 }]), /checkpointEvery|too small|>=1/);
});
