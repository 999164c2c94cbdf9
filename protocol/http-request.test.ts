// The protocol client's HTTP request on a real server on 127.0.0.1: bodies both ways, every
// Set-Cookie, a timeout, and a caller's abort.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { httpRequest } from "./http-request.ts";

async function server(handler: http.RequestListener): Promise<{ url: string; close: () => void }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, close: () => s.close() };
}

test("sends its body with its length and reads the whole answer, with every Set-Cookie", async () => {
  const s = await server((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.setHeader("set-cookie", ["a=1; Path=/", "b=2; HttpOnly"]);
      res.end(JSON.stringify({ length: req.headers["content-length"], got: Buffer.concat(chunks).toString() }));
    });
  });
  try {
    const body = new TextEncoder().encode("x".repeat(100_000));
    const res = await httpRequest(`${s.url}/echo`, { method: "POST", headers: { "content-type": "text/plain" }, body });
    assert.equal(res.status, 200);
    assert.deepEqual(res.setCookies, ["a=1; Path=/", "b=2; HttpOnly"]);
    const echoed = JSON.parse(res.body.toString()) as { length: string; got: string };
    assert.equal(echoed.length, "100000");
    assert.equal(echoed.got.length, 100_000);
  } finally {
    s.close();
  }
});

test("fails when the answer does not come in time, and when the caller aborts", async () => {
  const s = await server(() => {}); // never answers
  try {
    await assert.rejects(httpRequest(`${s.url}/slow`, { method: "GET", headers: {}, timeoutMs: 50 }), /no answer within 50 ms/);
    const abort = new AbortController();
    const reason = new Error("the agent is terminating");
    setTimeout(() => abort.abort(reason), 20);
    await assert.rejects(httpRequest(`${s.url}/slow`, { method: "GET", headers: {}, signal: abort.signal }), (err) => err === reason);
  } finally {
    s.close();
  }
});

test("a refused connection fails with its code", async () => {
  const s = await server(() => {});
  const url = s.url;
  s.close();
  await new Promise((r) => setTimeout(r, 20));
  await assert.rejects(httpRequest(`${url}/x`, { method: "GET", headers: {}, timeoutMs: 1000 }), (err: NodeJS.ErrnoException) => err.code === "ECONNREFUSED");
});

test("a redirect is not followed: the client names where it points", async () => {
  const s = await server((_req, res) => res.writeHead(308, { location: "https://elsewhere.example/v1/work" }).end());
  try {
    const res = await httpRequest(`${s.url}/v1/work`, { method: "GET", headers: {}, timeoutMs: 1000 });
    assert.equal(res.status, 308);
    assert.equal(res.location, "https://elsewhere.example/v1/work");
    const { ProtocolClient, HttpError } = await import("./client.ts");
    await assert.rejects(new ProtocolClient(s.url).call("stats"), (err: unknown) => err instanceof HttpError && err.status === 308 && /redirected to https:\/\/elsewhere\.example\/v1\/work/.test(err.message));
  } finally {
    s.close();
  }
});
