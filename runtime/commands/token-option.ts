// Where a token comes from: `--NAME VALUE`, `--NAME-file PATH` (the file's first line), or the
// environment variable (DISCALC_TOKEN, DISCALC_RELAY_TOKEN, DISCALC_ADMIN_TOKEN). A token on the
// command line is visible to every user of the machine (ps); files and the environment are not.
import { readFileSync } from "node:fs";

export class TokenOptionError extends Error {}

export const TOKEN_ENV = { token: "DISCALC_TOKEN", "relay-token": "DISCALC_RELAY_TOKEN", "admin-token": "DISCALC_ADMIN_TOKEN" } as const;
export type TokenName = keyof typeof TOKEN_ENV;

export function tokenOption(values: Record<string, unknown>, name: TokenName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const direct = values[name] as string | undefined;
  const file = values[`${name}-file`] as string | undefined;
  if (direct !== undefined && file !== undefined) throw new TokenOptionError(`give --${name} or --${name}-file, not both`);
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new TokenOptionError(`--${name}-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const token = text.split("\n")[0]!.trim();
    if (!token) throw new TokenOptionError(`--${name}-file ${file}: the file is empty`);
    return token;
  }
  if (direct !== undefined) return direct;
  const fromEnv = env[TOKEN_ENV[name]];
  return fromEnv ? fromEnv.trim() : undefined;
}

/** parseArgs options for a token: the value and the file. */
export function tokenArgs<N extends TokenName>(name: N): { [K in N | `${N}-file`]: { type: "string" } } {
  return { [name]: { type: "string" }, [`${name}-file`]: { type: "string" } } as { [K in N | `${N}-file`]: { type: "string" } };
}
