// `discalc sweep extend`: asks the controller (admin) for more samples or repeats of a sweep.
import { api, apiUrl } from "../../protocol/api.ts";

export async function sweepExtendCommand(o: { controller: string; adminToken: string; sweep: number; samples?: number; repeats?: number }): Promise<string> {
  const res = await fetch(apiUrl(o.controller, "extend", { samples: o.samples, repeats: o.repeats }, { id: o.sweep }), {
    method: "POST", headers: { authorization: `Bearer ${o.adminToken}` },
  });
  const body = (await res.json().catch(() => ({}))) as { error?: { message: string } };
  if (!res.ok) throw new Error(`sweep extend refused: ${res.status} ${body.error?.message ?? ""}`);
  const done = api.extend.response.parse(body);
  const to = Object.entries(done.extension).map(([k, v]) => `${k} ${v}`).join(", ");
  return `sweep ${done.sweepId} extended (${to}): ${done.added} trial(s) added now, ${done.total} in all`;
}
