// The local agent of `discalc run`: a child process that `run` starts before its controller,
// so that this process's start-up overlaps the controller's. It waits on its IPC channel for
// the controller's URL and token, then runs the bootstrap as `discalc join` does.
// Plain JavaScript on plain Node (no tsx): the bootstrap and the bundle it downloads need
// neither, and under tsx's loader this process's start and the bundle's import were several times slower.
//
// `run` sends one message: { type: "join", options } with the bootstrap's options
// (controller, token, routes, threads?, listen?).
import { main as bootstrap } from "../worker/bootstrap.mjs";

// The run that started us is gone (even a SIGKILL closes the channel): without this we
// would poll a controller that is gone, forever.
process.on("disconnect", () => process.exit(0));

// The first fetch loads Node's HTTP client (tens of ms): done while we wait, not after the join.
fetch("data:,").catch(() => {});

process.once("message", (msg) => {
  // From here the bootstrap's own work keeps us alive; the channel stays open only to tell us
  // if the run dies.
  process.channel?.unref();
  if (msg?.type !== "join") {
    console.error(`discalc: the local agent expected a join message, got ${JSON.stringify(msg)?.slice(0, 200)}`);
    process.exit(1);
  }
  bootstrap(msg.options).then(
    (code) => { process.exitCode = code; },
    (err) => {
      console.error(`discalc: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
});
