// Reads one data file named by a config, relative to the config's folder, refusing a file over
// the cap before reading it. A gzipped file (1f 8b) is inflated here, under the same cap, so
// every reader sees plain bytes.
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { DatasetFileError, fileError, type DataFileRef } from "./dataset-file-error.ts";

/** The largest data file the controller packs, before and after gunzip: 256 MiB. */
export const MAX_DATA_FILE_BYTES = 256 * 1024 * 1024;

export function readDataFile(ref: DataFileRef, baseDir: string, maxBytes = MAX_DATA_FILE_BYTES): Uint8Array {
  const path = resolve(baseDir, ref.file);
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw fileError(ref, null, `${path} is not a file`);
    size = stat.size;
  } catch (err) {
    throw ioError(ref, path, err);
  }
  const cap = `${formatCap(maxBytes)} cap for a data file`;
  if (size > maxBytes) throw fileError(ref, null, `${formatSize(size)} is over the ${cap}`);
  let bytes: Uint8Array;
  try {
    const buffer = readFileSync(path);
    // A plain Uint8Array view: a Buffer's slice() shares memory, which readers must not meet.
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (err) {
    throw ioError(ref, path, err);
  }
  if (bytes.byteLength > maxBytes) throw fileError(ref, null, `${formatSize(bytes.byteLength)} is over the ${cap}`);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const plain = gunzipSync(bytes, { maxOutputLength: maxBytes });
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw fileError(ref, null, `decompresses to more than the ${cap}`, { cause: err });
    }
    throw fileError(ref, null, `starts like gzip (1f 8b) but does not inflate: ${(err as Error).message}`, { cause: err });
  }
}

function ioError(ref: DataFileRef, path: string, err: unknown): Error {
  if (err instanceof DatasetFileError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return fileError(ref, null, `no such file: ${path} (ENOENT)`, { cause: err });
  return fileError(ref, null, `cannot read ${path}: ${code ?? (err as Error).message}`, { cause: err });
}

/** Decimal units for a file's size ("300.0 MB"), as file managers show it. */
export function formatSize(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

/** A cap as it was chosen: "256 MiB", "64 KiB", or bytes for a test's odd value. */
function formatCap(bytes: number): string {
  if (bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MiB`;
  if (bytes % 2 ** 10 === 0) return `${bytes / 2 ** 10} KiB`;
  return `${bytes}-byte`;
}
