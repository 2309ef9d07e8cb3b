import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrimmedQuery, redactUrl } from '../src/http/query.js';
import { createInstance, createTestApp, DIALECTS, type TestApp } from './helpers.js';

/*
 * Keys never reach the log (docs/api.md §1), whatever spelling of `key=` authenticates:
 * redaction asks the query parser the API authenticates with, not a pattern on the raw URL.
 */

const hex = (c: string, upper: boolean) => {
  const code = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? code.toUpperCase() : code}`;
};

/** Every way to write one character of the name `key` that node:querystring decodes back to it. */
const letter = (c: string) => fc.constantFrom(c, hex(c, false), hex(c, true));
/** Spaces around the name are trimmed by the parser: `+`, `%20`, tabs and newlines. */
const blank = fc.array(fc.constantFrom('+', '%20', '%09', '%0A', '%0d'), { maxLength: 3 }).map((parts) => parts.join(''));
const keyName = fc.tuple(blank, letter('k'), letter('e'), letter('y'), blank).map((parts) => parts.join(''));
const otherPair = fc.constantFrom('timezone=0', 'limit=5', 'search=printer', 'keyword=x', 'akey=y', 'status=Open,Closed', '');

describe('redactUrl', () => {
  it('redacts the value of every spelling of `key` that the query parser reads as the key', () => {
    fc.assert(
      fc.property(keyName, fc.array(otherPair, { maxLength: 3 }), fc.array(otherPair, { maxLength: 3 }), (name, before, after) => {
        const secret = 'tkt_SeCrEt0123456789';
        const query = [...before, `${name}=${secret}`, ...after].join('&');
        // The spelling authenticates: the parser the API uses reads it as `key`.
        expect(parseTrimmedQuery(query).key).toBe(secret);
        const logged = redactUrl(`/api/v1/tickets?${query}`);
        expect(logged).not.toContain(secret);
        expect(logged).toContain('[REDACTED]');
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every other parameter as it was, so logs still show what was asked', () => {
    expect(redactUrl('/api/v1/tickets?search=key&keyword=1&limit=5')).toBe('/api/v1/tickets?search=key&keyword=1&limit=5');
    expect(redactUrl('/api/v1/tickets?limit=5&key=tkt_x&timezone=2')).toBe('/api/v1/tickets?limit=5&key=[REDACTED]&timezone=2');
    expect(redactUrl('/api/v1/tickets?key')).toBe('/api/v1/tickets?key=[REDACTED]');
    expect(redactUrl('/healthz')).toBe('/healthz');
  });

  it('redacts a value that holds = or an encoded &, and a repeated key', () => {
    const logged = redactUrl('/api/v1/tickets?key=a=b%26c&%6bey=second');
    expect(logged).toBe('/api/v1/tickets?key=[REDACTED]&%6bey=[REDACTED]');
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`request logs (${dialect.name})`, () => {
    let t: TestApp;
    const lines: string[] = [];
    beforeAll(async () => {
      t = await createTestApp(dialect.name, { logStream: { write: (line: string) => void lines.push(line) } });
    });
    afterAll(async () => t?.close());

    it('authenticates each spelling of the key and logs none of them', async () => {
      const { primaryKey } = await createInstance(t.app);
      const spellings = ['key', '+key', '%20key%20', '%6Bey', '%6b%65%79', 'k%65y', '%09key'];
      for (const name of spellings) {
        const response = await t.app.inject({ method: 'GET', url: `/api/v1/instance?timezone=0&${name}=${primaryKey}` });
        expect(response.statusCode, name).toBe(200);
      }
      const log = lines.join('');
      expect(log).toContain('"url":"/api/v1/instance?timezone=0&%6Bey=[REDACTED]"');
      expect(log).not.toContain(primaryKey);
    });
  });
}
