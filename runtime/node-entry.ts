// Entry of the node bundle: a joined machine runs `runNode` as a relay or a worker agent;
// its worker threads load the same bundle and run `runThread`.
import kernelsWasm from "discalc:kernels-wasm";
import type { NodeContext, NodeOutcome } from "./node-context.ts";
import { runAgent } from "./worker/agent.ts";
import { runRelayNode } from "./relay/daemon.ts";
export { runThread } from "./worker/thread.ts";

export const BUNDLE_LABEL = process.env.DISCALC_BUNDLE_LABEL ?? "dev";

export async function runNode(ctx: NodeContext): Promise<NodeOutcome> {
  if (ctx.join.role === "relay") return runRelayNode(ctx);
  return runAgent(ctx, await WebAssembly.compile(kernelsWasm as Uint8Array<ArrayBuffer>));
}
