import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createInstance, createTestApp, DIALECTS, PASSWORD, requestor, webClient, type TestApp } from './helpers.js';

const run = promisify(execFile);

/*
 * The operator CLI on the store of a running app: what it changes reaches the app's requests.
 * The app caches key lookups for 2 s (docs/decisions/003-keys.md), which is how long another
 * process takes to see a changed instance.
 */
const KEY_CACHE_MS = 2000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cliOn =
  (databaseUrl: string, env: Record<string, string> = {}) =>
  (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, DATABASE_URL: databaseUrl, ADMIN_TOKEN, ...env } });

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`operator CLI (${dialect.name})`, () => {
    let t: TestApp;
    let cli: ReturnType<typeof cliOn>;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
      cli = cliOn(t.databaseUrl);
    });
    afterAll(async () => t?.close());

    it('disables and re-enables an instance and sets its rate limit with `instance update`; the app sees it within its key cache time', async () => {
      const { id, api } = await createInstance(t.app, 'CLI disable');
      expect((await api.get('/tickets')).status).toBe(200);
      const off = JSON.parse((await cli('instance', 'update', '--instance', id, '--enabled', 'false', '--json')).stdout);
      expect(off).toEqual({
        id,
        name: 'CLI disable',
        enabled: false,
        rateLimit: { max: 100, windowSeconds: 60 },
        storageQuotaBytes: null,
        storageUsedBytes: 0,
      });
      await pause(KEY_CACHE_MS + 100);
      const refused = await api.get('/tickets');
      expect([refused.status, refused.body.code]).toEqual([403, 'instance_disabled']);

      const on = await cli('instance', 'update', '--instance', id, '--enabled', 'true', '--rate-limit', '250/30');
      expect(on.stdout).toContain('enabled, 250 requests per 30 s');
      await pause(KEY_CACHE_MS + 100);
      expect((await api.post('/tickets', { ticket: { title: 'Back', requestor }, user: requestor })).status).toBe(201);
      expect((await api.get('/instance')).body.item).toMatchObject({ enabled: true, rateLimit: { max: 250, windowSeconds: 30 } });
    });

    it('sets a rate limit in the default window, and goes back to the server default', async () => {
      const { id, api } = await createInstance(t.app, 'CLI limit');
      // Without a window: the server's RATE_LIMIT_WINDOW_SECONDS (60 by default).
      const set = JSON.parse((await cli('instance', 'update', '--instance', id, '--rate-limit', '40', '--name', 'CLI limited', '--json')).stdout);
      expect(set).toMatchObject({ name: 'CLI limited', enabled: true, rateLimit: { max: 40, windowSeconds: 60 } });
      expect((await api.get('/instance')).body.item).toMatchObject({ name: 'CLI limited', rateLimit: { max: 40, windowSeconds: 60 } });
      expect(JSON.parse((await cli('instance', 'update', '--instance', id, '--rate-limit', 'default', '--json')).stdout).rateLimit).toEqual({
        max: 100,
        windowSeconds: 60,
      });
      expect((await api.get('/instance')).body.item.rateLimit).toEqual({ max: 100, windowSeconds: 60 });
    });

    it('sets and removes the storage quota of attachments (bytes or with a unit)', async () => {
      const { id, api } = await createInstance(t.app, 'CLI quota');
      const set = JSON.parse((await cli('instance', 'update', '--instance', id, '--storage-quota', '2GiB', '--json')).stdout);
      expect(set).toMatchObject({ storageQuotaBytes: 2 * 1024 ** 3, storageUsedBytes: 0 });
      expect((await api.get('/instance')).body.item.storageQuotaBytes).toBe(2 * 1024 ** 3);
      const text = await cli('instance', 'update', '--instance', id, '--storage-quota', '1000');
      expect(text.stdout).toContain('0 bytes of attachments of a 1000-byte quota');
      expect(JSON.parse((await cli('instance', 'update', '--instance', id, '--storage-quota', 'none', '--json')).stdout).storageQuotaBytes).toBeNull();
      expect((await api.get('/instance')).body.item.storageQuotaBytes).toBeNull();
      await expect(cli('instance', 'update', '--instance', id, '--storage-quota', 'lots')).rejects.toMatchObject({ code: 2 });
    });

    it('creates an instance with its first admin, whose invitation link signs them in once; `instance invite` makes more links', async () => {
      const created = JSON.parse(
        (await cli('instance', 'create', '--name', 'CLI people', '--admin-email', 'Ada@Example.com', '--admin-name', 'Ada Admin', '--json')).stdout,
      );
      expect(created).toMatchObject({ name: 'CLI people', admin: { email: 'Ada@Example.com' } });
      expect(created.admin.invitationUrl).toMatch(/^http:\/\/localhost:3000\/invitation#tki_[A-Za-z0-9_-]{43}$/);
      const token = created.admin.invitationUrl.split('#')[1];
      const accept = () => t.app.inject({ method: 'POST', url: '/api/v1/session/password', payload: { token, password: PASSWORD } });
      const accepted = await accept();
      expect(accepted.statusCode).toBe(200);
      expect(JSON.parse(accepted.body)).toMatchObject({ instance: { id: created.id, name: 'CLI people' }, user: { name: 'Ada Admin' }, role: 'admin' });
      expect((await accept()).statusCode).toBe(401); // once
      const admin = webClient(t.app, String(accepted.headers['set-cookie']).split(';')[0]!);
      expect((await admin.put('/instance', { name: 'CLI people, renamed' })).status).toBe(200);

      // A new person: an invitation with the role asked for; someone with a password: a reset link.
      const invited = JSON.parse(
        (await cli('instance', 'invite', '--instance', created.id, '--email', 'vic@example.com', '--role', 'viewer', '--json')).stdout,
      );
      expect(invited).toMatchObject({ email: 'vic@example.com', role: 'viewer', purpose: 'invitation' });
      const reset = JSON.parse((await cli('instance', 'invite', '--instance', created.id, '--email', 'ada@example.com', '--json')).stdout);
      expect(reset).toMatchObject({ email: 'Ada@Example.com', role: 'admin', purpose: 'reset' });
      expect(reset.url).toMatch(/\/password-reset#tki_/);
      await expect(cli('instance', 'invite', '--instance', created.id, '--email', 'not-an-address')).rejects.toMatchObject({ code: 2 });
    });
  });
}

describe('operator CLI: refusals (sqlite)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(async () => t?.close());

  it('refuses bad `instance update` options with exit code 2 and an unknown instance with 1, changing nothing', async () => {
    const { id, api } = await createInstance(t.app, 'CLI usage');
    const cli = cliOn(t.databaseUrl);
    const attempts = await Promise.allSettled(
      [['--enabled', 'no'], ['--rate-limit', '10/0'], []].map((args) => cli('instance', 'update', '--instance', id, ...args)),
    );
    for (const attempt of attempts) expect(attempt).toMatchObject({ status: 'rejected', reason: { code: 2 } });
    await expect(cli('instance', 'update', '--instance', '00000000-0000-4000-8000-000000000000', '--enabled', 'false')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Instance not found'),
    });
    expect((await api.get('/instance')).body.item).toMatchObject({ enabled: true, rateLimit: { max: 100, windowSeconds: 60 } });
  });

  it('refuses to start with an ADMIN_TOKEN shorter than 32 characters, naming the variable', async () => {
    const short = cliOn(t.databaseUrl, { ADMIN_TOKEN: 'tka_choose-one' })('instance', 'list');
    await expect(short).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('ADMIN_TOKEN must be at least 32 characters') });
    await expect(short).rejects.toMatchObject({ stderr: expect.not.stringContaining('tka_choose-one') });
  });
});
