// Parameters as bytes and back: the trial's `state` (so its result hash is the weights'
// hash) and a checkpoint to resume from. Little-endian f32, parameters in the order given.
import type { Tensor } from "./tensor.ts";

export function stateOf(params: Tensor[]): Uint8Array {
  const total = params.reduce((s, p) => s + p.check("stateOf").size * 4, 0);
  params[0]?.engine.notWhileCapturing("stateOf");
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of params) {
    out.set(p.engine.instance.u8(p.ptr, p.size * 4), at);
    at += p.size * 4;
  }
  return out;
}

export function loadState(params: Tensor[], bytes: Uint8Array | ArrayBuffer): void {
  const src = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const total = params.reduce((s, p) => s + p.check("loadState").size * 4, 0);
  params[0]?.engine.notWhileCapturing("loadState");
  if (src.byteLength !== total) throw new RangeError(`loadState: ${src.byteLength} bytes for parameters of ${total} bytes`);
  let at = 0;
  for (const p of params) {
    p.engine.instance.u8(p.ptr, p.size * 4).set(src.subarray(at, at + p.size * 4));
    at += p.size * 4;
  }
}
