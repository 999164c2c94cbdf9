// One HTTP request of the protocol client, on node:http (keep-alive, the global agents):
// undici's fetch cost noticeably more CPU per request than this on the same loopback call
// (its Request, Headers, streams and abort machinery), on an agent's busiest thread.
import http from "node:http";
import https from "node:https";

export interface RawResponse {
  status: number;
  statusText: string;
  /** Each Set-Cookie header, as sent. */
  setCookies: string[];
  /** Where a redirect points (the client follows none). */
  location?: string;
  body: Buffer;
}

export interface RawRequest {
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Cancels the request: it fails with the signal's reason. */
  signal?: AbortSignal;
  /** Fails the request when the whole answer has not come within this time. */
  timeoutMs?: number;
}

export function httpRequest(url: string, o: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = o.body ? { ...o.headers, "content-length": String(o.body.byteLength) } : o.headers;
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: Error) => {
      clearTimeout(timer);
      // As fetch did: the caller's own reason (an agent's poll says why it gave up), not Node's generic AbortError.
      reject(o.signal?.aborted ? (o.signal.reason as Error) : err);
    };
    const req = (url.startsWith("https:") ? https : http).request(url, { method: o.method, headers, signal: o.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", fail);
      res.on("end", () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", setCookies: res.headers["set-cookie"] ?? [],
          location: res.headers.location, body: Buffer.concat(chunks),
        });
      });
    });
    if (o.timeoutMs !== undefined) timer = setTimeout(() => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on("error", fail);
    req.end(o.body);
  });
}
