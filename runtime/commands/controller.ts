// `discalc controller`: loads a sweep config, starts the controller and its root relay,
// and prints how machines join.
import { startController, type Controller } from "../controller/controller.ts";
import { parseSweepConfig } from "../controller/sweep-config.ts";
import { readConfigFile } from "../config-file.ts";
import { bootstrapOneLiner } from "./join.ts";

export interface ControllerCommandOptions {
  config?: string;
  port: number;
  host: string;
  data: string;
  token: string;
  adminToken?: string;
  forceNew: boolean;
  privateApi: boolean;
  trustProxy: boolean;
}

export async function controllerCommand(o: ControllerCommandOptions, log: (m: string) => void): Promise<Controller> {
  // A bad config exits before anything starts.
  const config = o.config ? parseSweepConfig(readConfigFile(o.config)) : undefined;
  const controller = await startController({
    data: o.data, token: o.token, adminToken: o.adminToken, port: o.port, host: o.host, config,
    forceNew: o.forceNew, privateApi: o.privateApi, trustProxy: o.trustProxy, log,
  });
  const s = controller.sweep;
  if (config && s) {
    log(`sweep "${config.name}" (id ${s.sweepId}): ${s.trials} trials${s.resumed ? ", resumed from the store" : ""}`);
  }
  log(`controller listening on ${controller.url} (data in ${o.data})`);
  log(`join a machine that has Node.js 20:\n  ${bootstrapOneLiner(controller.url, o.token)}`);
  log(`or, with discalc installed: discalc join --controller ${controller.url} --token ${o.token}`);
  return controller;
}
