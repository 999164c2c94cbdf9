// Float64 reference implementations of ctx.nn's forward ops on plain arrays, for the tests:
// the gradient check takes central differences of these, so the reference owes nothing to
// the kernels it checks.

export interface Ref { data: Float64Array; shape: number[] }

export const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

export function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

/** Every multi-index of `shape`, in row-major order. */
export function* indices(shape: number[]): Generator<number[]> {
  const n = size(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    yield idx.slice();
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

const at = (t: Ref, idx: number[]) => {
  const st = strides(t.shape);
  const off = idx.length - t.shape.length;
  let o = 0;
  for (let d = 0; d < t.shape.length; d++) o += (t.shape[d] === 1 ? 0 : idx[d + off]!) * st[d]!;
  return t.data[o]!;
};

/** x's slices at `picks` along `dim` (torch.index_select). */
export function indexSelect(x: Ref, dim: number, picks: number[]): Ref {
  const shape = x.shape.slice();
  shape[dim] = picks.length;
  const st = strides(x.shape);
  const data = Float64Array.from(indices(shape), (idx) => x.data[idx.reduce((o, v, d) => o + (d === dim ? picks[v]! : v) * st[d]!, 0)]!);
  return { data, shape };
}

export function map(x: Ref, f: (v: number) => number): Ref {
  return { data: x.data.map(f), shape: x.shape };
}

export function binary(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const rank = Math.max(a.shape.length, b.shape.length);
  const shape = Array.from({ length: rank }, (_, i) => Math.max(a.shape[a.shape.length - rank + i] ?? 1, b.shape[b.shape.length - rank + i] ?? 1));
  const data = new Float64Array(size(shape));
  let i = 0;
  for (const idx of indices(shape)) data[i++] = f(at(a, idx), at(b, idx));
  return { data, shape };
}

export function matmul(a: Ref, b: Ref): Ref {
  const m = a.shape.at(-2)!, k = a.shape.at(-1)!, n = b.shape.at(-1)!;
  const ba = a.shape.slice(0, -2), bb = b.shape.slice(0, -2);
  const rank = Math.max(ba.length, bb.length);
  const batch = Array.from({ length: rank }, (_, i) => Math.max(ba[ba.length - rank + i] ?? 1, bb[bb.length - rank + i] ?? 1));
  const shape = [...batch, m, n];
  const data = new Float64Array(size(shape));
  let o = 0;
  for (const bi of indices(batch)) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += at(a, [...bi, i, p]) * at(b, [...bi, p, j]);
        data[o++] = s;
      }
    }
  }
  return { data, shape };
}

/** Applies f to each 1-D slice along `dim`, which f may shorten (to 1 for reductions). */
export function alongDim(x: Ref, dim: number, f: (v: number[]) => number[], keepdim = true): Ref {
  const d = dim < 0 ? dim + x.shape.length : dim;
  const outer = size(x.shape.slice(0, d)), n = x.shape[d]!, inner = size(x.shape.slice(d + 1));
  let outLen = -1;
  let data = new Float64Array(0);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const v = Array.from({ length: n }, (_, k) => x.data[(o * n + k) * inner + i]!);
      const r = f(v);
      if (outLen < 0) {
        outLen = r.length;
        data = new Float64Array(outer * outLen * inner);
      }
      r.forEach((val, k) => (data[(o * outLen + k) * inner + i] = val));
    }
  }
  const shape = x.shape.slice();
  shape[d] = outLen;
  return { data, shape: keepdim ? shape : shape.filter((_, i) => i !== d) };
}

export function softmax(x: Ref, dim: number, log: boolean): Ref {
  return alongDim(x, dim, (v) => {
    const m = Math.max(...v);
    const s = v.reduce((acc, z) => acc + Math.exp(z - m), 0);
    return v.map((z) => (log ? z - m - Math.log(s) : Math.exp(z - m) / s));
  });
}

export function transpose(x: Ref, d0: number, d1: number): Ref {
  const shape = x.shape.slice();
  [shape[d0], shape[d1]] = [shape[d1]!, shape[d0]!];
  const data = new Float64Array(x.data.length);
  let o = 0;
  for (const idx of indices(shape)) {
    const src = idx.slice();
    [src[d0], src[d1]] = [src[d1]!, src[d0]!];
    data[o++] = at(x, src);
  }
  return { data, shape };
}

/** PyTorch's F.conv2d on NCHW x and [F, C, KH, KW] w, written as the definition (no im2col); `out` for asymmetric ("same") padding. */
export function conv2d(x: Ref, w: Ref, b: Ref | null, stride: number, padH: number, padW: number, out?: [number, number]): Ref {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [f, , kh, kw] = w.shape as [number, number, number, number];
  const [oh, ow] = out ?? [Math.floor((h + 2 * padH - kh) / stride) + 1, Math.floor((wd + 2 * padW - kw) / stride) + 1];
  const data = new Float64Array(n * f * oh * ow);
  let o = 0;
  for (let bi = 0; bi < n; bi++) for (let fi = 0; fi < f; fi++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    let s = b ? b.data[fi]! : 0;
    for (let ci = 0; ci < c; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * stride - padH + ky, ix = ox * stride - padW + kx;
      if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
      s += x.data[((bi * c + ci) * h + iy) * wd + ix]! * w.data[((fi * c + ci) * kh + ky) * kw + kx]!;
    }
    data[o++] = s;
  }
  return { data, shape: [n, f, oh, ow] };
}

/** A pool of NCHW x over size×size windows without padding: `reduce` of each window's values. */
export function pool2d(x: Ref, size: number, stride: number, reduce: (v: number[]) => number): Ref {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = Math.floor((h - size) / stride) + 1, ow = Math.floor((w - size) / stride) + 1;
  const data = new Float64Array(n * c * oh * ow);
  let o = 0;
  for (let img = 0; img < n * c; img++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const v: number[] = [];
    for (let ky = 0; ky < size; ky++) for (let kx = 0; kx < size; kx++) v.push(x.data[(img * h + oy * stride + ky) * w + ox * stride + kx]!);
    data[o++] = reduce(v);
  }
  return { data, shape: [n, c, oh, ow] };
}

export const gelu = (v: number) => v / (1 + Math.exp(-2 * 0.7978845608028654 * (v + 0.044715 * v ** 3)));
export const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Σ data·weights: the scalar a gradient check differentiates. */
export function dot(x: Ref, weights: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.data.length; i++) s += x.data[i]! * weights[i]!;
  return s;
}
