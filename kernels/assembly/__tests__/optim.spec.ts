import { sgdUpdate, momentumUpdate, adamUpdate, scheduleLr, SCHEDULE_CONSTANT, SCHEDULE_STEP, SCHEDULE_COSINE } from "../optim";
import { allocF32 } from "../arena";
import { filledF32, getF32, copyF32 } from "./helpers";

const N: i32 = 23;

describe("sgdUpdate", () => {
  it("w −= lr (g + wd w)", () => {
    const w = filledF32(N, 1);
    const w0 = copyF32(w, N);
    const g = filledF32(N, 2);
    sgdUpdate(w, g, N, 0.1, 0.01);
    for (let i = 0; i < N; i++) {
      const wv = getF32(w0, i);
      expect<f32>(getF32(w, i)).toBe(wv - <f32>0.1 * (getF32(g, i) + <f32>0.01 * wv));
    }
  });
});

describe("momentumUpdate", () => {
  it("accumulates velocity over two steps", () => {
    const w = filledF32(N, 3);
    const w0 = copyF32(w, N);
    const g = filledF32(N, 4);
    const v = allocF32(N);
    momentumUpdate(w, g, v, N, 0.1, 0.9, 0);
    momentumUpdate(w, g, v, N, 0.1, 0.9, 0);
    for (let i = 0; i < N; i++) {
      const gv = getF32(g, i);
      const v1 = gv;
      const w1 = getF32(w0, i) - <f32>0.1 * v1;
      const v2 = <f32>0.9 * v1 + gv;
      expect<f32>(getF32(v, i)).toBe(v2);
      expect<f32>(getF32(w, i)).toBe(w1 - <f32>0.1 * v2);
    }
  });
});

describe("adamUpdate", () => {
  it("matches an f64 AdamW reference over three steps", () => {
    const w = filledF32(N, 5);
    const w0 = copyF32(w, N);
    const g = filledF32(N, 6);
    const m = allocF32(N);
    const v = allocF32(N);
    const lr: f64 = 0.01, b1: f64 = 0.9, b2: f64 = 0.999, eps: f64 = 1e-8, wd: f64 = 0.1;
    for (let t = 1; t <= 3; t++) adamUpdate(w, g, m, v, N, <f32>lr, <f32>b1, <f32>b2, <f32>eps, <f32>wd, t);
    for (let i = 0; i < N; i++) {
      let wr = <f64>getF32(w0, i), mr: f64 = 0, vr: f64 = 0;
      const gv = <f64>getF32(g, i);
      for (let t = 1; t <= 3; t++) {
        wr *= 1 - lr * wd;
        mr = b1 * mr + (1 - b1) * gv;
        vr = b2 * vr + (1 - b2) * gv * gv;
        const mh = mr / (1 - Math.pow(b1, t));
        const vh = vr / (1 - Math.pow(b2, t));
        wr -= lr * mh / (Math.sqrt(vh) + eps);
      }
      expect<f64>(Math.abs(<f64>getF32(w, i) - wr)).toBeLessThan(1e-5);
    }
  });
});

describe("scheduleLr", () => {
  it("constant, step and cosine", () => {
    expect<f64>(scheduleLr(SCHEDULE_CONSTANT, 0.1, 7, 100, 1000, 1, 0.5)).toBe(0.1);
    expect<f64>(scheduleLr(SCHEDULE_STEP, 0.1, 0, 0, 1000, 2, 0.5)).toBe(0.1);
    expect<f64>(scheduleLr(SCHEDULE_STEP, 0.1, 3, 0, 1000, 2, 0.5)).toBe(0.05);
    expect<f64>(scheduleLr(SCHEDULE_STEP, 0.1, 4, 0, 1000, 2, 0.5)).toBe(0.025);
    expect<f64>(scheduleLr(SCHEDULE_COSINE, 0.1, 0, 0, 1000, 1, 0.5)).toBe(0.1);
    expect<f64>(Math.abs(scheduleLr(SCHEDULE_COSINE, 0.1, 0, 500, 1000, 1, 0.5) - 0.05)).toBeLessThan(1e-12);
    expect<f64>(Math.abs(scheduleLr(SCHEDULE_COSINE, 0.1, 0, 1000, 1000, 1, 0.5))).toBeLessThan(1e-12);
  });
});
