// Starts an HTTP server for a Koa app, as every discalc daemon does.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type Koa from "koa";

/** The request line and headers together, at most (Node's default is 16 KiB). */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Mount every router first: Koa fixes its middleware when callback() is called. */
export async function listenHttp(app: Koa, port: number, host: string): Promise<{ server: http.Server; port: number }> {
  // A worker's poll lists every trial it holds in the URL, results on their way included: an
  // agent of 1,024 threads may list 2 × (1,024 + 256) trials, about 33 KB, past Node's 16 KB.
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app.callback());
  // Keep idle keep-alive sockets longer than any poll interval, so a client never reuses a
  // socket the server is closing at that instant.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
