// The researcher-facing REST API under /api: read-only routes (open unless the controller
// runs --private) and admin routes (admin token). Query parameters are checked here.
import { z } from "zod";
import { intParam } from "./routes.ts";
import { CommandKind } from "./messages.ts";

export const api = {
  sweeps: { path: "/api/sweeps", query: z.strictObject({}) },
  sweep: { path: "/api/sweeps/:id", query: z.strictObject({}) },
  trials: {
    path: "/api/trials",
    query: z.strictObject({
      sweep: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
      state: z.enum(["queued", "leased", "done", "failed", "cancelled"]).optional(),
    }),
  },
  nodes: { path: "/api/nodes", query: z.strictObject({}) },
  commands: { path: "/api/commands", query: z.strictObject({}) },
  /** POST: issue a command (admin). */
  issueCommand: {
    path: "/api/commands",
    query: z.strictObject({
      kind: CommandKind,
      sweep: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
      trial: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
    }),
  },
  /** POST: upload a node bundle (raw bytes) and make it current (admin). */
  deploy: {
    path: "/api/deploy",
    query: z.strictObject({ label: z.string().max(100).regex(/^[A-Za-z0-9._:-]*$/, "must be letters, digits, . _ : -").optional() }),
  },
  stats: { path: "/api/nodes/:id/stats", query: z.strictObject({}) },
} as const;

export type ApiRoute = keyof typeof api;

export function apiUrl(base: string, name: ApiRoute, query: Record<string, string | number | undefined> = {}, params: Record<string, string | number> = {}): string {
  const path = api[name].path.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(String(params[k] ?? "")));
  // Concatenate, so a base with a path (a relay behind a prefix proxy) keeps it.
  const url = new URL(`${base.replace(/\/+$/, "")}${path}`);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}
