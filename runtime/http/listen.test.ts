// A daemon's connection limits, on real sockets: a head never finished is cut at the head
// timeout while an idle keep-alive socket lives on, and sockets past the cap are closed at once
// while the ones already open are still served.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import type http from "node:http";
import Koa from "koa";
import { listenHttp, HEAD_TIMEOUT_MS, KEEP_ALIVE_MS, MAX_HEADER_BYTES, MAX_CONNECTIONS, maxConnectionsFromEnv, type ListenLimits } from "./listen.ts";

const servers: http.Server[] = [];
const sockets: Socket[] = [];
after(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.closeAllConnections(), s.close();
});

async function daemon(limits?: ListenLimits): Promise<{ server: http.Server; port: number }> {
  const app = new Koa();
  app.use((ctx) => (ctx.body = "ok"));
  const d = await listenHttp(app, 0, "127.0.0.1", limits);
  servers.push(d.server);
  return d;
}

/** An open socket to the daemon, its answers gathered as text; `closed` resolves with the ms from now to its close. */
async function open(port: number): Promise<{ socket: Socket; text: () => string; closed: Promise<number> }> {
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  let text = "";
  socket.on("data", (d) => (text += d));
  socket.on("error", () => {});
  const t0 = performance.now();
  const closed = new Promise<number>((r) => socket.once("close", () => r(performance.now() - t0)));
  await new Promise<void>((r, j) => socket.once("connect", r).once("error", j));
  return { socket, text: () => text, closed };
}

const REQUEST = "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
const answered = async (s: { text: () => string }, n: number) => {
  const until = Date.now() + 3000;
  while ((s.text().match(/HTTP\/1\.1 200 OK/g) ?? []).length < n) {
    if (Date.now() > until) throw new Error(`no answer ${n}: ${JSON.stringify(s.text())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test("the defaults: a short head timeout, a connection cap, keep-alive longer than any poll, 16 KiB heads", () => {
  assert.ok(HEAD_TIMEOUT_MS <= 10_000 && HEAD_TIMEOUT_MS >= 1_000, String(HEAD_TIMEOUT_MS));
  assert.equal(MAX_CONNECTIONS, 4096);
  assert.equal(KEEP_ALIVE_MS, 65_000);
  assert.equal(MAX_HEADER_BYTES, 16 * 1024);
  assert.equal(maxConnectionsFromEnv({}), undefined);
  assert.equal(maxConnectionsFromEnv({ DISCALC_MAX_CONNECTIONS: "100" }), 100);
  assert.throws(() => maxConnectionsFromEnv({ DISCALC_MAX_CONNECTIONS: "0" }), /DISCALC_MAX_CONNECTIONS must be an integer 1\.\.1000000, got "0"/);
});

test("a head past 16 KiB is refused at once with 431", { timeout: 15_000 }, async () => {
  const { port } = await daemon();
  const long = await open(port);
  long.socket.write(`GET /x?running=${"1".repeat(MAX_HEADER_BYTES)}`);
  await long.closed;
  assert.match(long.text(), /^HTTP\/1\.1 431 /);
});

test("a socket that sends most of a head and stops is closed within the head timeout; an idle keep-alive socket outlives it", { timeout: 30_000 }, async () => {
  const { server, port } = await daemon();
  assert.equal(server.headersTimeout, HEAD_TIMEOUT_MS);
  const half = await open(port);
  half.socket.write(`GET /x?running=${"1".repeat(MAX_HEADER_BYTES - 1024)}`);
  const idle = await open(port);
  idle.socket.write(REQUEST);
  await answered(idle, 1);
  // The head's deadline is checked every second at most: cut within that of the timeout.
  const cutAfter = await half.closed;
  assert.ok(cutAfter >= HEAD_TIMEOUT_MS - 100 && cutAfter <= HEAD_TIMEOUT_MS + 1_500, `cut after ${cutAfter.toFixed(0)} ms`);
  assert.match(half.text(), /^HTTP\/1\.1 408 /);
  // The keep-alive socket sat idle past the head timeout, and serves its next request.
  // Two of the server's checks later: had the head timeout applied to it, it would be cut by now.
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(idle.socket.destroyed, false, "the idle keep-alive socket is still open");
  idle.socket.write(REQUEST);
  await answered(idle, 2);
});

test("past the connection cap new sockets are closed at once; the open ones are still served", { timeout: 15_000 }, async () => {
  const { server, port } = await daemon({ maxConnections: 3 });
  const held = [await open(port), await open(port), await open(port)];
  await new Promise<void>((r) => {
    const check = () => server.getConnections((_e, n) => (n === 3 ? r() : setTimeout(check, 10)));
    check();
  });
  const refused = await open(port);
  const within = await Promise.race([refused.closed, new Promise<number>((r) => setTimeout(() => r(-1), 2_000))]);
  assert.ok(within >= 0, "the fourth socket was not closed");
  assert.equal(refused.text(), "");
  for (const [i, h] of held.entries()) {
    h.socket.write(REQUEST);
    await answered(h, 1).catch((e) => assert.fail(`held socket ${i}: ${(e as Error).message}`));
  }
});
