// The text a failed trial carries: the error's message and the stack of where it was thrown,
// the experiment's own frames mapped to its files and lines, the runtime's frames below the
// experiment's left out (they are the same for every trial), within what a result may carry.

/** A result's error is at most this long (protocol/messages.ts). */
const MAX_ERROR_CHARS = 10_000;
const MAX_FRAMES = 20;
/** Frames of discalc's own code (from source, or its node bundle run from a data: URL) and of Node's. */
const RUNTIME_FRAME = /\/(runtime|kernels|protocol)\/[^\s]*:\d+:\d+\)?$|\(node:|at node:|\/node_modules\/|discalc-bundle:/;
/** A module run from a data: URL is named by its whole source in a frame: shortened to what says where. */
const DATA_URL = /data:[^\s)]*?(:\d+:\d+)(?=\)?$)/;

export function trialErrorText(err: unknown, mapStack?: (stack: string) => string): string {
  if (!(err instanceof Error)) return String(err).slice(0, MAX_ERROR_CHARS);
  const head = `${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${err.message}`;
  const stack = typeof err.stack === "string" ? (mapStack ? mapStack(err.stack) : err.stack) : "";
  let frames = stack.split("\n").filter((l) => /^\s+at /.test(l)).map((l) => l.trim().replace(DATA_URL, "discalc-bundle$1"));
  // Below the experiment's last frame are the runtime's, the same for every trial: cut there.
  const own = frames.findLastIndex((l) => !RUNTIME_FRAME.test(l));
  if (own >= 0) frames = frames.slice(0, own + 1);
  const text = [head, ...frames.slice(0, MAX_FRAMES).map((l) => `    ${l}`)].join("\n");
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS - 1)}…`;
}
