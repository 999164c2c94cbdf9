// `discalc/experiment`: the types an experiment folder imports (type-only: nothing is bundled).
// Each file in runtime/public/ is one entry point of the package ("exports" maps ./<name> here).
export type * from "../experiments/contract.ts";
