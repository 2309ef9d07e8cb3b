import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { json, printedKeys, startServer, tempSqliteUrl } from './server-process.js';

/*
 * Redis unreachable at start: the server used to create the Default instance and then stop on
 * the Redis connection before printing its keys, losing them. It starts, says so once, and
 * counts rate limits per process until Redis is back.
 */
describe('REDIS_URL unreachable at start', () => {
  it('starts anyway, prints the new keys, says once that Redis is away, and still rate-limits', async () => {
    // Port 1 on loopback: nothing listens, every connection attempt is refused at once.
    const server = await startServer({ DATABASE_URL: tempSqliteUrl(), REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_MAX: '3' });
    try {
      const { primary } = printedKeys(server.output());
      const responses: { status: number; limit: string | null; retryAfter: string | null; body: any }[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${server.url}/api/v1/instance?key=${primary}`);
        responses.push({
          status: response.status,
          limit: response.headers.get('ratelimit-limit'),
          retryAfter: response.headers.get('retry-after'),
          body: await json(response),
        });
      }
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expect(responses.map((r) => r.limit)).toEqual(['3', '3', '3', '3']);
      expect(responses[3]!.retryAfter).toMatch(/^[1-9]\d*$/);
      expect(responses[3]!.body.code).toBe('rate_limited');
      // ioredis keeps retrying in the background; the warning is not repeated for each try.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const warnings = server.output().match(/Redis at redis:\/\/127\.0\.0\.1:1 is unreachable/g) ?? [];
      expect(warnings).toHaveLength(1);
      expect(server.child.exitCode).toBeNull();
    } finally {
      await server.stop();
    }
  });
});

describe('a first start that fails after creating the Default instance', () => {
  it('still prints the keys it created (they are shown only once)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as { port: number }).port);
    try {
      const failure = await startServer({ DATABASE_URL: tempSqliteUrl(), PORT: port }).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/server exited with 1/);
      expect(failure).toMatch(/EADDRINUSE/);
      const { primary } = printedKeys(failure!);
      expect(primary).toMatch(/^tkt_/);
      expect(failure).toMatch(/ADMIN_TOKEN=tka_/);
    } finally {
      taken.close();
    }
  });
});
