import {
  reluForward, reluBackward, tanhForward, tanhBackward, sigmoidForward, sigmoidBackward,
  activationForward, activationBackward, ACT_IDENTITY,
} from "../activations";
import { allocF32 } from "../arena";
import { filledF32, getF32, setF32, copyF32 } from "./helpers";

const N: i32 = 37; // not a multiple of 4: exercises the scalar tail

function scaled(seed: u32, scale: f32): usize {
  const p = filledF32(N, seed);
  for (let i = 0; i < N; i++) setF32(p, i, getF32(p, i) * scale);
  return p;
}

describe("relu", () => {
  it("forward is max(z, 0), also in place", () => {
    const z = scaled(1, 3);
    const a = allocF32(N);
    reluForward(z, a, N);
    for (let i = 0; i < N; i++) expect<f32>(getF32(a, i)).toBe(getF32(z, i) > 0 ? getF32(z, i) : 0);
    reluForward(z, z, N);
    for (let i = 0; i < N; i++) expect<f32>(getF32(z, i)).toBe(getF32(a, i));
  });
  it("backward passes the gradient where the output is positive", () => {
    const a = scaled(2, 1);
    reluForward(a, a, N);
    const da = filledF32(N, 3);
    const dz = allocF32(N);
    reluBackward(da, a, dz, N);
    for (let i = 0; i < N; i++) expect<f32>(getF32(dz, i)).toBe(getF32(a, i) > 0 ? getF32(da, i) : 0);
  });
});

describe("tanh", () => {
  it("forward matches the f64 reference", () => {
    const z = scaled(4, 6);
    const a = allocF32(N);
    tanhForward(z, a, N);
    for (let i = 0; i < N; i++) expect<f64>(Math.abs(<f64>getF32(a, i) - Math.tanh(<f64>getF32(z, i)))).toBeLessThan(1e-6);
  });
  it("backward is dA (1 − A²)", () => {
    const z = scaled(5, 2);
    const a = allocF32(N);
    tanhForward(z, a, N);
    const da = filledF32(N, 6);
    const dz = allocF32(N);
    tanhBackward(da, a, dz, N);
    for (let i = 0; i < N; i++) {
      const av = getF32(a, i);
      expect<f32>(getF32(dz, i)).toBe(getF32(da, i) * (<f32>1 - av * av));
    }
  });
});

describe("sigmoid", () => {
  it("forward matches the f64 reference and stays finite at extremes", () => {
    const z = scaled(7, 30);
    setF32(z, 0, 200);
    setF32(z, 1, -200);
    const a = allocF32(N);
    sigmoidForward(z, a, N);
    for (let i = 0; i < N; i++) {
      const ref = 1.0 / (1.0 + Math.exp(-<f64>getF32(z, i)));
      expect<f64>(Math.abs(<f64>getF32(a, i) - ref)).toBeLessThan(1e-6);
    }
    expect<f32>(getF32(a, 0)).toBe(1);
    expect<f32>(getF32(a, 1)).toBe(0);
  });
  it("backward is dA · A (1 − A) and agrees with a finite difference", () => {
    const z = scaled(8, 2);
    const a = allocF32(N);
    sigmoidForward(z, a, N);
    const da = filledF32(N, 9);
    const dz = allocF32(N);
    sigmoidBackward(da, a, dz, N);
    for (let i = 0; i < N; i++) {
      const zi = <f64>getF32(z, i);
      const h = 1e-4;
      const numeric = (1.0 / (1.0 + Math.exp(-(zi + h))) - 1.0 / (1.0 + Math.exp(-(zi - h)))) / (2 * h);
      expect<f64>(Math.abs(<f64>getF32(dz, i) - <f64>getF32(da, i) * numeric)).toBeLessThan(1e-4);
    }
  });
});

describe("dispatch", () => {
  it("identity copies forward and backward", () => {
    const z = scaled(10, 1);
    const a = allocF32(N);
    activationForward(ACT_IDENTITY, z, a, N);
    const dz = allocF32(N);
    activationBackward(ACT_IDENTITY, a, a, dz, N);
    for (let i = 0; i < N; i++) expect<f32>(getF32(dz, i)).toBe(getF32(z, i));
    const copy = copyF32(z, N);
    activationForward(ACT_IDENTITY, copy, copy, N);
    for (let i = 0; i < N; i++) expect<f32>(getF32(copy, i)).toBe(getF32(z, i));
  });
});
