// ctx.nn's public face: the factory the runtime calls per trial and the types experiments import.
export { createNN, type NN, type TensorOptions, type RandnOptions } from "./nn.ts";
export { Tensor } from "./tensor.ts";
export type { Linear, LinearOptions, Embedding, LayerNorm, Conv2d, Conv2dModuleOptions, Module } from "./modules.ts";
export type { Conv2dOptions } from "./ops-conv.ts";
export type { Optimizer, SgdOptions, AdamOptions } from "./optim.ts";
export type { Graph } from "./graph.ts";
export type { DropoutOptions } from "./ops-layers.ts";
export type { MultiheadAttention, MultiheadAttentionOptions, AttentionCall } from "./attention.ts";
export type { Sequential, Layer, ReLU, Tanh, Sigmoid, GELU, Dropout, Flatten, MaxPool2d, AvgPool2d } from "./sequential.ts";
