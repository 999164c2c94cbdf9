// `discalc controller`: loads a sweep config, starts the controller and its root relay,
// and prints how machines join.
import { startController, type Controller } from "../controller/controller.ts";
import { prepareSweepFile } from "../controller/prepare-sweep.ts";
import { bootstrapOneLiner } from "./join.ts";

export interface ControllerCommandOptions {
  config?: string;
  port: number;
  host: string;
  data: string;
  /** A PostgreSQL URL: the controller's state there (else SQLite under `data`). */
  store?: string;
  token: string;
  relayToken?: string;
  adminToken?: string;
  /** Whether the fanout policy may make cluster-token machines relays. */
  promote?: boolean;
  /** --max-threads: the most threads a join is granted. */
  maxThreads?: number;
  forceNew: boolean;
  privateApi: boolean;
  trustProxy: boolean;
}

export async function controllerCommand(o: ControllerCommandOptions, log: (m: string) => void): Promise<Controller> {
  // A bad config exits before anything starts.
  const config = o.config ? await prepareSweepFile(o.config) : undefined;
  const controller = await startController({
    data: o.data, store: o.store, token: o.token, relayToken: o.relayToken, adminToken: o.adminToken, promote: o.promote, maxThreads: o.maxThreads, port: o.port, host: o.host, config,
    forceNew: o.forceNew, privateApi: o.privateApi, trustProxy: o.trustProxy, log,
  });
  const s = controller.sweep;
  if (config && s) {
    const exp = config.config.build.experiment;
    log(`sweep "${config.config.name}" (id ${s.sweepId}): ${s.trials} trials of experiment ${exp.name}${exp.sha ? ` (${exp.sha.slice(0, 12)})` : ""}, ` +
      `ranked by ${config.config.metric.name} (${config.config.metric.goal})${s.resumed ? ", resumed from the store" : ""}`);
  }
  log(`controller listening on ${controller.url} (${controller.state.store.dialect === "postgres" ? `store ${controller.state.store.where}` : `data in ${o.data}`})`);
  const sha = controller.bootstrapSha;
  if (o.trustProxy) {
    // Behind a TLS proxy the machines must use its https:// address, which only the operator knows.
    log(`join a machine that has Node.js 20 (through your TLS proxy; put its address for HOST):\n  ${bootstrapOneLiner("https://HOST", o.token, sha)}`);
  } else {
    log(`join a machine that has Node.js 20:\n  ${bootstrapOneLiner(controller.url, o.token, sha)}`);
  }
  log(`or, with discalc installed: discalc join --controller ${o.trustProxy ? "https://HOST" : controller.url} --token-file FILE (the cluster token)`);
  log(`relays: discalc relay --controller ${o.trustProxy ? "https://HOST" : controller.url} --token-file FILE (the relay token` +
    `${o.relayToken === undefined ? `: the admin token${controller.adminTokenFile ? `, in ${controller.adminTokenFile}` : ""}` : ""})`);
  return controller;
}
