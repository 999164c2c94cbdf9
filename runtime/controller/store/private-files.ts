// The controller's data folder holds its signing key (in the SQLite store), its tokens and its
// blobs: the folder is 0700 and those files 0600, set explicitly where each is made. Not by
// umask: that would change the modes of everything the process (and a `discalc run`'s agent
// and threads) creates, and a library's files are not ours to decide.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync } from "node:fs";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Whether this process owns the path (on Windows, with no uids, everything counts as ours). */
function ours(path: string): boolean {
  return process.getuid === undefined || statSync(path).uid === process.getuid();
}

/**
 * Creates the folder (and its parents, which keep the umask's mode: they may be shared) 0700, or
 * makes an existing one that we own 0700. One owned by another user (a shared mount, root's
 * folder given to a service) is left as it is: its owner decides.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (ours(dir)) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Makes a file 0600 when it exists and is ours; creates it empty (0600 from the start) when `create`. */
export function ensurePrivateFile(path: string, opts: { create?: boolean } = {}): void {
  if (!existsSync(path)) {
    if (!opts.create) return;
    // "a": creates it if absent, never truncates one made in between.
    closeSync(openSync(path, "a", PRIVATE_FILE_MODE));
  }
  if (ours(path)) chmodSync(path, PRIVATE_FILE_MODE);
}

/** Writes a file that only its owner may read: 0600 from its creation, not after. */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data, { mode: PRIVATE_FILE_MODE });
  // writeFileSync's mode applies only when it creates the file (and under the umask).
  chmodSync(path, PRIVATE_FILE_MODE);
}
