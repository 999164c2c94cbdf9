// The tfjs peer: @tensorflow/tfjs on its WebAssembly backend (XNNPACK, SIMD), forced to
// one thread, as researchers run it in Node without native bindings. Loaded lazily: it is
// a devDependency used only by the benchmark.
import { createRequire } from "node:module";

type Tf = typeof import("@tensorflow/tfjs");

let loaded: Promise<Tf> | undefined;

export function loadTfjsWasm(): Promise<Tf> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    // tfjs (not tfjs-core alone) registers the gradients that training needs.
    const tf = require("@tensorflow/tfjs") as Tf;
    const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
    wasm.setThreadsCount(1);
    const silence = console.warn;
    console.warn = () => {};
    try {
      await tf.setBackend("wasm");
      await tf.ready();
    } finally {
      console.warn = silence;
    }
    if (tf.getBackend() !== "wasm") throw new Error(`tfjs backend is ${tf.getBackend()}, wanted wasm`);
    return tf;
  })();
  return loaded;
}

/** Returns a function that runs one matMul of the given form on resident tensors. */
export async function tfjsMatMul(m: number, n: number, k: number, transA: boolean, transB: boolean): Promise<{ run: () => void; dispose: () => void }> {
  const tf = await loadTfjsWasm();
  const a = tf.randomUniform(transA ? [k, m] : [m, k], -1, 1, "float32", 1);
  const b = tf.randomUniform(transB ? [n, k] : [k, n], -1, 1, "float32", 2);
  return {
    // The wasm backend computes synchronously inside the op call.
    run: () => tf.matMul(a, b, transA, transB).dispose(),
    dispose: () => (a.dispose(), b.dispose()),
  };
}

/**
 * Trains the same MLP (784-128-10 ReLU, softmax cross-entropy, SGD) with tfjs for `epochs`
 * over pre-made batch tensors (which favours tfjs: no shuffling or gathering in the loop).
 * Returns samples per second and the final epoch's mean loss.
 */
export async function tfjsTrainMlp(
  x: Float32Array, y: Int32Array, samples: number, features: number, hidden: number[], classes: number,
  batch: number, lr: number, epochs: number,
): Promise<{ samplesPerSec: number; loss: number }> {
  const tf = await loadTfjsWasm();
  const sizes = [features, ...hidden, classes];
  const weights = sizes.slice(1).map((out, l) => ({
    w: tf.variable(tf.randomNormal([sizes[l]!, out], 0, Math.sqrt(2 / sizes[l]!), "float32", l + 1)),
    b: tf.variable(tf.zeros([out])),
  }));
  const batches: Array<{ xb: import("@tensorflow/tfjs").Tensor2D; yb: import("@tensorflow/tfjs").Tensor2D; rows: number }> = [];
  for (let start = 0; start < samples; start += batch) {
    const rows = Math.min(batch, samples - start);
    const xb = tf.tensor2d(x.subarray(start * features, (start + rows) * features), [rows, features]);
    const yb = tf.oneHot(tf.tensor1d(y.subarray(start, start + rows), "int32"), classes) as import("@tensorflow/tfjs").Tensor2D;
    batches.push({ xb, yb: yb.toFloat(), rows });
    yb.dispose();
  }
  const optimizer = tf.train.sgd(lr);
  const forward = (xb: import("@tensorflow/tfjs").Tensor2D) => {
    let h: import("@tensorflow/tfjs").Tensor2D = xb;
    weights.forEach(({ w, b }, l) => {
      h = tf.add(tf.matMul(h, w), b);
      if (l < weights.length - 1) h = tf.relu(h);
    });
    return h;
  };
  let lossSum = 0;
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) {
    lossSum = 0;
    for (const { xb, yb, rows } of batches) {
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(xb)) as import("@tensorflow/tfjs").Scalar, true);
      lossSum += loss!.dataSync()[0]! * rows;
      loss!.dispose();
    }
  }
  const ms = performance.now() - t0;
  for (const { xb, yb } of batches) xb.dispose(), yb.dispose();
  for (const { w, b } of weights) w.dispose(), b.dispose();
  optimizer.dispose();
  return { samplesPerSec: (samples * epochs) / (ms / 1000), loss: lossSum / samples };
}
