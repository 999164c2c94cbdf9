// The dashboard: a static page (HTML, CSS, plain JavaScript) and Apache ECharts from
// node_modules, served by the controller with no build step. The page holds no data; it
// reads the REST API, which --private protects (the page then asks for the token once).
import Router from "@koa/router";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const asset = (name: string) => readFileSync(new URL(`./dashboard/${name}`, import.meta.url));
const ECHARTS = readFileSync(createRequire(import.meta.url).resolve("echarts/dist/echarts.min.js"));

export function dashboardRouter(): Router {
  const router = new Router();
  const files: Record<string, [type: string, body: Buffer]> = {
    "/": ["text/html; charset=utf-8", asset("index.html")],
    "/dashboard/dashboard.js": ["text/javascript; charset=utf-8", asset("dashboard.js")],
    "/dashboard/dashboard.css": ["text/css; charset=utf-8", asset("dashboard.css")],
    "/vendor/echarts.min.js": ["text/javascript; charset=utf-8", ECHARTS],
  };
  for (const [path, [type, body]] of Object.entries(files)) {
    router.get(path, (ctx) => {
      ctx.type = type;
      ctx.set("cache-control", path.startsWith("/vendor/") ? "public, max-age=86400" : "no-cache");
      ctx.body = body;
    });
  }
  return router;
}
