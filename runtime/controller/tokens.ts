// The controller's three tokens: cluster (workers join), relay (relays join; the admin token
// when not given) and admin (commands, deploys; generated into <data>/admin-token, mode 0600,
// when not given). No token counts as another, so two roles given the same string is refused.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../kernels/config-errors.ts";
import { ensurePrivateDir, ensurePrivateFile, writePrivateFile } from "./private-files.ts";

export interface ControllerTokens {
  cluster: string;
  relay: string;
  admin: string;
  /** Where a generated admin token was written (to print), or null when it was given. */
  adminTokenFile: string | null;
}

const MIN_LENGTH = 8;

export function resolveTokens(data: string, given: { cluster: string; relay?: string; admin?: string }): ControllerTokens {
  const problems: string[] = [];
  const check = (name: string, v: string | undefined) => {
    if (v !== undefined && (v.length < MIN_LENGTH || /\s/.test(v))) problems.push(`${name}: must be at least ${MIN_LENGTH} characters with no spaces`);
  };
  check("--token", given.cluster);
  check("--relay-token", given.relay);
  check("--admin-token", given.admin);
  let admin = given.admin;
  let adminTokenFile: string | null = null;
  if (admin === undefined) {
    // With a PostgreSQL store nothing else may have made the folder.
    ensurePrivateDir(data);
    adminTokenFile = join(data, "admin-token");
    if (existsSync(adminTokenFile)) {
      admin = readFileSync(adminTokenFile, "utf8").trim();
      ensurePrivateFile(adminTokenFile);
    } else {
      admin = randomBytes(32).toString("hex");
      writePrivateFile(adminTokenFile, `${admin}\n`);
    }
  }
  const relay = given.relay ?? admin;
  if (given.cluster === admin) problems.push("--admin-token: must differ from --token (no token counts as another)");
  if (given.relay !== undefined && given.relay === given.cluster) problems.push("--relay-token: must differ from --token (no token counts as another)");
  if (given.relay !== undefined && given.relay === admin) problems.push("--relay-token: must differ from --admin-token (leave it out to let relays join with the admin token)");
  if (problems.length) throw new ConfigError(problems, "tokens");
  return { cluster: given.cluster, relay, admin, adminTokenFile };
}
