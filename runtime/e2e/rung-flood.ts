// Abandoned rung long-polls, as an attacker sends them: many posts for one trial, each socket
// dropped a moment after it is sent. Shared by the adversarial test and the load benchmark.
import http from "node:http";

export interface Flood {
  /** Full URL of the rung route with its query. */
  url: string;
  cookie: string;
  body: unknown;
  posts: number;
  /** Posts in flight at once. */
  concurrency: number;
  /** How long each post's socket stays open. */
  dropAfterMs: number;
}

/** Sends the posts and drops each one's socket after dropAfterMs; resolves when all are gone. */
export async function floodRung(f: Flood): Promise<void> {
  const body = JSON.stringify(f.body);
  // A fresh connection per post (no keep-alive), as a client that vanishes leaves them.
  const agent = new http.Agent({ keepAlive: false, maxSockets: f.concurrency });
  let sent = 0;
  const one = () => new Promise<void>((resolve) => {
    const req = http.request(f.url, {
      method: "POST", agent,
      headers: { cookie: f.cookie, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    const drop = setTimeout(() => req.destroy(), f.dropAfterMs);
    req.on("response", (res) => res.resume());
    req.on("close", () => {
      clearTimeout(drop);
      resolve();
    });
    req.on("error", () => {});
    req.end(body);
  });
  const lane = async () => {
    while (sent < f.posts) {
      sent++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: f.concurrency }, lane));
  agent.destroy();
}

/** One sample of the Prometheus text at /metrics. */
export async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(new URL("/metrics", base))).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(" ")[1]);
}
