import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** What a counted request learns: the instance's remaining budget and when the window resets. */
export interface Grant {
  remainingPoints: number;
  msBeforeNext: number;
}

/**
 * One process's share of a shared counter (PostgreSQL or Redis), taken in batches.
 *
 * Counting each request in the shared store costs a round trip and, on PostgreSQL, an UPDATE of
 * one row that every request of the instance, in every process, queues on. So a process takes
 * `batch` points at once and hands them out from memory until they run out or the window ends.
 * Points taken are points spent: the instance never gets more than `max` requests per window,
 * whatever the number of processes; a process can leave at most `batch − 1` points unused when
 * the window ends (others then may not get them). `batch` is a thousandth of `max`, so an
 * instance with the default 100 requests per minute is counted request by request, exactly as
 * before, and the loss is at most 0.1 % of the limit per process
 * (docs/decisions/012-rate-limit-reservations.md).
 *
 * Once the shared counter refuses, the refusal holds until the window resets (the counter only
 * grows within a window), so a flood of refused requests stays off the shared store too.
 */
export class Reservations {
  private readonly held = new Map<string, { left: number; remaining: number; resetAt: number; refused: boolean }>();
  private readonly taking = new Map<string, Promise<void>>();

  constructor(
    private readonly shared: RateLimiterAbstract,
    private readonly max: number,
    readonly batch: number,
    private readonly clock: () => number = Date.now,
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
        if (held.refused) throw new RateLimiterRes(0, held.resetAt - now, this.max + 1, false);
      }
      let taking = this.taking.get(key);
      if (!taking) {
        taking = this.take(key, held && held.resetAt > now ? held.remaining : this.max).finally(() => this.taking.delete(key));
        this.taking.set(key, taking);
      }
      await taking;
    }
  }

  /** Takes the next batch of points from the shared counter (fewer when fewer are known to be left). */
  private async take(key: string, knownRemaining: number): Promise<void> {
    const points = Math.max(1, Math.min(this.batch, knownRemaining));
    const now = this.clock();
    if (this.held.size > 10_000) this.forgetEnded(now);
    try {
      const result = await this.shared.consume(key, points);
      this.held.set(key, { left: points, remaining: result.remainingPoints, resetAt: now + result.msBeforeNext, refused: false });
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      // The counter went past the limit with this batch: what was left before it is still ours.
      const left = Math.max(0, Math.min(points, this.max - (rejection.consumedPoints - points)));
      this.held.set(key, { left, remaining: 0, resetAt: now + rejection.msBeforeNext, refused: true });
    }
  }

  private forgetEnded(now: number): void {
    for (const [key, held] of this.held) if (held.resetAt <= now) this.held.delete(key);
  }
}

/** Points a process takes at once for a limit of `max` per window: 1 (no batching) up to 1,999. */
export const reservationBatch = (max: number): number => Math.max(1, Math.floor(max / 1000));
