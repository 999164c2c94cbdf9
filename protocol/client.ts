// The one HTTP client of the protocol: builds URLs from the route table, keeps the
// identity cookie that join sets, encodes bodies, and checks answers against the schema.
import { createHash } from "node:crypto";
import { routes, routeUrl, type RouteName, type QueryOf, type BodyOf, type ResponseOf } from "./routes.ts";
import { encodeJsonBody } from "./codec.ts";

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
    if (opts.body !== undefined) {
      const encoded = encodeJsonBody(opts.body, opts.deflate === true ? "deflate" : opts.deflate === false ? "raw" : undefined);
      Object.assign(headers, encoded.headers);
      body = encoded.body;
      this.bytesSent += body.byteLength;
      this.rawBytesSent += encoded.rawBytes;
    }
    const signal = opts.signal ?? AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    const res = await fetch(url, { method: route.method, headers, body: body as Uint8Array<ArrayBuffer> | undefined, signal });
    const setCookies = res.headers.getSetCookie();
    if (setCookies.length) this.cookie = setCookies.map((c) => c.split(";")[0]).join("; ");
    if (!res.ok) throw new HttpError(res.status, await errorMessage(res), url);
    if (name === "blob") return new Uint8Array(await res.arrayBuffer()) as ResponseOf<N>;
    if (name === "bootstrap") return (await res.text()) as ResponseOf<N>;
    const parsed = route.response.safeParse(await res.json());
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

export class BlobMismatchError extends Error {
  constructor(readonly expected: string, readonly actual: string, readonly from: string) {
    super(`blob from ${from} has SHA-256 ${actual}, expected ${expected}: refused`);
    this.name = "BlobMismatchError";
  }
}

async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    return parsed.error?.message ?? (text.slice(0, 200) || res.statusText);
  } catch {
    return text.slice(0, 200) || res.statusText;
  }
}
