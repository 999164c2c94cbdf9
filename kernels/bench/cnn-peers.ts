// Peers for the convolution benchmark: tfjs-wasm's Conv2D (inference only: tfjs-backend-wasm has
// no Conv2DBackpropFilter), tfjs on its plain-JS cpu backend for training the LeNet-style CNN
// (the only tfjs backend here that can), and PyTorch on this CPU when python3 has torch.
import { runTorchPeer } from "./python-with-torch.ts";
import { createRequire } from "node:module";
import { loadTfjsWasm } from "./tfjs-peer.ts";

type Tf = typeof import("@tensorflow/tfjs");

export interface ConvShape { label: string; n: number; h: number; w: number; c: number; k: number; f: number; padding: "same" | "valid" }

/** One tfjs-wasm conv2d on resident tensors. */
export async function tfjsConv2d(s: ConvShape): Promise<{ run: () => void; dispose: () => void }> {
  const tf = await loadTfjsWasm();
  const x = tf.randomUniform([s.n, s.h, s.w, s.c], -1, 1, "float32", 1) as import("@tensorflow/tfjs").Tensor4D;
  const filter = tf.randomUniform([s.k, s.k, s.c, s.f], -1, 1, "float32", 2) as import("@tensorflow/tfjs").Tensor4D;
  return { run: () => tf.conv2d(x, filter, 1, s.padding).dispose(), dispose: () => (x.dispose(), filter.dispose()) };
}

/** The LeNet-style CNN trained by tfjs on its cpu backend: samples/s over `samples` images. */
export async function tfjsCpuTrainLenet(x: Float32Array, y: Int32Array, samples: number): Promise<{ samplesPerSec: number }> {
  await loadTfjsWasm();
  const require = createRequire(import.meta.url);
  const tf = require("@tensorflow/tfjs") as Tf;
  // tfjs warns with an advertisement for tfjs-node the first time the cpu backend holds data.
  const log = console.log, warn = console.warn;
  console.log = console.warn = () => {};
  await tf.setBackend("cpu");
  try {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, padding: "same", activation: "relu" }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: "valid", activation: "relu" }),
        tf.layers.averagePooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 64, activation: "relu" }),
        tf.layers.dropout({ rate: 0.25 }),
        tf.layers.dense({ units: 10 }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.001), loss: (t: import("@tensorflow/tfjs").Tensor, p: import("@tensorflow/tfjs").Tensor) => tf.losses.softmaxCrossEntropy(t, p) });
    const xs = tf.tensor4d(x.subarray(0, samples * 784), [samples, 28, 28, 1]);
    const ys = tf.oneHot(tf.tensor1d(y.subarray(0, samples), "int32"), 10);
    await model.fit(xs.slice(0, 64), ys.slice(0, 64), { batchSize: 64, epochs: 1, verbose: 0 }); // warm-up
    console.log = log;
    console.warn = warn;
    const t = performance.now();
    await model.fit(xs, ys, { batchSize: 64, epochs: 1, verbose: 0, shuffle: false });
    const ms = performance.now() - t;
    tf.dispose([xs, ys]);
    model.dispose();
    return { samplesPerSec: samples / (ms / 1000) };
  } finally {
    console.log = log;
    console.warn = warn;
    await tf.setBackend("wasm");
  }
}

export interface TorchFigures { convGflops: Record<string, number>; lenetSamplesPerSec: number; smallMlpSamplesPerSec: number; torch: string }


/** PyTorch on this CPU, one thread, when python3 has torch (Debian: apt-get install python3-torch libopenblas0-pthread); null when it has not. */
export function torchFigures(shapes: ConvShape[], quick: boolean): TorchFigures | null {
  return runTorchPeer<TorchFigures>(new URL("./torch-peer.py", import.meta.url), { shapes, quick });
}
