// `discalc controller`: loads a sweep config, starts the controller and its root relay,
// and prints how machines join.
import { startController, type Controller } from "../controller/controller.ts";
import { prepareSweepFile } from "../controller/sweeps/prepare-sweep.ts";
import { hostname, networkInterfaces } from "node:os";
import { bootstrapOneLiner } from "./join.ts";
import { chooseJoinUrl } from "./join-url.ts";
import type { EventLog } from "../log.ts";

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
  /** --max-state-bytes: the largest trial state stored. */
  maxStateBytes?: number;
  forceNew: boolean;
  privateApi: boolean;
  trustProxy: boolean;
  /** The URL other machines reach this controller at, for the join lines (checked by the CLI). */
  advertise?: string;
  /** Print the cluster token in the one-line join (else it reads DISCALC_TOKEN where it runs). */
  printToken?: boolean;
  /** Open connections the controller takes at most (listen.ts's default when not given). */
  maxConnections?: number;
}

export async function controllerCommand(o: ControllerCommandOptions, log: EventLog): Promise<Controller> {
  // A bad config exits before anything starts.
  const config = o.config ? await prepareSweepFile(o.config) : undefined;
  const controller = await startController({
    data: o.data, store: o.store, token: o.token, relayToken: o.relayToken, adminToken: o.adminToken, promote: o.promote, maxThreads: o.maxThreads, maxStateBytes: o.maxStateBytes, port: o.port, host: o.host, config,
    forceNew: o.forceNew, privateApi: o.privateApi, trustProxy: o.trustProxy, maxConnections: o.maxConnections, log,
  });
  const s = controller.sweep;
  if (config && s) {
    const exp = config.config.build.experiment;
    log("info", "start", `sweep "${config.config.name}" (id ${s.sweepId}): ${s.trials} trials of experiment ${exp.name}${exp.sha ? ` (${exp.sha.slice(0, 12)})` : ""}, ` +
      `ranked by ${config.config.metric.name} (${config.config.metric.goal})${s.resumed ? ", resumed from the store" : ""}`);
  }
  log("info", "start", `controller listening on ${controller.url} (${controller.state.store.dialect === "postgres" ? `store ${controller.state.store.where}` : `data in ${o.data}`})`);
  const sha = controller.bootstrapSha;
  // Behind a TLS proxy, without --advertise, the machines must use the proxy's https:// address,
  // which only the operator knows.
  const { url, note } = o.advertise === undefined && o.trustProxy
    ? { url: "https://HOST", note: "through your TLS proxy: put its address for HOST, or give --advertise URL" }
    : chooseJoinUrl({ advertise: o.advertise, host: o.host, port: controller.port, interfaces: networkInterfaces(), hostname: hostname() });
  // The token stays out of logs (and so out of journald, CI logs, terminal scroll-back) unless asked for.
  log("info", "start", `join a machine that has Node.js 20${note ? ` (${note})` : ""}:\n` +
    (o.printToken ? "" : "  (first set DISCALC_TOKEN to the cluster token there, e.g. export DISCALC_TOKEN=\"$(cat FILE)\"; --print-token puts it in this line)\n") +
    `  ${bootstrapOneLiner(url, sha, o.printToken ? { token: o.token } : {})}`);
  log("info", "start", `or, with discalc installed: discalc join --controller ${url} --token-file FILE (or DISCALC_TOKEN; the cluster token)`);
  log("info", "start", `relays: discalc relay --controller ${url} --token-file FILE (or DISCALC_TOKEN; the relay token` +
    `${o.relayToken === undefined ? `: the admin token${controller.adminTokenFile ? `, in ${controller.adminTokenFile}` : ""}` : ""})`);
  return controller;
}
