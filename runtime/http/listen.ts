// Starts an HTTP server for a Koa app, as every discalc daemon does, with the limits that keep
// unauthenticated sockets from holding its memory: a short time to send a request's head, and
// a cap on open connections.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type Koa from "koa";

/**
 * The request line and headers together, at most: Node's default. Long values travel in
 * bodies (a poll's trial lists), which are read only once a request has shown its identity.
 */
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * A request's head must arrive within this (Node's default is 60 s). Each connection may buffer
 * up to MAX_HEADER_BYTES of a head meanwhile, so this bounds how long a socket that never finishes
 * one holds that memory. A client's head is sent at once: seconds are plenty.
 */
export const HEAD_TIMEOUT_MS = 5_000;
/**
 * Open connections a daemon takes at most; past it Node closes new sockets at once. A fleet
 * keeps a few keep-alive sockets per machine talking to a daemon (relays spread the rest), and
 * each socket may buffer a head: the cap bounds that memory.
 */
export const MAX_CONNECTIONS = 4096;
/** Idle keep-alive sockets stay open this long (Node's default is 5 s). */
export const KEEP_ALIVE_MS = 65_000;

/**
 * DISCALC_MAX_CONNECTIONS: the cap for a daemon started by the bootstrap (a relay), which takes
 * no flags of its own; undefined when unset. The controller's --max-connections defaults to it.
 */
export function maxConnectionsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.DISCALC_MAX_CONNECTIONS;
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new Error(`DISCALC_MAX_CONNECTIONS must be an integer 1..1000000, got "${v}"`);
  return n;
}

export interface ListenLimits {
  /** Time to send a request's head (ms). */
  headTimeoutMs?: number;
  /** Open connections at most. */
  maxConnections?: number;
}

/** Mount every router first: Koa fixes its middleware when callback() is called. */
export async function listenHttp(app: Koa, port: number, host: string, limits: ListenLimits = {}): Promise<{ server: http.Server; port: number }> {
  const headTimeoutMs = limits.headTimeoutMs ?? HEAD_TIMEOUT_MS;
  const server = http.createServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    // Node checks the head and request deadlines only this often (30 s by default), so a socket
    // could outlive the head timeout by that much: check a few times per timeout.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headTimeoutMs / 4))),
  }, app.callback());
  // headersTimeout counts from a request's first byte: an idle keep-alive socket between
  // requests is not timed by it (only by keepAliveTimeout).
  server.headersTimeout = headTimeoutMs;
  // The whole request, body included (a deploy uploads a bundle): Node's default of 5 minutes,
  // set here so it is seen beside the head's.
  server.requestTimeout = 300_000;
  // Keep idle keep-alive sockets longer than any poll interval, so a client never reuses a
  // socket the server is closing at that instant.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.maxConnections = limits.maxConnections ?? MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
