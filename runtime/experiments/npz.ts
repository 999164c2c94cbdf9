// NumPy's .npz for a state of named arrays: a zip of one .npy (format 1.0) per name, which
// `numpy.load(path)[name]` opens with its dtype and shape. Written deterministically (entries
// in the record's order, one fixed timestamp, deflate), so one state gives one file's bytes;
// read back through the data-file reader's checks (npy-reader.ts).
import { zipSync, unzipSync, type Zippable } from "fflate";
import { dump } from "npyjs";
import { namedArrayProblem, type NamedArrays } from "../../kernels/named-arrays.ts";
import { readNpyArray } from "../datasets/npy-reader.ts";

/** Local time 1980-01-01 00:00, the zip format's first representable instant: the same DOS fields in every time zone. */
const FIXED_MTIME = () => new Date(1980, 0, 1, 0, 0, 0);

export function encodeNpz(arrays: NamedArrays): Uint8Array {
  const entries: Zippable = {};
  const problems: string[] = [];
  for (const [name, a] of Object.entries(arrays)) {
    const problem = name === "" || name.endsWith("/") ? `${JSON.stringify(name)}: not a usable array name` : namedArrayProblem(name, a);
    if (problem) {
      problems.push(problem);
      continue;
    }
    entries[`${name}.npy`] = [new Uint8Array(dump(a.data, a.shape)), { mtime: FIXED_MTIME(), level: 6 }];
  }
  if (problems.length) throw new RangeError(`encodeNpz: ${problems.join("; ")}`);
  return zipSync(entries);
}

/** The named arrays of an .npz; `file` names it in messages. Arrays of f4, f8, u1, i4 (and exact i8, as f8). */
export function decodeNpz(bytes: Uint8Array, file = "state.npz"): NamedArrays {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    throw new Error(`${file}: is not a readable NPZ (zip) file: ${(err as Error).message}`, { cause: err });
  }
  const out: NamedArrays = {};
  for (const [entry, npy] of Object.entries(entries)) {
    if (!entry.endsWith(".npy")) continue;
    const name = entry.slice(0, -4);
    const a = readNpyArray(npy, { field: "npz", file }, name);
    out[name] = { shape: a.shape, data: a.values as NamedArrays[string]["data"] };
  }
  return out;
}
