// How many trials a worker holds beyond its threads (its reserve), so that a thread that
// finishes starts its next trial without a round trip to the relay. The agent sizes the
// reserve it asks for, and the relay caps what a worker may hold, by the same rule.
import { RateWindow } from "../rate-window.ts";

/**
 * A reserve never grows past this: beyond it, a tail of unstarted trials in one machine's
 * reserve costs more (trials to ask back at a sweep's end) than the round trips it saves.
 */
export const MAX_RESERVE = 256;

/**
 * Seconds of a worker's own work a reserve holds, by who sizes it. The agent asks for a
 * quarter second: enough to cover a poll's round trip with room, no more, so that reserves
 * stay small at a sweep's end. The relay caps a worker at twice that: the cap must never bind
 * before the agent's own target does (the relay sees the worker's rate a poll late, and a
 * rising rate would otherwise cut the reserve the agent rightly asked for).
 */
export const RESERVE_HORIZON_S = { agent: 0.25, relayCap: 0.5 } as const;

/** A worker's finishes are counted over this window: long enough to smooth, short enough to follow a sweep's change of pace. */
export const WORKER_RATE_WINDOW_MS = 2000;
/** ...and its rate read over the last half second too, when that is higher: a reserve grows as soon as trials speed up. */
export const WORKER_RATE_FAST_MS = 500;

/** A counter of one worker's finished trials, as the reserve rule reads it. */
export function workerFinishes(): RateWindow {
  return new RateWindow(WORKER_RATE_WINDOW_MS);
}

/** Trials per second a worker finishes now, to size its reserve by (the rising rate: see RateWindow.risingRate). */
export function workerRate(finished: RateWindow, now: number): number {
  return finished.risingRate(now, WORKER_RATE_FAST_MS);
}

/**
 * A reserve: `horizonS` seconds of work at `ratePerS`, at least one trial per thread (so a
 * machine of slow trials still never waits on a poll), at most MAX_RESERVE.
 */
export function reserveSize(ratePerS: number, threads: number, horizonS: number): number {
  return Math.min(MAX_RESERVE, Math.max(threads, Math.ceil(ratePerS * horizonS)));
}

/**
 * Trials the relay may hand a worker now: at most its threads plus its reserve cap, and as
 * many again for finished trials whose results are on their way, minus what it lists as held.
 * A worker lists a result until the relay has it; counted as a held trial, a result in flight
 * left threads without work whenever posts took longer than the reserve lasts. What the worker
 * asks for (its own reserve) is what it runs; this is the cap.
 */
export function relayGrant(asked: number, threads: number, listed: number, ratePerS: number): number {
  const reserve = reserveSize(ratePerS, threads, RESERVE_HORIZON_S.relayCap);
  return Math.max(0, Math.min(asked, 2 * (threads + reserve) - listed));
}

/** Trials an agent asks for: one per idle thread plus its reserve, less what already waits for a thread. */
export function agentAsk(idleThreads: number, threads: number, waiting: number, ratePerS: number): number {
  return Math.max(0, idleThreads + reserveSize(ratePerS, threads, RESERVE_HORIZON_S.agent) - waiting);
}
