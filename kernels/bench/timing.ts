// Times a function: warms it up (so V8 tiers the wasm up to TurboFan), then runs it in
// rounds until a time budget is spent, and reports the best round's time per call.
// Best-of-rounds resists noise from the other core.

export interface Timing {
  msPerCall: number;
  calls: number;
}

export function measure(fn: () => void, budgetMs: number, minCalls = 1): Timing {
  const warmEnd = performance.now() + Math.min(200, budgetMs / 4);
  let calls = 0;
  do {
    fn();
    calls++;
  } while (performance.now() < warmEnd);
  // Size a round to about a tenth of the budget.
  const t0 = performance.now();
  fn();
  const once = Math.max(performance.now() - t0, 1e-3);
  const perRound = Math.max(minCalls, Math.floor(budgetMs / 10 / once));
  let best = Infinity;
  const end = performance.now() + budgetMs;
  let total = 0;
  do {
    const start = performance.now();
    for (let i = 0; i < perRound; i++) fn();
    best = Math.min(best, (performance.now() - start) / perRound);
    total += perRound;
  } while (performance.now() < end);
  return { msPerCall: best, calls: total };
}

export const gflops = (flops: number, ms: number) => flops / (ms / 1000) / 1e9;
