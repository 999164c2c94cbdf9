import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHash } from "node:crypto";
import { ProtocolClient, BlobMismatchError, HttpError } from "./client.ts";

// A relay that serves tampered bytes: the client refuses them by hash (what an agent does
// for datasets and the bootstrap for bundles).
test("fetchBlob refuses bytes whose SHA-256 is not the one asked for, and reports both hashes", async () => {
  const genuine = Buffer.from("genuine dataset bytes");
  const sha = createHash("sha256").update(genuine).digest("hex");
  const server = http.createServer((req, res) => {
    if (req.url === `/v1/blobs/${sha}`) res.end("tampered dataset bytes");
    else res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: 404, message: "no blob" } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const client = new ProtocolClient(base);
    await assert.rejects(client.fetchBlob(sha), (err: unknown) => {
      assert.ok(err instanceof BlobMismatchError);
      assert.equal(err.expected, sha);
      assert.equal(err.actual, createHash("sha256").update("tampered dataset bytes").digest("hex"));
      assert.match(err.message, /refused/);
      return true;
    });
    await assert.rejects(client.fetchBlob("0".repeat(64)), (err: unknown) => err instanceof HttpError && err.status === 404 && /no blob/.test(err.message));
  } finally {
    server.close();
  }
});
