// Each proposal's own random stream, a function of (seed, proposal index) alone, so a point does
// not depend on which batch asked for it or on what was proposed before.
import { mulberry32 } from "../mulberry32.ts";


/** murmur3's 32-bit finaliser: a bijection, so distinct inputs stay distinct. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Proposal `index`'s generator (u32 per call). The index goes through bijections only, so for one
 * seed any two indices below 2^32 get different mulberry32 seeds, hence different streams.
 */
export function proposalStream(seed: number, index: number): () => number {
  let h = fmix32((seed >>> 0) ^ 0x2545f491);
  h = fmix32(h ^ (index >>> 0));
  h = fmix32(h ^ Math.floor(index / 4294967296));
  return mulberry32(h);
}
