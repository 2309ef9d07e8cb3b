import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestor } from '../helpers.js';
import { json, printedKeys, startServer, tempSqliteUrl, type ServerProcess } from './server-process.js';

const run = promisify(execFile);

/** The server as a user starts it: first-start output, health, logs, and the CLI beside it. */
describe('real server process (SQLite)', () => {
  let server: ServerProcess;
  const databaseUrl = tempSqliteUrl();
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, DATABASE_URL: databaseUrl } });

  beforeAll(async () => {
    server = await startServer({ DATABASE_URL: databaseUrl, RATE_LIMIT_MAX: '1000' });
  });
  afterAll(async () => server?.stop());

  it('prints the Default instance keys, a generated admin token and the URLs on first start', async () => {
    const output = server.output();
    const { primary, secondary } = printedKeys(output);
    expect(primary).toMatch(/^tkt_[A-Za-z0-9_-]{43}$/);
    expect(secondary).not.toBe(primary);
    expect(output).toMatch(/ADMIN_TOKEN=tka_/);
    expect(output).toContain(`${server.url}/api/docs`);
    const instance = await json(await fetch(`${server.url}/api/v1/instance?key=${primary}`));
    expect(instance.item.name).toBe('Default');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/`)).headers.get('content-type')).toMatch(/text\/html/);
  });

  it('never writes a key into its logs, even when sent as ?key=', async () => {
    const { primary, secondary } = printedKeys(server.output());
    const before = server.output().length;
    await fetch(`${server.url}/api/v1/tickets?key=${primary}&limit=1`);
    await fetch(`${server.url}/api/v1/tickets?limit=1&key=${secondary}`);
    await fetch(`${server.url}/api/v1/tickets?key=tkt_not-a-real-key`);
    await fetch(`${server.url}/api/v1/instance`, { headers: { 'x-api-key': primary } });
    await new Promise((r) => setTimeout(r, 200));
    const logs = server.output().slice(before);
    expect(logs).toContain('/api/v1/tickets?key=[REDACTED]');
    expect(logs).not.toContain(primary);
    expect(logs).not.toContain(secondary);
    expect(logs).not.toContain('tkt_not-a-real-key');
  });

  it('lets the CLI create instances and rotate keys on the live database', async () => {
    const created = JSON.parse((await cli('instance', 'create', '--name', 'IT', '--json')).stdout);
    expect(Object.keys(created).sort()).toEqual(['id', 'name', 'primaryKey', 'secondaryKey']);
    expect(created.name).toBe('IT');

    const ticket = await fetch(`${server.url}/api/v1/tickets?key=${created.primaryKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket: { title: 'via CLI key', requestor }, user: requestor }),
    });
    expect(ticket.status).toBe(201);
    expect((await json(ticket)).item.ticketId).toBe(1);

    const list = (await cli('instance', 'list')).stdout;
    expect(list).toContain(created.id);
    expect(list).toContain('Default');

    const rotated = JSON.parse((await cli('instance', 'keys', 'regenerate', '--instance', created.id, '--which', 'secondary', '--json')).stdout);
    expect(rotated.key).toMatch(/^tkt_/);
    // The server caches key lookups for up to 2 s (docs/decisions/003-keys.md).
    await new Promise((r) => setTimeout(r, 2100));
    expect((await fetch(`${server.url}/api/v1/instance?key=${created.secondaryKey}`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/v1/instance?key=${rotated.key}`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/instance?key=${created.primaryKey}`)).status).toBe(200);
  });

  it("exposes the same CLI as the package's `ticketing` bin", async () => {
    const { stdout } = await run(process.execPath, ['bin/ticketing.js', 'instance', 'list', '--json'], { env: { ...process.env, DATABASE_URL: databaseUrl } });
    const names = (JSON.parse(stdout) as { name: string }[]).map((i) => i.name);
    expect(names).toContain('Default');
  });

  it('answers CLI usage errors with exit code 2', async () => {
    await expect(cli('instance', 'create')).rejects.toMatchObject({ code: 2 });
    await expect(cli('instance', 'keys', 'regenerate', '--instance', 'x', '--which', 'tertiary')).rejects.toMatchObject({ code: 2 });
  });
});

/** The limits on guessing that the bundled server always has (buildApp alone has none unless given them). */
describe('real server process: failed authentications (SQLite)', () => {
  const adminToken = 'tka_e2e-auth-limits-admin-token-0123456789';
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ DATABASE_URL: tempSqliteUrl(), ADMIN_TOKEN: adminToken, AUTH_FAILURE_LIMIT: '2' });
  });
  afterAll(async () => server?.stop());

  it('answers 429 with Retry-After to an address past AUTH_FAILURE_LIMIT failed operator tokens and sign-ins', async () => {
    const admin = (token: string) => fetch(`${server.url}/api/v1/admin/instances`, { headers: { authorization: `Bearer ${token}` } });
    // The Default instance's first admin, invited by the operator, sets a password.
    const { items } = await json(await admin(adminToken));
    const invited = await json(
      await fetch(`${server.url}/api/v1/admin/instances/${items[0].id}/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.com' }),
      }),
    );
    const password = 'a long and secret password';
    const accepted = await fetch(`${server.url}/api/v1/session/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: invited.invitation.token, password }),
    });
    expect(accepted.status).toBe(200);
    const signIn = (guess: string) =>
      fetch(`${server.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.com', password: guess }),
      });
    expect((await signIn(password)).status).toBe(200);
    expect((await admin('tka_guess-1')).status).toBe(401);
    expect((await signIn('guess 2')).status).toBe(401);
    // Past the limit the right token and password are refused too, until the minute is over.
    for (const attempt of [() => admin('tka_guess-3'), () => signIn('guess 4'), () => admin(adminToken), () => signIn(password)]) {
      const response = await attempt();
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await json(response)).code).toBe('rate_limited');
    }
  });

  it('does not start with an ADMIN_TOKEN shorter than 32 characters', async () => {
    await expect(startServer({ DATABASE_URL: tempSqliteUrl(), ADMIN_TOKEN: 'tka_choose-one' })).rejects.toThrow(/ADMIN_TOKEN must be at least 32 characters/);
  });
});
