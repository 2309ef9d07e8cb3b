import { describe, expect, it } from 'vitest';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { batchSizeFor, Reservations } from '../src/http/rate-limit-reservations.js';

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
    const processes = [0, 1, 2].map(() => new Reservations(counter, 5000, batchSizeFor(5000)));
    expect(processes[0]!.batch).toBe(5);
    // Below 2,000 per window there is no batching (the server then counts in the shared store directly).
    expect([100, 1999, 2000].map(batchSizeFor)).toEqual([1, 1, 2]);
    const { granted, refused } = await requests(processes, 'instance-a', 6000);
    expect(granted).toBe(5000);
    expect(refused).toHaveLength(1000);
    expect(refused.every((r) => r.remainingPoints === 0 && r.msBeforeNext > 0)).toBe(true);
    // All at once: each process asks for as many points as requests wait, a few calls in all.
    expect(calls.n).toBeLessThan(20);

    // One request at a time, in turn: batches of 5, ~1,000 calls; the refusals after the limit
    // cost nothing more.
    calls.n = 0;
    let inTurn = 0;
    for (let i = 0; i < 6000; i++) {
      try {
        await processes[i % 3]!.consume('instance-b');
        inTurn++;
      } catch (rejection) {
        expect(rejection).toBeInstanceOf(RateLimiterRes);
      }
    }
    expect(inTurn).toBe(5000);
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

  it('takes one point per waiting request when more requests wait than a batch holds', async () => {
    const { counter, calls } = sharedCounter(2000, 60);
    const process = new Reservations(counter, 2000, 2);
    const { granted } = await requests([process], 'k', 50);
    expect(granted).toBe(50);
    // The first asks for a batch of 2; the 48 left waiting then go in one call, not 24.
    expect(calls.n).toBe(2);
  });

  it('answers a refusal from memory for a second, then asks the shared counter again', async () => {
    const { counter, calls } = sharedCounter(2000, 60);
    let now = 0;
    const process = new Reservations(counter, 2000, 2, () => now);
    expect((await requests([process], 'k', 2001)).granted).toBe(2000);
    const asked = calls.n;
    expect((await requests([process], 'k', 100)).granted).toBe(0);
    expect(calls.n).toBe(asked);
    now += 1_500;
    const refused = await requests([process], 'k', 1);
    expect(refused.granted).toBe(0);
    expect(calls.n).toBe(asked + 1);
  });

  it('reports a remaining budget that only goes down', async () => {
    const { counter } = sharedCounter(4000, 60);
    const process = new Reservations(counter, 4000, 4);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) seen.push((await process.consume('k')).remainingPoints);
    expect(seen[0]).toBe(3999);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(20);
    expect((await requests([process], 'k', 4000)).granted).toBe(3980);
  });

  it('starts over when the window ends', async () => {
    const { counter } = sharedCounter(2000, 1);
    const process = new Reservations(counter, 2000, 2);
    for (let i = 0; i < 10; i++) await process.consume('k');
    expect((await process.consume('k')).remainingPoints).toBeLessThan(1990);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await process.consume('k')).remainingPoints).toBe(1999);
  });
});
