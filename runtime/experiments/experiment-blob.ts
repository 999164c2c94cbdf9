// The content-addressed blob a researcher's experiment ships as: its bundled JavaScript and
// its own compiled WebAssembly, in one JSON document whose bytes are the same for the same
// sources (the blob's SHA-256 joins the sweep's identity).

const FORMAT = "discalc-experiment/1";

export interface ExperimentBlob {
  /** The folder's name, for messages. */
  name: string;
  /** One ESM module whose default export is the experiment. */
  code: string;
  /** The experiment's own module (assembly/index.ts), or null. */
  wasm: Uint8Array | null;
  /**
   * esbuild's source map of `code` (JSON, sources relative to the folder, no contents), so a
   * failed trial's stack names the experiment's own files and lines; null in blobs made before.
   */
  sourceMap?: string | null;
}

export function encodeExperimentBlob(b: ExperimentBlob): Uint8Array {
  const doc = { format: FORMAT, name: b.name, code: b.code, wasm: b.wasm ? Buffer.from(b.wasm).toString("base64") : null, sourceMap: b.sourceMap ?? null };
  return new TextEncoder().encode(JSON.stringify(doc));
}

export function decodeExperimentBlob(bytes: Uint8Array): ExperimentBlob {
  let doc: { format?: unknown; name?: unknown; code?: unknown; wasm?: unknown; sourceMap?: unknown };
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes)) as typeof doc;
  } catch {
    throw new Error("experiment blob is not JSON");
  }
  if (doc.format !== FORMAT) throw new Error(`experiment blob has format ${JSON.stringify(doc.format)}, expected ${FORMAT}`);
  if (typeof doc.name !== "string" || typeof doc.code !== "string") throw new Error("experiment blob lacks its name or code");
  if (doc.wasm !== null && typeof doc.wasm !== "string") throw new Error("experiment blob's wasm is neither base64 nor null");
  if (doc.sourceMap !== undefined && doc.sourceMap !== null && typeof doc.sourceMap !== "string") throw new Error("experiment blob's sourceMap is neither text nor null");
  return {
    name: doc.name, code: doc.code, wasm: doc.wasm === null ? null : new Uint8Array(Buffer.from(doc.wasm, "base64")),
    sourceMap: typeof doc.sourceMap === "string" ? doc.sourceMap : null,
  };
}
