// `discalc join` (and `discalc relay`): runs the same bootstrap that the one-line join
// serves, from this installed package: join, download and verify the bundle, run it.
import { routes } from "../../protocol/routes.ts";
// @ts-expect-error: plain JavaScript, dependency-free by design (served to bare machines)
import { main as bootstrap, grantedThreads } from "../worker/bootstrap.mjs";

export { grantedThreads };

export interface JoinOptions {
  controller: string;
  token: string;
  threads?: number;
  role?: "relay" | "worker";
  relayPort?: number;
  advertise?: string;
  listen?: string;
  /** Exit 0 after this many seconds with nothing to run and nothing to lease. */
  exitWhenIdle?: number;
  /** On SIGTERM, seconds for running trials to store a checkpoint before they are handed back. */
  termGrace?: number;
}

/** The routes the bootstrap uses, which the controller fills into the copy it serves. */
export const BOOTSTRAP_ROUTES = { join: routes.join.path, blob: routes.blob.path };

export async function joinCommand(o: JoinOptions): Promise<number> {
  if (process.env.DISCALC_EXIT_WITH_PARENT === "1") exitWithParent();
  return (await bootstrap({ ...o, routes: BOOTSTRAP_ROUTES })) as number;
}

/**
 * A `discalc join` started by another process (DISCALC_EXIT_WITH_PARENT=1) ends with it: a parent
 * killed with SIGKILL (or crashed) cannot signal its child, which would otherwise poll a
 * controller that is gone, forever. (`discalc run`'s own agent, local-agent.mjs, watches its IPC channel.)
 */
function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
}

/**
 * The line that joins a bare machine (Node.js 20, nothing else) to a controller. It pins the
 * bootstrap: a script whose SHA-256 is not `sha` is refused before it runs. The token is read
 * from DISCALC_TOKEN on that machine, never written into node's argv (`ps` shows argv to every
 * user): the line carries it only when `token` is given (--print-token), as the shell's
 * assignment before the command, which sets the environment and is no argument of node's.
 */
export function bootstrapOneLiner(controllerUrl: string, sha: string, opts: { token?: string } = {}): string {
  const u = JSON.stringify(controllerUrl).slice(1, -1);
  const env = opts.token === undefined ? "" : `DISCALC_TOKEN=${shellQuote(opts.token)} `;
  return `${env}node -e "const t=process.env.DISCALC_TOKEN;if(!t)throw new Error('set DISCALC_TOKEN to the cluster token first');` +
    `fetch('${u}${routes.bootstrap.path}').then(r=>r.text()).then(s=>{const h=require('crypto').createHash('sha256').update(s).digest('hex');` +
    `if(h!=='${sha}')throw new Error('bootstrap refused: SHA-256 '+h+', pinned ${sha}');return import('data:text/javascript,'+encodeURIComponent(s))})` +
    `.then(m=>m.main({controller:'${u}',token:t})).then(c=>process.exit(c))"`;
}

/** One word for a POSIX shell, whatever it holds: single quotes, and each ' as '\''. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
