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
  token: string;
  adminToken?: string;
  forceNew: boolean;
  privateApi: boolean;
  trustProxy: boolean;
}

export async function controllerCommand(o: ControllerCommandOptions, log: (m: string) => void): Promise<Controller> {
  // A bad config exits before anything starts.
  const config = o.config ? await prepareSweepFile(o.config) : undefined;
  const controller = await startController({
    data: o.data, token: o.token, adminToken: o.adminToken, port: o.port, host: o.host, config,
    forceNew: o.forceNew, privateApi: o.privateApi, trustProxy: o.trustProxy, log,
  });
  const s = controller.sweep;
  if (config && s) {
    const exp = config.config.build.experiment;
    log(`sweep "${config.config.name}" (id ${s.sweepId}): ${s.trials} trials of experiment ${exp.name}${exp.sha ? ` (${exp.sha.slice(0, 12)})` : ""}, ` +
      `ranked by ${config.config.metric.name} (${config.config.metric.goal})${s.resumed ? ", resumed from the store" : ""}`);
  }
  log(`controller listening on ${controller.url} (data in ${o.data})`);
  log(`join a machine that has Node.js 20:\n  ${bootstrapOneLiner(controller.url, o.token)}`);
  log(`or, with discalc installed: discalc join --controller ${controller.url} --token ${o.token}`);
  return controller;
}
