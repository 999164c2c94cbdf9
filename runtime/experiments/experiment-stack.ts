// An experiment's stack, mapped back to its own files and lines. Its bundle is loaded from a
// data: URL named by a sourceURL comment (experimentUrl), so each frame of its code names a
// line and column of the bundle; the source map esbuild made with the bundle (in the blob)
// says which file and line of the experiment's folder that came from.
import { SourceMap } from "node:module";

/** What the bundle's frames are named in a stack: the folder's name and a short hash (two experiments may share a name). */
export function experimentUrl(name: string, hash: string): string {
  return `discalc-experiment:${name}@${hash.slice(0, 8)}/bundle.js`;
}

/** Frames of this experiment's bundle mapped to `name/file:line:column`; other lines as they are. */
export function stackMapper(name: string, url: string, sourceMap: string | null): (stack: string) => string {
  let map: SourceMap | null | undefined;
  const frame = /(discalc-experiment:[^\s()]+):(\d+):(\d+)/g;
  return (stack) => stack.replace(frame, (whole, at: string, line: string, column: string) => {
    if (at !== url) return whole;
    // Parsed once, when the experiment first fails: most never do.
    if (map === undefined) map = parseMap(sourceMap);
    const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !("originalSource" in entry) || !entry.originalSource) return `${name}/bundle.js:${line}:${column}`;
    return `${name}/${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

function parseMap(text: string | null): SourceMap | null {
  if (text === null) return null;
  try {
    return new SourceMap(JSON.parse(text) as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    return null;
  }
}
