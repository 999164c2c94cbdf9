// The one HTTP client of the protocol: builds URLs from the route table, keeps the
// identity cookie that join sets, encodes bodies, and checks answers against the schema.
import { createHash } from "node:crypto";
import { routes, routeUrl, type RouteName, type QueryOf, type BodyOf, type ResponseOf } from "./routes.ts";
import { deflate } from "pako";
import { encodeJsonBody, inflateCapped, COMPRESS_LEVEL, BodyTooLargeError } from "./codec.ts";
import type { StateKind, StateStored } from "./messages.ts";
import { httpRequest, type RawResponse } from "./http-request.ts";

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly url: string) {
    super(`${status} ${message} (${url})`);
    this.name = "HttpError";
  }
}

export interface CallOptions<N extends RouteName> {
  query?: QueryOf<N>;
  body?: BodyOf<N>;
  pathParams?: Record<string, string>;
  /** Another base URL than the client's (a worker calls its relay, joins at the controller). */
  base?: string;
  /**
   * true: always deflate (result batches going upstream); false: never (a worker's hop to its
   * relay, usually on the same network: deflating cost more CPU than the bytes it saved; the
   * relay deflates upward); unset: when it pays (codec.ts).
   */
  deflate?: boolean;
  /** The whole request's limit (default 30 s); not used with `signal`, which carries the caller's own. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class ProtocolClient {
  /** The identity cookie pair ("discalc_id=…; discalc_id.sig=…"), set by join. */
  cookie = "";
  bytesSent = 0;
  rawBytesSent = 0;

  constructor(public base: string, public bearer?: string) {}

  async call<N extends RouteName>(name: N, opts: CallOptions<N> = {}): Promise<ResponseOf<N>> {
    const route = routes[name];
    const url = routeUrl(opts.base ?? this.base, name, opts.query as Record<string, string | number | undefined>, opts.pathParams);
    const headers: Record<string, string> = {};
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    if (this.cookie) headers.cookie = this.cookie;
    let body: Uint8Array | undefined;
    if (opts.body instanceof Uint8Array) {
      // Binary bodies (trial states) travel deflated by their sender: sent as given.
      headers["content-type"] = "application/octet-stream";
      headers["content-encoding"] = "deflate";
      body = opts.body;
      this.bytesSent += body.byteLength;
      this.rawBytesSent += body.byteLength;
    } else if (opts.body !== undefined) {
      const encoded = encodeJsonBody(opts.body, opts.deflate === true ? "deflate" : opts.deflate === false ? "raw" : undefined);
      Object.assign(headers, encoded.headers);
      body = encoded.body;
      this.bytesSent += body.byteLength;
      this.rawBytesSent += encoded.rawBytes;
    }
    // A caller's own signal carries its own timeout (an agent's long-poll); otherwise 30 s.
    const res = await httpRequest(url, { method: route.method, headers, body, signal: opts.signal, timeoutMs: opts.signal ? undefined : opts.timeoutMs ?? 30_000 });
    if (res.setCookies.length) this.cookie = res.setCookies.map((c) => c.split(";")[0]).join("; ");
    // Nothing here redirects; a proxy in front might: say where, rather than follow it silently.
    if (res.status >= 300 && res.status <= 399) throw new HttpError(res.status, `redirected to ${res.location ?? "(no location)"}: give that URL instead`, url);
    if (res.status < 200 || res.status > 299) throw new HttpError(res.status, errorMessage(res), url);
    if (name === "blob" || name === "restore") {
      // A small body may be a view into Node's shared buffer pool: then a copy of its own.
      const b = res.body;
      return (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? new Uint8Array(b.buffer) : new Uint8Array(b)) as ResponseOf<N>;
    }
    if (name === "bootstrap") return res.body.toString("utf8") as ResponseOf<N>;
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString("utf8"));
    } catch (err) {
      throw new HttpError(502, `malformed answer: not JSON (${(err as Error).message})`, url);
    }
    const parsed = route.response.safeParse(json);
    if (!parsed.success) throw new HttpError(502, `malformed answer: ${parsed.error.issues[0]?.message}`, url);
    return parsed.data as ResponseOf<N>;
  }

  /** Downloads a blob and refuses it unless its SHA-256 is the one asked for. */
  async fetchBlob(sha: string, base?: string): Promise<Uint8Array> {
    const bytes = await this.call("blob", { pathParams: { sha }, base, timeoutMs: 120_000 });
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== sha) throw new BlobMismatchError(sha, actual, base ?? this.base);
    return bytes;
  }
}

/**
 * A trial state's bytes deflated for the wire (POST /v1/checkpoints): what a worker sends and a
 * relay passes on as it came.
 */
export const deflateState = (raw: Uint8Array): Uint8Array => deflate(raw, { level: COMPRESS_LEVEL });

/** Stores a trial state upstream: `deflated` is deflateState() of the raw bytes whose SHA-256 is `sha`. */
export function putState(
  client: ProtocolClient, q: { trial: number; attempt: number; step: number; sha: string; kind: StateKind }, deflated: Uint8Array, timeoutMs = 120_000,
): Promise<StateStored> {
  return client.call("checkpoint", { query: q, body: deflated as Uint8Array<ArrayBuffer>, timeoutMs });
}

/** Inflates a stored state (at most `cap` bytes) and refuses it unless its SHA-256 is `sha`. */
export function inflateState(deflated: Uint8Array, sha: string, cap: number, from: string): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = inflateCapped(deflated, cap);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new Error(`state ${sha} from ${from} inflates past ${cap} bytes: refused`);
    throw err;
  }
  const actual = createHash("sha256").update(raw).digest("hex");
  if (actual !== sha) throw new BlobMismatchError(sha, actual, from);
  return raw;
}

export class BlobMismatchError extends Error {
  constructor(readonly expected: string, readonly actual: string, readonly from: string) {
    super(`blob from ${from} has SHA-256 ${actual}, expected ${expected}: refused`);
    this.name = "BlobMismatchError";
  }
}

function errorMessage(res: RawResponse): string {
  const text = res.body.toString("utf8");
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    return parsed.error?.message ?? (text.slice(0, 200) || res.statusText);
  } catch {
    return text.slice(0, 200) || res.statusText;
  }
}
