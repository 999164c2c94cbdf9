// The controller's tokens: a generated admin token (mode 0600, kept across restarts), the relay
// token defaulting to it, and no token allowed to stand for another.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveTokens } from "./tokens.ts";
import { ConfigError } from "../../kernels/config-errors.ts";

test("no admin token: one is generated into <data>/admin-token, mode 0600, and kept", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-tokens-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = resolveTokens(dir, { cluster: "cluster-token" });
  assert.match(a.admin, /^[0-9a-f]{64}$/, "32 random bytes");
  assert.equal(a.relay, a.admin, "relays join with the admin token when no relay token is given");
  assert.equal(a.adminTokenFile, join(dir, "admin-token"));
  assert.equal(statSync(a.adminTokenFile!).mode & 0o777, 0o600);
  assert.equal(readFileSync(a.adminTokenFile!, "utf8").trim(), a.admin);
  assert.equal(resolveTokens(dir, { cluster: "cluster-token" }).admin, a.admin, "the same after a restart");
});

test("no token counts as another; short tokens are refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-tokens-"));
  try {
    assert.throws(() => resolveTokens(dir, { cluster: "same-token", admin: "same-token" }), (err: unknown) =>
      err instanceof ConfigError && err.problems[0] === "--admin-token: must differ from --token (no token counts as another)");
    assert.throws(() => resolveTokens(dir, { cluster: "same-token", relay: "same-token", admin: "admin-token" }), /--relay-token: must differ from --token/);
    assert.throws(() => resolveTokens(dir, { cluster: "short", admin: "admin-token" }), /--token: must be at least 8 characters/);
    const ok = resolveTokens(dir, { cluster: "cluster-token", relay: "relay-token", admin: "admin-token" });
    assert.deepEqual(ok, { cluster: "cluster-token", relay: "relay-token", admin: "admin-token", adminTokenFile: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
