// What signing leases costs the controller and checking them costs a worker: one signature per
// batch over a Merkle tree (what discalc does, protocol/signed-work.ts) beside the obvious peer,
// one Ed25519 signature per lease, on leases shaped like a built-in trial's. Not part of npm test.
//   node --import tsx runtime/bench/lease-signing-bench.ts [--batch 200]
import { generateKeyPairSync, sign, verify, createPublicKey } from "node:crypto";
import { parseArgs } from "node:util";
import { canonicalJson, signLeases, WorkVerifier } from "../../protocol/signed-work.ts";
import type { TrialLease, UnsignedLease } from "../../protocol/messages.ts";

const { values } = parseArgs({ options: { batch: { type: "string", default: "200" }, rounds: { type: "string", default: "20" } } });
const n = Number(values.batch);
const rounds = Number(values.rounds);
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
const key = createPublicKey(pem);
const config = (i: number) => ({
  dataset: { name: "xor", train: 40, test: 10, seed: 1 }, model: { hidden: [8], activation: "relu", init: "he" },
  train: { epochs: 1, batch: 8, lr: 0.1 * (1 + (i % 4)), optimizer: "sgd", momentum: 0, seed: i },
});
const leases: UnsignedLease[] = Array.from({ length: n }, (_, i) => ({
  trialId: i + 1, attempt: 1, sweepId: 1, experiment: { name: "network", sha: null }, config: config(i),
  params: { "train.lr": 0.1 * (1 + (i % 4)) }, seed: i, datasets: {}, deadline: Date.now() + 10_000,
}));
const bundle = "b".repeat(64);
const usPerLease = (fn: () => void) => {
  fn(); // warm
  const t = performance.now();
  for (let r = 0; r < rounds; r++) fn();
  return ((performance.now() - t) / rounds / n) * 1000;
};

let tree: TrialLease[] = [];
const treeSign = usPerLease(() => (tree = signLeases(leases, bundle, Date.now() + 3_600_000, (m) => sign(null, m, privateKey).toString("base64url"))));
const treeWire = JSON.parse(JSON.stringify(tree)) as TrialLease[];
const treeCheck = usPerLease(() => {
  const v = new WorkVerifier(pem);
  for (const l of treeWire) if (v.leaseProblem(l) !== null) throw new Error("a good lease refused");
});

let each: Array<{ lease: UnsignedLease; signature: Buffer }> = [];
const eachSign = usPerLease(() => (each = leases.map((lease) => ({ lease, signature: sign(null, Buffer.from(canonicalJson(lease)), privateKey) }))));
const eachCheck = usPerLease(() => {
  for (const { lease, signature } of each) if (!verify(null, Buffer.from(canonicalJson(lease)), key, signature)) throw new Error("refused");
});

console.log(`lease signing, batches of ${n} leases, µs per lease (${rounds} rounds)`);
console.log("                              controller signs   worker checks   bytes a lease");
console.log(`one signature a batch (tree)  ${treeSign.toFixed(1).padStart(16)}   ${treeCheck.toFixed(1).padStart(13)}   ${JSON.stringify(treeWire[0]!.manifest).length.toString().padStart(13)}`);
console.log(`one signature a lease (peer)  ${eachSign.toFixed(1).padStart(16)}   ${eachCheck.toFixed(1).padStart(13)}   ${(86 + 64 + 30).toString().padStart(13)}`);
