// `discalc train CONFIG`: trains one trial config on this machine and prints each epoch;
// the way to re-run any trial of a sweep alone and check its weight hash.
import { compileKernels, instantiateKernels } from "../../kernels/load.ts";
import { trainMlp } from "../../kernels/mlp.ts";
import { isBlobDataset, readLocalDatasetBlob } from "../../kernels/datasets/local-blobs.ts";
import { parseTrialConfig } from "../../protocol/trial-config.ts";
import { readConfigFile } from "../config-file.ts";

export async function trainCommand(path: string, json: boolean): Promise<void> {
  const config = parseTrialConfig(readConfigFile(path));
  const { dataset, model, train } = config;
  const blobs = isBlobDataset(dataset.name) ? { [dataset.name]: readLocalDatasetBlob(dataset.name) } : {};
  const kernels = instantiateKernels(await compileKernels());
  if (!json) {
    console.log(`training ${dataset.name} (${dataset.train} train / ${dataset.test} test), hidden [${model.hidden.join(", ")}] ${model.activation}, ` +
      `${train.optimizer} lr ${train.lr} (${train.schedule.type}), batch ${train.batch}, seed ${train.seed}`);
    console.log("epoch  train loss  test loss  test acc        lr   time");
  }
  const result = trainMlp(kernels, config, {
    blobs,
    onEpoch: (m) => {
      if (json) console.log(JSON.stringify({ type: "epoch", ...m }));
      else console.log(`${String(m.epoch).padStart(5)}  ${m.trainLoss.toFixed(4).padStart(10)}  ${m.testLoss.toFixed(4).padStart(9)}  ${(m.testAccuracy * 100).toFixed(2).padStart(7)}%  ${m.lr.toPrecision(3).padStart(8)}  ${(m.wallMs / 1000).toFixed(2)}s`);
    },
  });
  if (json) {
    console.log(JSON.stringify({ type: "result", ...result }));
    return;
  }
  if (result.diverged) console.log("training diverged (loss is not finite)");
  console.log(`${result.samplesPerSec.toFixed(0)} samples/s, GEMM ${result.gemmGflops.toFixed(1)} GFLOP/s, ${result.paramCount} parameters`);
  console.log(`weights sha256 ${result.weightsSha256}`);
}
