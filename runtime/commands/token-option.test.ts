// Tokens from the command line, a file or the environment; a clear error for each mistake.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tokenOption, TokenOptionError } from "./token-option.ts";

test("flag, file (first line) and environment, in that order", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "discalc-token-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "token");
  writeFileSync(file, "from-the-file\nsecond line ignored\n");
  const env = { DISCALC_TOKEN: "from-the-env", DISCALC_ADMIN_TOKEN: " admin-env " };
  assert.equal(tokenOption({ token: "from-the-flag" }, "token", env), "from-the-flag");
  assert.equal(tokenOption({ "token-file": file }, "token", env), "from-the-file");
  assert.equal(tokenOption({}, "token", env), "from-the-env");
  assert.equal(tokenOption({}, "admin-token", env), "admin-env");
  assert.equal(tokenOption({}, "relay-token", env), undefined);
  assert.throws(() => tokenOption({ token: "a", "token-file": file }, "token", env), /give --token or --token-file, not both/);
  assert.throws(() => tokenOption({ "token-file": join(dir, "nope") }, "token", env), (err: unknown) => err instanceof TokenOptionError && /--token-file .*nope: ENOENT/.test(err.message));
  writeFileSync(file, "\n");
  assert.throws(() => tokenOption({ "token-file": file }, "token", env), /the file is empty/);
});
