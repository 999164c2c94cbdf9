// The dashboard in a real browser (Debian's chromium driven by playwright-core): it loads
// while a sweep runs, shows the nodes and live curves, opens a trial on click, and asks a
// private controller's token once. Saves screenshots to build/screenshots/.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { Cluster, waitFor } from "./cluster.ts";

const CHROMIUM = process.env.DISCALC_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const SCREENSHOT = "build/screenshots/dashboard.png";

const SWEEP = {
  name: "dashboard-demo",
  dataset: { name: "moons", train: 2000, test: 300, noise: 0.15 },
  model: { hidden: [32, 32], activation: "tanh" },
  train: { epochs: 40, batch: 16, optimizer: "adam", lr: 0.01 },
  search: { method: "grid", repeats: 2, parameters: { "train.lr": [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1], "model.hidden": [[8], [32, 32]] } },
};

const clusters: Cluster[] = [];
after(() => Promise.all(clusters.map((c) => c.stopAll())));

if (!existsSync(CHROMIUM)) {
  const why = `no chromium at ${CHROMIUM}: install it with \`apt-get install chromium\` (or set DISCALC_CHROMIUM) to run the browser test`;
  console.log(`# SKIPPED the dashboard browser test: ${why}`);
  test("dashboard in a real browser", { skip: why }, () => {});
} else {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  after(() => browser.close());

  test("the dashboard shows nodes, progress and live curves, opens a trial, and saves a screenshot", { timeout: 180_000 }, async () => {
    const c = new Cluster();
    clusters.push(c);
    await c.startController(c.writeConfig("dash", SWEEP));
    c.startRelay();
    c.startAgent(2);
    const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${c.url}/`);
    // Nodes appear: the relay and the worker under it.
    await page.waitForFunction(() => {
      const text = document.querySelector("#network tbody")?.textContent ?? "";
      return text.includes("relay") && text.includes("worker");
    }, null, { timeout: 60_000 });
    // Curves appear while trials run.
    await page.waitForFunction(() => {
      const chart = (window as unknown as { echarts: { getInstanceByDom(e: Element | null): { getOption(): { series: unknown[] } } | undefined } }).echarts
        .getInstanceByDom(document.getElementById("curves"));
      return (chart?.getOption().series.length ?? 0) > 0;
    }, null, { timeout: 60_000 });
    await waitFor(async () => (await c.client.get("sweep", {}, { id: 1 })).state === "done", 120_000, "the sweep", () => c.dump());
    await page.waitForFunction(() => (document.querySelector("#progress")?.textContent ?? "").includes("— done"), null, { timeout: 10_000 });
    // The parallel-coordinates view has a line per finished trial.
    const lines = await page.evaluate(() => {
      const chart = (window as unknown as { echarts: { getInstanceByDom(e: Element | null): { getOption(): { series: Array<{ data: unknown[] }> } } | undefined } }).echarts
        .getInstanceByDom(document.getElementById("parallel"));
      return chart?.getOption().series[0]?.data.length ?? 0;
    });
    assert.equal(lines, 24);
    mkdirSync("build/screenshots", { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT });
    // A click on a trial in the leaderboard opens it.
    await page.waitForSelector("#leaderboard a.trial-link");
    await page.click("#leaderboard a.trial-link");
    await page.waitForSelector("#trial:not([hidden]) code.weights");
    const weights = await page.textContent("#trial code.weights");
    assert.match(weights ?? "", /^[0-9a-f]{64}$/);
    assert.match(await page.textContent("#trial") ?? "", /Attempts/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT.replace(".png", "-trial.png") });
    assert.deepEqual(errors, [], "no script errors on the page");
    await page.close();
  });

  test("a private controller's page asks for the token once, then shows the data", { timeout: 120_000 }, async () => {
    const c = new Cluster();
    clusters.push(c);
    await c.startController(c.writeConfig("private", { ...SWEEP, name: "private-demo" }), { extra: ["--private"] });
    assert.equal((await fetch(`${c.url}/api/sweeps`)).status, 401);
    const page = await browser.newPage();
    await page.goto(`${c.url}/`);
    await page.waitForSelector("#token-dialog[open]");
    await page.fill("#token-input", c.token);
    await page.click("#token-dialog button");
    await page.waitForFunction(() => (document.querySelector("#progress")?.textContent ?? "").includes("private-demo"), null, { timeout: 30_000 });
    // Later refreshes reuse the token: the dialog does not come back.
    await page.waitForTimeout(2500);
    assert.equal(await page.$("#token-dialog[open]"), null);
    await page.close();
  });
}
