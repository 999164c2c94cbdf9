// `discalc deploy`: bundles the node runtime with the built kernels, uploads it to the
// controller and makes it current; the controller broadcasts `update`.
import { buildNodeBundle } from "../controller/fleet/bundle.ts";
import { apiUrl } from "../../protocol/api.ts";

export async function deployCommand(o: { controller: string; adminToken: string; label?: string }, log: (m: string) => void): Promise<void> {
  const label = o.label ?? `deploy-${new Date().toISOString()}`;
  const bundle = await buildNodeBundle(label);
  const res = await fetch(apiUrl(o.controller, "deploy", { label }), {
    method: "POST",
    headers: { authorization: `Bearer ${o.adminToken}`, "content-type": "application/octet-stream" },
    body: bundle as Uint8Array<ArrayBuffer>,
  });
  const body = (await res.json().catch(() => ({}))) as { bundleSha?: string; changed?: boolean; command?: { seq: number }; error?: { message: string } };
  if (!res.ok) throw new Error(`deploy refused: ${res.status} ${body.error?.message ?? ""}`);
  log(body.changed
    ? `deployed bundle ${body.bundleSha} (${bundle.byteLength} bytes, ${label}); update broadcast as command ${body.command?.seq}`
    : `bundle ${body.bundleSha} is already current; nothing to update`);
}
