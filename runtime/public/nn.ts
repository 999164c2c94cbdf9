// `discalc/nn`: the types of ctx.nn (type-only: `import type { Tensor, NN } from "discalc/nn"`).
export type * from "../../kernels/nn/index.ts";
