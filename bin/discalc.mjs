#!/usr/bin/env node
// The `discalc` command: runs the TypeScript CLI through tsx.
import { register } from "tsx/esm/api";

register();
await import("../runtime/cli.ts");
