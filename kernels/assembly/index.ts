// The discalc numeric core: every export the host calls. One numeric concept per file.
export { alloc, allocF32, memoryBytes } from "./arena";
export { resetKernels, heapBase, heapTop } from "./reset";
export { sgemm } from "./gemm";
export { biasAdd, biasGrad } from "./bias";
export {
  reluForward, reluBackward, tanhForward, tanhBackward, sigmoidForward, sigmoidBackward,
  activationForward, activationBackward,
} from "./activations";
export { softmaxCrossEntropy, mseOneHot, mseTargets, argmaxCorrect } from "./loss";
export { sgdUpdate, momentumUpdate, adamUpdate, adamUpdateCorrected, adamCorrection, scheduleLr } from "./optim";
export { rngSeed, rngNextU32, rngUniform, rngBelow, rngNormal, shuffleI32, iotaI32 } from "./rng";
export { initHe, initXavier } from "./init";
export { gatherRowsF32, gatherRowsU8, gatherLabels, genSpirals, genMoons, genXor } from "./data";
export { im2col, col2im } from "./conv";
export { convForwardRows } from "./conv-direct";
export { maxPoolForward, maxPoolBackward, avgPoolForward, avgPoolBackward } from "./pool";
export { dropoutForward, dropoutBackward } from "./dropout";
export { unaryForward, unaryBackward, affine, powScalar, powScalarBackward } from "./unary";
export { binaryBroadcast } from "./elementwise";
export { sumAxis, axpy, sumSquares, maxAxis, maxAxisBackward } from "./reduce";
export { softmaxRows, softmaxRowsBackward, nllLoss, nllLossBackward } from "./softmax";
export { stridedCopy } from "./strided";
export { sgemmBatched } from "./gemm-batched";
export { fillF32, fillNormal, fillUniform } from "./fill";
export { firstIndexOutside, embeddingBackward } from "./embedding";
