import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, client, createTestApp, DIALECTS, type TestApp } from '../helpers.js';
import { hasChromium, launch } from './harness.js';

/*
 * Sign-in with OpenID Connect, end to end: a real provider (oidc-provider, the certified Node
 * implementation) on 127.0.0.1, the server on 127.0.0.1, and Chromium going through the whole
 * redirect flow (sign-in page → provider's login and consent → back, signed in). Then the
 * answers an attacker could bring are refused: a wrong state, a wrong nonce, a replayed code, an
 * expired ID token (docs/api.md §11, §14).
 */

const CLIENT_ID = 'ticketing-test';
const CLIENT_SECRET = 'a-client-secret-for-the-test-provider';
/** The provider's people: `login` on its sign-in form. */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  ada: { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace', roles: ['Ticketing.Admin'] },
  newbie: { email: 'newbie@example.com', email_verified: true, name: 'New Bie' },
  stranger: { email: 'stranger@example.com', email_verified: true, name: 'Stranger' },
  unverified: { email: 'ada@example.com', email_verified: false, name: 'Not Ada' },
};
/** The provider's ID tokens live one minute; the server tolerates 30 s of clock skew. */
const ID_TOKEN_SECONDS = 60;

/** A clock that follows the real one, shifted by hand (the server's `now`; openid-client's checks follow it). */
class ShiftedClock {
  offsetMs = 0;
  now = (): string => new Date(Date.now() + this.offsetMs).toISOString();
}

/**
 * What an attacker does to the traffic, at the provider's door: rewrite the state or the nonce
 * of the next authorization request (as a tampered link would), or run code when the provider
 * sends the browser back with its answer (after the person signed in and consented).
 */
const tamper: { state?: string; nonce?: string; onAnswer?: () => void } = {};

async function startProvider(redirectUri: string): Promise<{ issuer: string; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: `sub-${id}`, ...ACCOUNTS[id] }) }),
    claims: { openid: ['sub', 'roles'], email: ['email', 'email_verified'], profile: ['name'] },
    // Claims of the scopes asked for go into the ID token itself, as Entra ID and Keycloak do.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { IdToken: ID_TOKEN_SECONDS, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['oidc-provider-test-cookie-key'] },
  });
  provider.use(async (ctx, next) => {
    if (ctx.path === '/auth' && (tamper.state || tamper.nonce)) {
      const query = new URLSearchParams(ctx.querystring);
      if (tamper.state) query.set('state', tamper.state);
      if (tamper.nonce) query.set('nonce', tamper.nonce);
      ctx.querystring = query.toString();
      delete tamper.state;
      delete tamper.nonce;
    }
    if (ctx.path.startsWith('/auth/') && tamper.onAnswer) {
      tamper.onAnswer();
      delete tamper.onAnswer;
    }
    await next();
  });
  const handle = provider.callback();
  server.on('request', (request, response) => void handle(request, response));
  return { issuer, server };
}

for (const dialect of DIALECTS) {
  describe.skipIf(!hasChromium || dialect.skip)(`sign-in with OpenID Connect in Chromium (${dialect.name})`, () => {
    let t: TestApp;
    const clock = new ShiftedClock();
    let appUrl = '';
    let idp: { issuer: string; server: Server };
    let browser: Browser;
    let instanceId = '';
    let key = '';
    let page: Page | undefined;
    const contexts: BrowserContext[] = [];

    beforeAll(async () => {
      const build = spawnSync(process.execPath, ['scripts/build-web.mjs'], { encoding: 'utf8' });
      if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
      t = await createTestApp(dialect.name, { clock });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      // The desk at localhost and the provider at 127.0.0.1: two sites, as in production, so the
      // cookies' SameSite rules apply as they will there.
      appUrl = `http://localhost:${(t.app.server.address() as AddressInfo).port}`;
      idp = await startProvider(`${appUrl}/api/v1/session/oidc/callback`);

      // Another instance first: with several, the sign-in page knows which one only from the
      // address or from the instance this browser signed in to last (as on a shared store).
      const other = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/instances',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: 'Another desk' },
      });
      expect(other.statusCode).toBe(201);
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/instances',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: 'OIDC desk' },
      });
      ({ primaryKey: key } = JSON.parse(created.body));
      instanceId = JSON.parse(created.body).item.id;
      const api = client(t.app, key);
      // Ada is invited as an agent; the provider's role claim makes her an admin.
      expect((await api.post('/instance/users', { email: 'Ada@Example.com', name: 'Ada', role: 'agent', invite: false })).status).toBe(201);
      const configured = await api.put('/instance/oidc', {
        issuer: idp.issuer,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        displayName: 'Test IdP',
        roleClaim: 'roles',
        defaultRole: 'agent',
      });
      expect(configured.status, JSON.stringify(configured.body)).toBe(200);
      expect(configured.body.item).toEqual({
        issuer: idp.issuer,
        clientId: CLIENT_ID,
        hasClientSecret: true,
        displayName: 'Test IdP',
        roleClaim: 'roles',
        defaultRole: 'agent',
        redirectUri: 'http://localhost:80/api/v1/session/oidc/callback',
      });
      browser = await launch();
    }, 180_000);

    afterEach(async (context) => {
      clock.offsetMs = 0;
      for (const name of ['state', 'nonce', 'onAnswer'] as const) delete tamper[name];
      if (context.task.result?.state === 'fail' && page) {
        const path = join(tmpdir(), `e2e-oidc-${context.task.name.replace(/\W+/g, '-').slice(0, 60)}.png`);
        await page.screenshot({ path, fullPage: true }).catch(() => undefined);
        console.error(`screenshot of the failed step: ${path} (at ${page.url()})`);
      }
      for (const context of contexts.splice(0)) await context.close();
    });

    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => idp?.server.close(resolve));
      await t?.close();
    });

    /** A fresh browser (no provider session), at the instance's sign-in page. */
    async function freshPage(): Promise<Page> {
      const context = await browser.newContext();
      contexts.push(context);
      page = await context.newPage();
      page.setDefaultTimeout(30_000);
      await page.goto(`${appUrl}/?instance=${instanceId}`);
      await page.getByRole('heading', { name: 'Sign in to OIDC desk' }).waitFor();
      return page;
    }

    /** At the provider: its sign-in form, then its consent page. */
    async function signInAtProvider(tab: Page, login: string): Promise<void> {
      await tab.locator('input[name=login]').fill(login);
      await tab.locator('input[name=password]').fill('anything');
      await tab.getByRole('button', { name: 'Sign-in' }).click();
      await tab.getByRole('button', { name: 'Continue' }).click();
    }

    const sessionOf = async (tab: Page) => {
      const cookie = (await tab.context().cookies(appUrl)).find((c) => c.name === 'ticketing_session');
      if (!cookie) return undefined;
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: `ticketing_session=${cookie.value}` } });
      return me.statusCode === 200 ? JSON.parse(me.body) : undefined;
    };

    it('signs in through the provider: code with PKCE, state and nonce; the person by e-mail, the role from the claim', async () => {
      const tab = await freshPage();
      let authorization: URL | undefined;
      tab.on('request', (request) => {
        if (request.url().startsWith(`${idp.issuer}/auth`)) authorization ??= new URL(request.url());
      });
      await tab.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await signInAtProvider(tab, 'ada');
      await tab.getByRole('heading', { name: 'Desk' }).waitFor();
      expect(new URL(tab.url()).pathname).toBe('/tickets');
      await tab.getByRole('link', { name: 'Your account: Ada, Admin' }).waitFor();

      const params = authorization!.searchParams;
      expect(Object.fromEntries(['response_type', 'client_id', 'code_challenge_method', 'scope'].map((name) => [name, params.get(name)]))).toEqual({
        response_type: 'code',
        client_id: CLIENT_ID,
        code_challenge_method: 'S256',
        scope: 'openid email profile',
      });
      for (const name of ['code_challenge', 'state', 'nonce']) expect(params.get(name)!.length, name).toBeGreaterThanOrEqual(43);
      expect(params.get('redirect_uri')).toBe(`${appUrl}/api/v1/session/oidc/callback`);

      expect(await sessionOf(tab)).toMatchObject({ instance: { id: instanceId }, role: 'admin', method: 'oidc', user: { email: 'Ada@Example.com' } });
      const people = (await client(t.app, key).get('/instance/users')).body.items;
      expect(people).toEqual([expect.objectContaining({ email: 'Ada@Example.com', role: 'admin', hasOidc: true, lastSignInOn: expect.any(String) })]);
      // The flow is used up and its cookie gone.
      expect((await tab.context().cookies(appUrl)).map((c) => c.name)).toEqual(['ticketing_session']);
    });

    it('makes a newcomer the provider vouches for a person with the default role; without one, refuses them', async () => {
      const tab = await freshPage();
      await tab.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await signInAtProvider(tab, 'newbie');
      await tab.getByRole('link', { name: 'Your account: New Bie, Agent' }).waitFor();

      const api = client(t.app, key);
      const current = (await api.get('/instance/oidc')).body.item;
      expect((await api.put('/instance/oidc', { issuer: current.issuer, clientId: current.clientId, defaultRole: null })).status).toBe(200);
      const refused = await freshPage();
      await refused.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await signInAtProvider(refused, 'stranger');
      await refused.getByText('You are not a person of this instance yet').waitFor();
      expect(new URL(refused.url()).pathname + new URL(refused.url()).search).toBe('/signin?error=unknown_person');
      expect(await sessionOf(refused)).toBeUndefined();
      // An address the provider has not verified does not match anyone either.
      const unverified = await freshPage();
      await unverified.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await signInAtProvider(unverified, 'unverified');
      await unverified.getByText('You are not a person of this instance yet').waitFor();
      await api.put('/instance/oidc', { issuer: current.issuer, clientId: current.clientId, defaultRole: 'agent' });
    });

    it('refuses an answer with a state other than the one this browser sent', async () => {
      const tab = await freshPage();
      tamper.state = 'a-state-the-attacker-chose-0123456789abcdefghijklmnop';
      await tab.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await signInAtProvider(tab, 'ada');
      await tab.getByText('The sign-in did not come back to the browser that started it').waitFor();
      expect(tab.url()).toBe(`${appUrl}/signin?error=state`);
      expect(await sessionOf(tab)).toBeUndefined();
    });

    it('refuses an ID token made for another nonce', async () => {
      const tab = await freshPage();
      tamper.nonce = 'a-nonce-of-another-sign-in-0123456789abcdefghijklmnop';
      await tab.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await signInAtProvider(tab, 'ada');
      await tab.getByText('The sign-in answer was not for this sign-in').waitFor();
      expect(tab.url()).toBe(`${appUrl}/signin?error=nonce`);
      expect(await sessionOf(tab)).toBeUndefined();
    });

    it('refuses a replayed code: once the sign-in is used, and at the provider even with a fresh sign-in under way', async () => {
      const tab = await freshPage();
      let callback = '';
      tab.on('request', (request) => {
        if (request.url().startsWith(`${appUrl}/api/v1/session/oidc/callback`)) callback ||= request.url();
      });
      await tab.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await signInAtProvider(tab, 'ada');
      await tab.getByRole('heading', { name: 'Desk' }).waitFor();
      expect(callback).toContain('code=');

      // The same answer again: this browser's sign-in was used up.
      await tab.getByRole('button', { name: 'Sign out' }).click();
      await tab.getByRole('heading', { name: 'Sign in to OIDC desk' }).waitFor();
      await tab.goto(callback);
      await tab.waitForURL(`${appUrl}/signin?error=state`);
      expect(await sessionOf(tab)).toBeUndefined();

      // A new sign-in under way, and the old code slipped in with its state: the provider refuses the code.
      const started = await tab.context().request.get(`${appUrl}/api/v1/session/oidc/start?instance=${instanceId}`, { maxRedirects: 0 });
      expect(started.status()).toBe(302);
      const state = new URL(started.headers().location!).searchParams.get('state')!;
      const replay = new URL(callback);
      replay.searchParams.set('state', state);
      await tab.goto(replay.href);
      await tab.waitForURL(`${appUrl}/signin?error=code`);
      await tab.getByText('The sign-in provider refused to finish the sign-in').waitFor();
      expect(await sessionOf(tab)).toBeUndefined();
    });

    it('refuses an ID token that has expired by the time it arrives', async () => {
      const tab = await freshPage();
      // Five minutes pass between the provider's answer and the server's use of it: the ID token lives one.
      tamper.onAnswer = () => (clock.offsetMs = 5 * 60_000);
      await tab.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await signInAtProvider(tab, 'ada');
      await tab.getByText('The sign-in answer had expired').waitFor();
      expect(tab.url()).toBe(`${appUrl}/signin?error=expired`);
      expect(await sessionOf(tab)).toBeUndefined();
    });

    it('refuses a disabled person, and a callback without a sign-in under way', async () => {
      const api = client(t.app, key);
      const ada = (await api.get('/instance/users')).body.items.find((p: { email: string }) => p.email === 'Ada@Example.com');
      await api.put(`/instance/users/${ada.id}`, { disabled: true });
      const tab = await freshPage();
      await tab.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await signInAtProvider(tab, 'ada');
      await tab.getByText('Your account is disabled').waitFor();
      expect(tab.url()).toBe(`${appUrl}/signin?error=disabled`);
      await api.put(`/instance/users/${ada.id}`, { disabled: false });

      const forged = await t.app.inject({ method: 'GET', url: '/api/v1/session/oidc/callback?code=made-up&state=made-up' });
      expect([forged.statusCode, forged.headers.location]).toEqual([303, '/signin?error=state']);
      expect(forged.headers['set-cookie']).toMatch(/ticketing_oidc=;/);
    });
  });
}
