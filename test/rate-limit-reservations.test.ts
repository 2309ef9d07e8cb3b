import { describe, expect, it } from 'vitest';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { reservationBatch, Reservations } from '../src/http/rate-limit-reservations.js';

/*
 * Server processes take an instance's requests from the shared counter in batches
 * (src/http/rate-limit-reservations.ts). Here one RateLimiterMemory stands for the shared store
 * (PostgreSQL or Redis) and each Reservations for one server process; the multi-process e2e test
 * runs the same code against PostgreSQL and Redis with real processes.
 */

/** A shared counter that counts the calls made to it. */
function sharedCounter(max: number, windowSeconds: number) {
  const counter = new RateLimiterMemory({ points: max, duration: windowSeconds });
  const calls = { n: 0 };
  const consume = counter.consume.bind(counter);
  counter.consume = (key, points) => {
    calls.n++;
    return consume(key, points);
  };
  return { counter, calls };
}

/** Settles `count` requests of `key`, spread over the processes in turn, all at once. */
async function requests(processes: Reservations[], key: string, count: number) {
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => processes[i % processes.length]!.consume(key)));
  const granted = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  for (const r of refused) expect(r.reason).toBeInstanceOf(RateLimiterRes);
  return { granted: granted.length, refused: refused.map((r) => r.reason as RateLimiterRes), results };
}

describe('rate limit reservations', () => {
  it('grants exactly the limit across processes, with a fraction of the calls to the shared counter', async () => {
    const { counter, calls } = sharedCounter(5000, 60);
    const processes = [0, 1, 2].map(() => new Reservations(counter, 5000, reservationBatch(5000)));
    expect(processes[0]!.batch).toBe(5);
    const { granted, refused } = await requests(processes, 'instance-a', 6000);
    expect(granted).toBe(5000);
    expect(refused).toHaveLength(1000);
    expect(refused.every((r) => r.remainingPoints === 0 && r.msBeforeNext > 0)).toBe(true);
    // ~1,000 batches of 5; the refusals after the limit cost nothing more.
    expect(calls.n).toBeGreaterThanOrEqual(1000);
    expect(calls.n).toBeLessThan(1010);
  });

  it('grants what is left when another process took most of the budget', async () => {
    const { counter } = sharedCounter(3000, 60);
    const busy = new Reservations(counter, 3000, 1);
    const other = new Reservations(counter, 3000, 3);
    expect((await requests([busy], 'k', 2999)).granted).toBe(2999);
    // One point is left in the shared counter: `other` asks for a batch of 3 and gets that one.
    const { granted, refused } = await requests([other], 'k', 3);
    expect(granted).toBe(1);
    expect(refused).toHaveLength(2);
    expect((await requests([busy], 'k', 1)).granted).toBe(0);
  });

  it('keeps instances apart', async () => {
    const { counter } = sharedCounter(2000, 60);
    const process = new Reservations(counter, 2000, 2);
    expect((await requests([process], 'a', 2001)).granted).toBe(2000);
    expect((await requests([process], 'b', 10)).granted).toBe(10);
  });

  it('counts request by request at the default limit, with the remaining budget of each', async () => {
    const { counter, calls } = sharedCounter(100, 60);
    const process = new Reservations(counter, 100, reservationBatch(100));
    expect(process.batch).toBe(1);
    const remaining: number[] = [];
    for (let i = 0; i < 101; i++) {
      try {
        remaining.push((await process.consume('k')).remainingPoints);
      } catch (rejection) {
        expect(rejection).toBeInstanceOf(RateLimiterRes);
        remaining.push(-1);
      }
    }
    expect(remaining.slice(0, 3)).toEqual([99, 98, 97]);
    expect(remaining.slice(-3)).toEqual([1, 0, -1]);
    expect(calls.n).toBe(101);
  });

  it('reports a remaining budget that only goes down, and starts over when the window ends', async () => {
    const { counter } = sharedCounter(4000, 1);
    const process = new Reservations(counter, 4000, 4);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) seen.push((await process.consume('k')).remainingPoints);
    expect(seen[0]).toBe(3999);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(20);
    expect((await requests([process], 'k', 4000)).granted).toBe(3980);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await process.consume('k')).remainingPoints).toBe(3999);
  });
});
