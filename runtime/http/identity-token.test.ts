// Identities: the controller signs, anyone with the public key checks, nobody else can sign;
// an expired identity or one issued under a rotated token is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, sign } from "node:crypto";
import { IdentitySigner, IdentityVerifier, tokenFingerprint, peekIdentity } from "./identity-token.ts";

const signer = IdentitySigner.load();
const fp = tokenFingerprint("cluster-token");
const id = { nodeId: "w-0123456789ab", role: "worker" as const, relayId: "r-0123456789ab", threads: 4, expiresAt: 2_000_000, token: fp };

test("an identity the controller signed checks out with the public key alone", () => {
  const v = new IdentityVerifier(signer.publicKeyPem, [fp], () => 1_000_000);
  assert.deepEqual(v.check(signer.issue(id)), { ok: true, id });
  assert.equal(peekIdentity(signer.issue(id))?.expiresAt, 2_000_000);
});

test("a forged, re-signed, expired or revoked identity is refused with its reason", () => {
  const v = new IdentityVerifier(signer.publicKeyPem, [fp], () => 1_000_000);
  const good = signer.issue(id);
  const [payload, sig] = good.split(".") as [string, string];
  const relayPayload = Buffer.from(JSON.stringify({ v: 1, n: id.nodeId, r: "relay", u: null, x: id.expiresAt, t: fp })).toString("base64url");
  assert.deepEqual(v.check(`${relayPayload}.${sig}`), { ok: false, problem: "signature" }, "a worker cannot make itself a relay");
  // Another key pair (what a relay would need to mint identities) signs nothing this verifier takes.
  assert.deepEqual(v.check(IdentitySigner.load().issue({ ...id, role: "relay", relayId: null })), { ok: false, problem: "signature" });
  assert.deepEqual(v.check(`${payload}.${sig.slice(0, 80)}`), { ok: false, problem: "malformed" });
  assert.deepEqual(v.check("worker:w-0123456789ab"), { ok: false, problem: "malformed" });
  assert.deepEqual(new IdentityVerifier(signer.publicKeyPem, [fp], () => 2_000_000).check(good), { ok: false, problem: "expired" });
  assert.deepEqual(new IdentityVerifier(signer.publicKeyPem, [tokenFingerprint("rotated-token")], () => 1).check(good), { ok: false, problem: "revoked" });
});

test("an identity checked once is still refused when it expires or its token is rotated", () => {
  let now = 1_000_000;
  const v = new IdentityVerifier(signer.publicKeyPem, [fp], () => now);
  const good = signer.issue(id);
  assert.equal(v.check(good).ok, true);
  assert.equal(v.check(good).ok, true, "again, from what it verified before");
  v.tokens = [tokenFingerprint("rotated-token")];
  assert.deepEqual(v.check(good), { ok: false, problem: "revoked" });
  v.tokens = [fp];
  now = 2_000_000;
  assert.deepEqual(v.check(good), { ok: false, problem: "expired" });
  // A forgery of a verified identity's payload is not taken for it.
  const [payload] = good.split(".") as [string, string];
  now = 1_000_000;
  assert.deepEqual(v.check(`${payload}.${"A".repeat(86)}`), { ok: false, problem: "signature" });
});

test("the key survives a restart as PEM; fingerprints do not reveal the token", () => {
  const again = IdentitySigner.load(signer.privateKeyPem);
  assert.equal(again.publicKeyPem, signer.publicKeyPem);
  assert.match(fp, /^[0-9a-f]{16}$/);
  assert.ok(!fp.includes("cluster"));
});

test("an identity carries the threads granted at join; one signed without them is outdated", () => {
  const v = new IdentityVerifier(signer.publicKeyPem, [fp], () => 1_000_000);
  const checked = v.check(signer.issue({ ...id, threads: 256 }));
  assert.equal(checked.ok && checked.id.threads, 256);
  // What a controller before this change signed: v 1 without `h`.
  const key = createPrivateKey(signer.privateKeyPem);
  const signed = (p: object) => {
    const payload = Buffer.from(JSON.stringify(p)).toString("base64url");
    return `${payload}.${sign(null, Buffer.from(payload), key).toString("base64url")}`;
  };
  const old = { v: 1, n: id.nodeId, r: "worker", u: id.relayId, x: id.expiresAt, t: fp };
  assert.deepEqual(v.check(signed(old)), { ok: false, problem: "outdated" });
  assert.deepEqual(v.check(signed({ ...old, h: 0 })), { ok: false, problem: "outdated" });
  assert.deepEqual(v.check(signed({ ...old, h: 2.5 })), { ok: false, problem: "outdated" });
});
