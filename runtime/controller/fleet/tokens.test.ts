// The controller's tokens: a generated admin token (mode 0600, kept across restarts, its key in
// the store), the relay token defaulting to it, and no token allowed to stand for another.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveTokens } from "./tokens.ts";
import { Store } from "../store/store.ts";
import { tokenKey, tokenMatches } from "../../http/token-key.ts";
import { ConfigError } from "../../../kernels/config-errors.ts";

async function withStore(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), "discalc-tokens-"));
  const store = await Store.open({ dir: join(dir, "store") });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, store };
}

test("no admin token: one is generated into <data>/admin-token, mode 0600, its key in the store, and kept", async (t) => {
  const { dir, store } = await withStore(t);
  const data = join(dir, "data-a");
  const a = await resolveTokens(data, { cluster: "cluster-token" }, store);
  assert.equal(a.adminFrom, "generated");
  assert.equal(a.adminTokenFile, join(data, "admin-token"));
  assert.equal(statSync(a.adminTokenFile!).mode & 0o777, 0o600);
  const token = readFileSync(a.adminTokenFile!, "utf8").trim();
  assert.match(token, /^[0-9a-f]{64}$/, "32 random bytes");
  assert.ok(tokenMatches(a.admin, token));
  assert.deepEqual(a.relay, a.admin, "relays join with the admin token when no relay token is given");
  assert.doesNotMatch(String(await store.getMeta("admin_token")), new RegExp(token), "the store keeps its hash, not the token");
  const again = await resolveTokens(data, { cluster: "cluster-token" }, store);
  assert.deepEqual([again.admin, again.adminFrom], [a.admin, "file"], "the same after a restart");
});

test("a controller on the same store from another folder takes the same admin token, without holding it", async (t) => {
  const { dir, store } = await withStore(t);
  const first = await resolveTokens(join(dir, "data-a"), { cluster: "cluster-token" }, store);
  const token = readFileSync(first.adminTokenFile!, "utf8").trim();
  const elsewhere = join(dir, "new", "folder");
  const second = await resolveTokens(elsewhere, { cluster: "cluster-token" }, store);
  assert.equal(second.adminFrom, "store");
  assert.equal(second.adminTokenFile, null);
  assert.ok(tokenMatches(second.admin, token), "the first one's token is the admin token here too");
  assert.ok(!tokenMatches(second.admin, "something-else"));
  assert.equal(statSync(elsewhere).mode & 0o777, 0o700, "--data is created, private, though no token is written there");
  assert.equal(existsSync(join(elsewhere, "admin-token")), false);
  // A token written into a folder's file stands for the store's from then on (rotation by hand).
  writeFileSync(join(elsewhere, "admin-token"), "rotated-admin-token\n", { mode: 0o600 });
  const rotated = await resolveTokens(elsewhere, { cluster: "cluster-token" }, store);
  assert.ok(tokenMatches(rotated.admin, "rotated-admin-token"));
  assert.ok(tokenMatches((await resolveTokens(join(dir, "third"), { cluster: "cluster-token" }, store)).admin, "rotated-admin-token"));
});

test("no token counts as another; short tokens are refused", async (t) => {
  const { dir, store } = await withStore(t);
  const at = (given: Parameters<typeof resolveTokens>[1]) => resolveTokens(dir, given, store);
  await assert.rejects(at({ cluster: "same-token", admin: "same-token" }), (err: unknown) =>
    err instanceof ConfigError && err.problems[0] === "--admin-token: must differ from --token (no token counts as another)");
  await assert.rejects(at({ cluster: "same-token", relay: "same-token", admin: "admin-token" }), /--relay-token: must differ from --token/);
  await assert.rejects(at({ cluster: "short", admin: "admin-token" }), /--token: must be at least 8 characters/);
  const ok = await at({ cluster: "cluster-token", relay: "relay-token", admin: "admin-token" });
  assert.deepEqual(ok, {
    cluster: tokenKey("cluster-token"), relay: tokenKey("relay-token"), admin: tokenKey("admin-token"), adminTokenFile: null, adminFrom: "given",
  });
});
