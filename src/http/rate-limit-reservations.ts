import { performance } from 'node:perf_hooks';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** What a counted request learns: the instance's remaining budget and when the window resets. */
export interface Grant {
  remainingPoints: number;
  msBeforeNext: number;
}

/** How long a refusal is answered from memory before the shared counter is asked again. */
const REFUSAL_MEMORY_MS = 1_000;
/** Entries of ended windows are swept once the map holds this many (and then twice as many). */
const SWEEP_AT = 10_000;

/**
 * One process's share of a shared counter (PostgreSQL or Redis), taken in batches.
 *
 * Counting each request in the shared store costs a round trip and, on PostgreSQL, an UPDATE of
 * one row that every request of the instance, in every process, queues on. So a process takes
 * `batch` points at once (more when more requests are waiting for them) and hands them out from
 * memory until they run out or the window ends. Points taken are points spent: the instance
 * never gets more than `max` requests per window, whatever the number of processes; a process
 * can be left with a few points it does not use before the window ends (others then may not
 * get them). Used only when `batch` (a thousandth of `max`, batchSizeFor) is 2 or more: the
 * default 100 requests per minute are counted request by request in the shared store
 * (docs/decisions/012-rate-limit-reservations.md).
 *
 * A refusal is answered from memory for a second (the counter only grows within a window), so a
 * flood of refused requests stays off the shared store too.
 */
export class Reservations {
  private readonly held = new Map<string, { left: number; remaining: number; resetAt: number; refusedUntil: number }>();
  private readonly taking = new Map<string, Promise<void>>();
  private readonly waiting = new Map<string, number>();
  private sweepAt = SWEEP_AT;

  constructor(
    private readonly shared: RateLimiterAbstract,
    private readonly max: number,
    readonly batch: number,
    /** Milliseconds of a monotonic clock: only differences are used. */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Counts one request of `key`: resolves with the budget left, or rejects with a RateLimiterRes. */
  async consume(key: string): Promise<Grant> {
    for (;;) {
      const now = this.clock();
      const held = this.held.get(key);
      if (held && held.resetAt > now) {
        if (held.left > 0) {
          held.left--;
          return { remainingPoints: held.remaining + held.left, msBeforeNext: held.resetAt - now };
        }
        if (held.refusedUntil > now) throw new RateLimiterRes(0, held.resetAt - now, this.max + 1, false);
      }
      this.waiting.set(key, (this.waiting.get(key) ?? 0) + 1);
      let taking = this.taking.get(key);
      if (!taking) {
        const knownRemaining = held && held.resetAt > now ? held.remaining : this.max;
        taking = this.take(key, knownRemaining).finally(() => this.taking.delete(key));
        this.taking.set(key, taking);
      }
      try {
        await taking;
      } finally {
        const waiting = this.waiting.get(key)! - 1;
        if (waiting === 0) this.waiting.delete(key);
        else this.waiting.set(key, waiting);
      }
    }
  }

  /**
   * Takes the next points from the shared counter: a batch, or one for each request waiting
   * (this one included) when more are, but no more than are known to be left.
   */
  private async take(key: string, knownRemaining: number): Promise<void> {
    const points = Math.max(1, Math.min(Math.max(this.batch, this.waiting.get(key) ?? 0), knownRemaining));
    const now = this.clock();
    this.sweep(now);
    try {
      const result = await this.shared.consume(key, points);
      this.held.set(key, { left: points, remaining: result.remainingPoints, resetAt: now + result.msBeforeNext, refusedUntil: 0 });
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      // The counter went past the limit with these points: what was left before them is ours.
      // (A rejection that counted nothing, consumedPoints < points, leaves nothing.)
      const before = rejection.consumedPoints - points;
      const left = before < 0 ? 0 : Math.max(0, Math.min(points, this.max - before));
      const resetAt = now + rejection.msBeforeNext;
      this.held.set(key, { left, remaining: 0, resetAt, refusedUntil: Math.min(resetAt, now + REFUSAL_MEMORY_MS) });
    }
  }

  /** Forgets the keys whose window ended, when there are many. */
  private sweep(now: number): void {
    if (this.held.size < this.sweepAt) return;
    for (const [key, held] of this.held) if (held.resetAt <= now) this.held.delete(key);
    this.sweepAt = Math.max(SWEEP_AT, this.held.size * 2);
  }
}

/** Points a process takes at once for a limit of `max` per window: a thousandth of it. */
export const batchSizeFor = (max: number): number => Math.max(1, Math.floor(max / 1000));
