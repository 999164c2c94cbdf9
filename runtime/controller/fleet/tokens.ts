// The controller's three tokens: cluster (workers join), relay (relays join; the admin token
// when not given) and admin (commands, deploys; generated into <data>/admin-token, mode 0600,
// when not given, its hash kept in the store). No token counts as another, so two roles given
// the same string is refused.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../../kernels/config-errors.ts";
import { parseTokenKey, sameKey, tokenKey, type TokenKey } from "../../http/token-key.ts";
import { ensurePrivateDir, ensurePrivateFile, writePrivateFile } from "../store/private-files.ts";

export interface ControllerTokens {
  cluster: TokenKey;
  relay: TokenKey;
  admin: TokenKey;
  /** Where the generated admin token is on this machine (to print), or null when it was given or is kept elsewhere. */
  adminTokenFile: string | null;
  /** Where the admin token came from, for the start-up line. */
  adminFrom: "given" | "generated" | "file" | "store";
}

/** What of the store the tokens need: the admin token's key is kept in its meta table. */
export interface TokenMeta {
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}

const MIN_LENGTH = 8;
const ADMIN_META = "admin_token";

/**
 * The controller's tokens as keys (hash and fingerprint). Without --admin-token: the token in
 * <data>/admin-token (generated there on a first start), whose key is kept in the store too, so
 * a controller started on the same store from another folder (PostgreSQL) takes the same admin
 * token without holding it. A file there stands for the store's admin token (edited, it changes it).
 */
export async function resolveTokens(data: string, given: { cluster: string; relay?: string; admin?: string }, meta: TokenMeta): Promise<ControllerTokens> {
  const problems: string[] = [];
  const check = (name: string, v: string | undefined) => {
    if (v !== undefined && (v.length < MIN_LENGTH || /\s/.test(v))) problems.push(`${name}: must be at least ${MIN_LENGTH} characters with no spaces`);
  };
  check("--token", given.cluster);
  check("--relay-token", given.relay);
  check("--admin-token", given.admin);
  if (problems.length) throw new ConfigError(problems, "tokens");
  const cluster = tokenKey(given.cluster);
  let admin: TokenKey;
  let adminTokenFile: string | null = null;
  let adminFrom: ControllerTokens["adminFrom"] = "given";
  if (given.admin !== undefined) {
    admin = tokenKey(given.admin);
  } else {
    // With a PostgreSQL store nothing else may have made the folder.
    ensurePrivateDir(data);
    const file = join(data, "admin-token");
    const stored = parseTokenKey(await meta.getMeta(ADMIN_META));
    if (existsSync(file)) {
      admin = tokenKey(readFileSync(file, "utf8").trim());
      ensurePrivateFile(file);
      adminTokenFile = file;
      adminFrom = "file";
    } else if (stored) {
      admin = stored;
      adminFrom = "store";
    } else {
      const token = randomBytes(32).toString("hex");
      writePrivateFile(file, `${token}\n`);
      admin = tokenKey(token);
      adminTokenFile = file;
      adminFrom = "generated";
    }
    if (!stored || !sameKey(stored, admin)) await meta.setMeta(ADMIN_META, JSON.stringify(admin));
  }
  const relay = given.relay !== undefined ? tokenKey(given.relay) : admin;
  if (sameKey(cluster, admin)) problems.push("--admin-token: must differ from --token (no token counts as another)");
  if (given.relay !== undefined && sameKey(relay, cluster)) problems.push("--relay-token: must differ from --token (no token counts as another)");
  if (given.relay !== undefined && sameKey(relay, admin)) problems.push("--relay-token: must differ from --admin-token (leave it out to let relays join with the admin token)");
  if (problems.length) throw new ConfigError(problems, "tokens");
  return { cluster, relay, admin, adminTokenFile, adminFrom };
}
