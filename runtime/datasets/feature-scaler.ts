// Per-feature normalisation, fitted on the train rows only and applied to both splits:
// value' = (value − shift) / scale. Sums run in float64 in a fixed order (rows, then
// features), so the same rows give the same bits on any machine. The one non-arithmetic step,
// Math.sqrt, is the hardware square root in V8, which IEEE 754 requires to be correctly rounded.

export interface FeatureScaler {
  shift: Float64Array;
  scale: Float64Array;
}

/** Reads feature f of row r as a float64 (u8 data already scaled by 1/255). */
export type FeatureValue = (row: number, feature: number) => number;

export function fitFeatureScaler(
  kind: "none" | "standard" | "minmax",
  value: FeatureValue,
  rows: Uint32Array,
  features: number,
): FeatureScaler {
  const shift = new Float64Array(features);
  const scale = new Float64Array(features).fill(1);
  if (kind === "none") return { shift, scale };
  const min = new Float64Array(features).fill(Infinity);
  const max = new Float64Array(features).fill(-Infinity);
  const sum = new Float64Array(features);
  for (const r of rows) {
    for (let f = 0; f < features; f++) {
      const v = value(r, f);
      if (v < min[f]!) min[f] = v;
      if (v > max[f]!) max[f] = v;
      sum[f]! += v;
    }
  }
  if (kind === "minmax") {
    for (let f = 0; f < features; f++) {
      shift[f] = min[f]!;
      scale[f] = max[f]! > min[f]! ? max[f]! - min[f]! : 1; // a constant feature maps to 0
    }
    return { shift, scale };
  }
  for (let f = 0; f < features; f++) shift[f] = sum[f]! / rows.length;
  const squares = new Float64Array(features);
  for (const r of rows) {
    for (let f = 0; f < features; f++) {
      const d = value(r, f) - shift[f]!;
      squares[f]! += d * d;
    }
  }
  for (let f = 0; f < features; f++) {
    if (max[f]! > min[f]!) scale[f] = Math.sqrt(squares[f]! / rows.length); // population std, as scikit-learn
    // A constant feature: its mean may differ from its value by rounding; shift by the value itself so it maps to exactly 0.
    else shift[f] = min[f]!;
  }
  return { shift, scale };
}

/** The rows, in the given order, scaled and stored as f32. */
export function applyFeatureScaler(scaler: FeatureScaler, value: FeatureValue, rows: Uint32Array, features: number): Float32Array {
  const out = new Float32Array(rows.length * features);
  let k = 0;
  for (const r of rows) {
    for (let f = 0; f < features; f++) out[k++] = (value(r, f) - scaler.shift[f]!) / scaler.scale[f]!;
  }
  return out;
}
