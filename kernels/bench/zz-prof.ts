import { compileKernels } from "../load.ts";
import { grokkingStepsPerSec, grokkingSizes } from "./nn-rows.ts";
const m = await compileKernels();
const s = grokkingSizes(false)[0]!;
console.log("big", grokkingStepsPerSec(m, { ...s, warm: 1, rounds: 1, perRound: 4 }));
