// The built-in trainer's numerics, versioned: a sweep's identity holds the version its trials
// were trained with (build.engine), so a sweep started by an engine whose weights differ is never
// resumed by this one (its stored hashes would not be reproduced), and `discalc train --trial`
// says why a hash of another engine does not match.
//   1  the first releases: tanh and sigmoid through AssemblyScript's scalar Mathf.
//   2  tanh and sigmoid as ctx.nn's SIMD approximations (kernels/assembly/transcendental.ts):
//      a tanh network trains within 1.25× of a relu one; relu networks' weights are unchanged.
//      The trainer's move onto ctx.nn (its layers as modules, steps captured with nn.graph) kept
//      engine 2: it makes the same kernel calls in the same order (kernels/network-pinned-bits.test.ts).
export const ENGINE_VERSION = 2;
