// nn.Sequential and the modules without weights that a PyTorch model puts in one (ReLU, Tanh,
// Sigmoid, GELU, Dropout, Flatten, MaxPool2d, AvgPool2d), so `nn.Sequential(nn.Linear(2, 64),
// nn.ReLU(), nn.Linear(64, 3))` ports as written. Parameters are named as PyTorch names them
// ("0.weight", "2.bias"), so a state dict moves between the two by name.
import type { Tensor } from "./tensor.ts";
import type { Module } from "./modules.ts";
import { namedParameters } from "./named-parameters.ts";
import { relu, tanh, sigmoid, gelu } from "./ops-elementwise.ts";
import { dropout } from "./ops-layers.ts";
import { reshape } from "./ops-layout.ts";
import { maxPool2d, avgPool2d } from "./ops-conv.ts";

/** A module a Sequential can hold: one tensor in, one out. */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
  /** Training mode (dropout drops); Sequential's train() and eval() set it on every layer that has it. */
  training?: boolean;
}

/** Modules in order, each one's output the next one's input (torch.nn.Sequential). */
export class Sequential implements Layer {
  readonly layers: readonly Layer[];
  training = true;

  constructor(...layers: Layer[]) {
    layers.forEach((l, i) => {
      if (typeof l?.forward !== "function" || typeof l.parameters !== "function") {
        throw new TypeError(`Sequential: argument ${i} is not a module (it needs forward() and parameters(); did you pass nn.relu, not new nn.ReLU()?)`);
      }
    });
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    for (const l of this.layers) x = l.forward(x);
    return x;
  }

  /** Every layer's parameters, a weight shared by two layers once (an optimiser would step it twice). */
  parameters(): Tensor[] {
    return [...new Set(this.layers.flatMap((l) => l.parameters()))];
  }

  /** PyTorch's keys: the layer's index, then the name within it ("0.weight", "3.in_proj_weight"). */
  namedParameters(): Record<string, Tensor> {
    return namedParameters(this.layers);
  }

  /** Training mode for every layer (dropout drops). Returns this, as PyTorch's. */
  train(mode = true): this {
    this.training = mode;
    for (const l of this.layers) {
      if (l instanceof Sequential) l.train(mode);
      else if ("training" in l) l.training = mode;
    }
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** The i-th layer (negative from the end), as PyTorch's indexing. */
  at(i: number): Layer {
    const l = this.layers.at(i);
    if (!l) throw new RangeError(`Sequential.at: no layer ${i} among ${this.layers.length}`);
    return l;
  }

  get length(): number {
    return this.layers.length;
  }
}

/** A function of one tensor as a module without weights. */
abstract class Stateless implements Layer {
  abstract forward(x: Tensor): Tensor;
  parameters(): Tensor[] {
    return [];
  }
}

export class ReLU extends Stateless {
  forward(x: Tensor): Tensor { return relu(x); }
}
export class Tanh extends Stateless {
  forward(x: Tensor): Tensor { return tanh(x); }
}
export class Sigmoid extends Stateless {
  forward(x: Tensor): Tensor { return sigmoid(x); }
}
/** GELU, tanh form: PyTorch's nn.GELU(approximate="tanh") (its default erf form differs by < 1e-3). */
export class GELU extends Stateless {
  forward(x: Tensor): Tensor { return gelu(x); }
}

/** Inverted dropout with probability p while training; the identity after eval(). */
export class Dropout extends Stateless {
  training = true;
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout: p must be in [0, 1), got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }
}

/** Flattens dimensions startDim..endDim into one (torch.nn.Flatten: from 1, keeping the batch). */
export class Flatten extends Stateless {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    const rank = x.shape.length;
    const start = this.startDim < 0 ? this.startDim + rank : this.startDim;
    const end = this.endDim < 0 ? this.endDim + rank : this.endDim;
    if (!(start >= 0 && start <= end && end < rank)) throw new RangeError(`Flatten: dims ${this.startDim}..${this.endDim} do not fit a tensor of rank ${rank} ([${x.shape}])`);
    const merged = x.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
    return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
  }
}

export class MaxPool2d extends Stateless {
  constructor(readonly kernelSize: number, readonly stride?: number) {
    super();
  }
  forward(x: Tensor): Tensor { return maxPool2d(x, this.kernelSize, this.stride); }
}

export class AvgPool2d extends Stateless {
  constructor(readonly kernelSize: number, readonly stride?: number) {
    super();
  }
  forward(x: Tensor): Tensor { return avgPool2d(x, this.kernelSize, this.stride); }
}
