// The built-in trainer's checkpoint: everything that decides the rest of a run, as bytes, so a
// run resumed on a fresh instance (any machine) ends with the uninterrupted run's weights.
// It is taken at an epoch's end or between two steps of an epoch.
// Layout (little-endian): the magic "DCNETCKP", a u32 format version, a u32 length, that many
// bytes of JSON (the layout it fits, the epoch, the step, the rows of the epoch done, their
// summed loss and the last step's rate, the reports so far), padding to 4,
// then the raw sections in order: parameters f32, the optimizer's moments f32 (none for sgd,
// one for momentum, two for adam), the epoch's sample order i32, and the shuffle and dropout
// generators' states. Initialisation draws nothing after the first step, so its stream is not kept.
import type { EpochMetrics } from "./epoch-metrics.ts";

const MAGIC = "DCNETCKP";
/** Bumped whenever the sections or the JSON change meaning: an older checkpoint is refused, never misread. */
export const NETWORK_CHECKPOINT_VERSION = 1;

/**
 * What a checkpoint must fit: a checkpoint of another network, optimizer or split is refused, not
 * loaded. The settings outside it (the rate, its schedule, the epochs, weight decay) may differ
 * from the run that wrote it: a resumed run reads them from its own config (population-based
 * training perturbs them so).
 */
export interface CheckpointLayout {
  paramCount: number;
  /** Moment buffers of the optimizer: 0 (sgd), 1 (momentum), 2 (adam). */
  moments: 0 | 1 | 2;
  trainRows: number;
  /** Each layer's type and shapes, e.g. "conv2d [28,28,1]→[28,28,8]". */
  layers: string[];
  /** Bytes of one generator's state. */
  rngBytes: number;
}

/** Where training is, and what it has reported: the checkpoint's JSON. Numbers as JSON read back to the same bits. */
export interface TrainerPosition {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken (Adam's bias correction and the schedule read it). */
  step: number;
  /** Rows of the next epoch already trained on (0 at an epoch's end), and the sum of their batches' losses. */
  rows: number;
  lossSum: number;
  /** The rate of the last step (the epoch's report gives it, when no step is left before it). */
  lr: number;
  /** The reports of the epochs completed, as the trainer made them. */
  reports: EpochMetrics[];
}

/** The raw sections: bytes of wasm memory, as they are. */
export interface TrainerBuffers {
  params: Uint8Array;
  moments: Uint8Array[];
  order: Uint8Array;
  shuffleRng: Uint8Array;
  dropoutRng: Uint8Array;
}

export type TrainerState = TrainerPosition & TrainerBuffers;

export class CheckpointMismatch extends Error {
  override name = "CheckpointMismatch";
}

type Header = TrainerPosition & { layout: CheckpointLayout };

const pad4 = (n: number) => (n + 3) & ~3;

function sectionSizes(layout: CheckpointLayout): number[] {
  return [
    layout.paramCount * 4,
    ...Array.from({ length: layout.moments }, () => layout.paramCount * 4),
    layout.trainRows * 4,
    layout.rngBytes,
    layout.rngBytes,
  ];
}

export function encodeCheckpoint(layout: CheckpointLayout, state: TrainerState): Uint8Array {
  const header: Header = { layout, epoch: state.epoch, step: state.step, rows: state.rows, lossSum: state.lossSum, lr: state.lr, reports: state.reports };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const sections = [state.params, ...state.moments, state.order, state.shuffleRng, state.dropoutRng];
  const sizes = sectionSizes(layout);
  sections.forEach((s, i) => {
    if (s.byteLength !== sizes[i]) throw new RangeError(`encodeCheckpoint: section ${i} has ${s.byteLength} bytes, its layout says ${sizes[i]}`);
  });
  const start = pad4(16 + json.byteLength);
  const out = new Uint8Array(start + sizes.reduce((a, b) => a + b, 0));
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, NETWORK_CHECKPOINT_VERSION, true);
  view.setUint32(12, json.byteLength, true);
  out.set(json, 16);
  let at = start;
  for (const s of sections) {
    out.set(s, at);
    at += s.byteLength;
  }
  return out;
}

const describe = (l: CheckpointLayout) =>
  `${l.paramCount} parameters, ${["sgd", "momentum", "adam"][l.moments]}'s ${l.moments} moment buffer(s), ${l.trainRows} train rows, layers ${l.layers.join(", ")}`;

/** The parameters of a checkpoint, by the layout its own header gives (a kept population-based training member's weights). */
export function checkpointParams(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new CheckpointMismatch(`not a checkpoint of the built-in trainer`);
  const jsonBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonBytes))) as Header;
  return decodeCheckpoint(bytes, header.layout).params;
}

/** The state in `bytes`, refused with a CheckpointMismatch unless it is this format's and fits `expected`. */
export function decodeCheckpoint(bytes: Uint8Array, expected: CheckpointLayout): TrainerState {
  if (bytes.byteLength < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new CheckpointMismatch(`resumeFrom: not a checkpoint of the built-in trainer (it does not start with "${MAGIC}")`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== NETWORK_CHECKPOINT_VERSION) {
    throw new CheckpointMismatch(`resumeFrom: checkpoint format version ${version}; this trainer reads version ${NETWORK_CHECKPOINT_VERSION} only`);
  }
  const jsonBytes = view.getUint32(12, true);
  if (16 + jsonBytes > bytes.byteLength) throw new CheckpointMismatch(`resumeFrom: the checkpoint is truncated inside its header`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonBytes))) as Header;
  if (JSON.stringify(header.layout) !== JSON.stringify(expected)) {
    throw new CheckpointMismatch(`resumeFrom: the checkpoint is of another network or split (${describe(header.layout)}); this trial has ${describe(expected)}`);
  }
  const sizes = sectionSizes(expected);
  const start = pad4(16 + jsonBytes);
  const total = start + sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== total) throw new CheckpointMismatch(`resumeFrom: the checkpoint has ${bytes.byteLength} bytes; its layout needs ${total}`);
  let at = start;
  const sections = sizes.map((n) => bytes.subarray(at, (at += n)));
  const [params, ...rest] = sections as [Uint8Array, ...Uint8Array[]];
  const [order, shuffleRng, dropoutRng] = rest.slice(expected.moments) as [Uint8Array, Uint8Array, Uint8Array];
  return { epoch: header.epoch, step: header.step, rows: header.rows, lossSum: header.lossSum, lr: header.lr, reports: header.reports, params, moments: rest.slice(0, expected.moments), order, shuffleRng, dropoutRng };
}
