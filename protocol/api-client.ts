// The one client of the controller's REST API: the CLI and the tests read through it, and
// every answer is checked against its schema in api.ts. Errors name the controller's URL.
import { api, apiUrl, type ApiReadRoute, type ApiResponse, type ApiPagedRoute } from "./api.ts";

/** An answer of the controller's REST API that was not 2xx. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = "ApiError";
  }
}

export class ApiClient {
  constructor(readonly controller: string, readonly token?: string) {}

  /** GET one read-only route, with `Authorization: Bearer token` when given, parsed by its schema. */
  async get<N extends ApiReadRoute>(
    name: N, query: Record<string, string | number | undefined> = {}, params: Record<string, string | number> = {},
  ): Promise<ApiResponse<N>> {
    const { url, res } = await this.request(name, query, params, 15_000);
    const path = new URL(url).pathname;
    let body: unknown;
    try {
      body = JSON.parse(await res.text());
    } catch {
      throw new Error(`the controller at ${this.controller} answered GET ${path} with something that is not JSON`);
    }
    const parsed = api[name].response.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`the controller at ${this.controller} answered GET ${path} in an unexpected shape (${issue.path.join(".")}: ${issue.message})`);
    }
    return parsed.data as ApiResponse<N>;
  }

  /** A stored blob's bytes by SHA-256 (GET /api/blobs/:sha, with the cluster or admin token). */
  /** A trial's kept final state (GET /api/trials/:id/state), or undefined when it kept none (404). */
  async trialState(id: number): Promise<{ bytes: Uint8Array; sha256: string; step: number } | undefined> {
    try {
      const { res } = await this.request("trialState", {}, { id }, 120_000);
      return { bytes: new Uint8Array(await res.arrayBuffer()), sha256: res.headers.get("x-discalc-state-sha256") ?? "", step: Number(res.headers.get("x-discalc-state-step")) };
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async blob(sha: string): Promise<Uint8Array> {
    const { res } = await this.request("blob", {}, { sha }, 120_000);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** GET a route: its 2xx answer, or an error that names the controller and what it said. */
  private async request(
    name: ApiReadRoute | "blob" | "trialState", query: Record<string, string | number | undefined>, params: Record<string, string | number>, timeoutMs: number,
  ): Promise<{ url: string; res: Response }> {
    const { controller, token } = this;
    let url: string;
    try {
      url = apiUrl(controller, name, query, params);
    } catch {
      throw new Error(`--controller ${controller} is not a URL (expected e.g. http://host:7070)`);
    }
    let res: Response;
    try {
      res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s` : e.cause?.code ?? e.cause?.message ?? e.message;
      throw new Error(`cannot reach the controller at ${controller} (${why})`);
    }
    if (res.ok) return { url, res };
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const message = (body as { error?: { message?: string } } | undefined)?.error?.message ?? (text.slice(0, 200) || res.statusText);
    if (res.status === 401 || res.status === 403) {
      throw new ApiError(`the controller at ${controller} refused the request (${res.status}: ${message}); ` +
        (token ? "check --token" : "it runs --private: pass --token T"), res.status);
    }
    throw new ApiError(`the controller at ${controller} answered ${res.status} to GET ${new URL(url).pathname}: ${message}`, res.status);
  }

  /** Every item of a paged list, following `next` page by page (1,000 at a time). */
  async getAll<N extends ApiPagedRoute>(name: N, query: Record<string, string | number | undefined> = {}): Promise<ApiResponse<N>["items"]> {
    const items: ApiResponse<N>["items"] = [];
    let cursor: string | undefined;
    do {
      const page = (await this.get(name, { ...query, limit: 1000, cursor })) as { items: unknown[]; next: string | null };
      items.push(...(page.items as never[]));
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    return items;
  }
}
