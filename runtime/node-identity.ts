// Identities expire: a node joins again (same id, same role, same relay while it lives) when half
// of its identity's life is left (and at least 2 s before it ends, since the check runs once a
// second). The client's cookie is replaced by the answer's.
import type { ProtocolClient } from "../protocol/client.ts";
import type { NodeContext } from "./node-context.ts";

/** When to renew an identity that expires at `expiresAt`, issued `now`: half-way, and at least 2 s before the end. */
export const renewAt = (now: number, expiresAt: number) => Math.min(now + (expiresAt - now) / 2, expiresAt - 2000);

/** Renews the client's identity in time, for as long as the interval runs; returns the interval. */
export function renewIdentity(client: ProtocolClient, ctx: NodeContext, onRenewed: (cookie: string) => void = () => {}): NodeJS.Timeout {
  let due = renewAt(Date.now(), ctx.join.identityExpiresAt);
  return setInterval(() => {
    if (Date.now() < due) return;
    due = Date.now() + 5000; // retried in 5 s if this attempt fails
    // A relay names no role: one the fanout policy promoted holds only the cluster token.
    client.call("join", { query: { threads: ctx.threads, role: ctx.join.role === "relay" ? undefined : "worker", host: ctx.host, node: ctx.join.nodeId, renew: "1" } })
      .then((join) => {
        if (join.nodeId !== ctx.join.nodeId) ctx.log(`identity renewal gave a new id ${join.nodeId} (was ${ctx.join.nodeId})`);
        due = renewAt(Date.now(), join.identityExpiresAt);
        onRenewed(client.cookie);
        ctx.log(`identity renewed until ${new Date(join.identityExpiresAt).toISOString()}`);
      })
      .catch((err: Error) => ctx.log(`identity renewal failed, retrying: ${err.message}`));
  }, 1000).unref();
}
