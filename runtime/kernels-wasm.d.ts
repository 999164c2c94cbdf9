// The kernels' .wasm bytes, inlined into the node bundle by runtime/controller/fleet/bundle.ts.
declare module "discalc:kernels-wasm" {
  const bytes: Uint8Array;
  export default bytes;
}
