// No import cycles among the TypeScript sources: a cycle means two files are one concept, or one
// of them holds something the other should own. Type-only imports count too, since they tie the
// files' meanings together just the same (and turn into real cycles the day a value is added).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCES = ["runtime", "protocol", "kernels"];
const SKIP = new Set(["kernels/assembly", "node_modules"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return SKIP.has(path) || e.name === "node_modules" ? [] : sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** The files a file imports or re-exports, by relative specifier, as repository paths. */
export function importsOf(path: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(root, path), "utf8"), true, true);
  return info.importedFiles.flatMap(({ fileName }) => {
    if (!fileName.startsWith(".")) return [];
    const target = relative(root, resolve(root, dirname(path), fileName));
    // A .mjs beside its declarations (.d.mts) is one module.
    const found = [target, target.replace(/\.mjs$/, ".d.mts")].find((p) => existsSync(join(root, p)));
    return found ? [found.replace(/\.d\.mts$/, ".mjs")] : [];
  });
}

/** Each strongly connected group of files (more than one, or one importing itself), as one cycle through it. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group);
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.map((group) => cycleThrough(graph, new Set(group), group.sort()[0]!));
}

/** A shortest path from `start` back to itself inside the group (breadth first). */
function cycleThrough(graph: Map<string, string[]>, group: Set<string>, start: string): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!group.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(from.get(path[0]!)!);
        return [...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

test("the cycle finder finds a cycle and ignores a diamond", () => {
  const graph = new Map([["a", ["b", "c"]], ["b", ["d"]], ["c", ["d"]], ["d", []], ["x", ["y"]], ["y", ["z"]], ["z", ["x"]]]);
  assert.deepEqual(importCycles(graph), [["x", "y", "z", "x"]]);
});

test("runtime, protocol and kernels import without cycles", () => {
  const graph = new Map(SOURCES.flatMap(sourceFiles).map((path) => [path, importsOf(path)]));
  assert.ok(graph.size > 100, `found only ${graph.size} source files`);
  const cycles = importCycles(graph);
  assert.deepEqual(cycles.map((c) => c.join(" → ")), [], `${cycles.length} import cycles`);
});
