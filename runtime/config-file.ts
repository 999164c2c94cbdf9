// Reads a YAML or JSON config file into plain data, with errors that name the file.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";

export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read config ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  try {
    return path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new Error(`config ${path} is not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${(err as Error).message}`);
  }
}
