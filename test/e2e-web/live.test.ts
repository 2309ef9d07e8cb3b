import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { printedKeys, startServer, tempSqliteUrl, type ServerProcess } from '../e2e/server-process.js';
import { hasChromium, launch } from './harness.js';

/*
 * Live updates in a real browser (docs/api.md §13.1): two agents, each in a browser context of
 * their own, on one server process. Ada changes a ticket's status; Ben's open ticket page and his
 * desk show it without a reload, and his ticket page tells him who did it and who is there.
 */
const OPERATOR_TOKEN = 'tka_e2e-live-operator-token-of-32-characters-or-more';
const PASSWORD = 'a long password for live tests';
const requestor = { id: 'r@example.com', name: 'Rita Requestor', email: 'r@example.com' };

describe.skipIf(!hasChromium)('live updates in Chromium, two agents', () => {
  let server: ServerProcess;
  let key: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pages: Page[] = [];
  let ada: Page;
  let benTicket: Page;
  let benDesk: Page;
  let ticketNumber: number;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  /** A browser context of its own, signed in as a new person of the Default instance. */
  async function signedIn(name: string, role: 'admin' | 'agent'): Promise<BrowserContext> {
    const operator = { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' };
    const instances = await (await fetch(`${server.url}/api/v1/admin/instances`, { headers: operator })).json();
    const invited = await fetch(`${server.url}/api/v1/admin/instances/${instances.items[0].id}/users`, {
      method: 'POST',
      headers: operator,
      body: JSON.stringify({ email: `${name.toLowerCase()}@example.com`, name, role }),
    });
    expect(invited.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    pages.push(page);
    await page.goto((await invited.json()).invitation.url);
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('The same password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Save and sign in' }).click();
    await page.getByRole('heading', { name: 'Desk' }).waitFor();
    await page.close();
    pages.splice(pages.indexOf(page), 1);
    return context;
  }

  async function openPage(context: BrowserContext, path: string): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    pages.push(page);
    await page.goto(`${server.url}${path}`);
    return page;
  }

  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['scripts/build-web.mjs'], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
    server = await startServer({ DATABASE_URL: tempSqliteUrl(), RATE_LIMIT_MAX: '100000', ADMIN_TOKEN: OPERATOR_TOKEN });
    key = printedKeys(server.output()).primary;
    for (const title of ['Projector flickers', 'VPN drops every hour', 'New starter needs a laptop']) {
      const created = await call('POST', '/tickets', { ticket: { title, requestor }, user: requestor });
      expect(created.status).toBe(201);
      if (title === 'VPN drops every hour') ticketNumber = created.body.item.ticketId;
    }
    browser = await launch();
  }, 180_000);

  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail') return;
    for (const [n, page] of pages.entries()) {
      const path = join(tmpdir(), `e2e-web-live-${context.task.name.replace(/\W+/g, '-').slice(0, 50)}-${n}.png`);
      await page.screenshot({ path, fullPage: true }).catch(() => undefined);
      console.error(`screenshot of the failed step: ${path} (at ${page.url()})`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows Ben that Ada is viewing the ticket he has open', async () => {
    const adaContext = await signedIn('Ada', 'admin');
    const benContext = await signedIn('Ben', 'agent');
    benDesk = await openPage(benContext, '/tickets');
    await benDesk.getByRole('link', { name: 'VPN drops every hour' }).waitFor();
    benTicket = await openPage(benContext, `/tickets/${ticketNumber}`);
    await benTicket.getByRole('heading', { name: /VPN drops every hour/ }).waitFor();
    ada = await openPage(adaContext, `/tickets/${ticketNumber}`);
    await ada.getByRole('heading', { name: /VPN drops every hour/ }).waitFor();
    await benTicket.locator('.live-presence', { hasText: 'Ada is viewing' }).waitFor();
    // And Ada sees Ben, who was there first.
    await ada.locator('.live-presence', { hasText: 'Ben is viewing' }).waitFor();
  });

  it('shows Ben that Ada is replying while her comment box has text', async () => {
    await ada.getByRole('textbox', { name: 'Comment' }).click();
    await ada.keyboard.type('Looking into the VPN logs');
    await benTicket.locator('.live-presence', { hasText: 'Ada is replying' }).waitFor();
  });

  it("updates Ben's open ticket page and his desk when Ada changes the status, without a reload", async () => {
    const benUrl = benTicket.url();
    await ada.getByRole('radio', { name: 'Start' }).check();
    await ada.getByRole('button', { name: 'Start ticket' }).click();
    await ada.locator('.ticket-head .badge', { hasText: 'Started' }).waitFor();

    await benTicket.locator('.ticket-head .badge', { hasText: 'Started' }).waitFor();
    await benTicket.locator('.live-notice', { hasText: 'Ada updated this ticket.' }).waitFor();
    await benTicket.locator('.timeline .event.status').first().waitFor();
    const row = benDesk.getByRole('row').filter({ hasText: 'VPN drops every hour' });
    await row.locator('.badge', { hasText: 'Started' }).waitFor();
    expect(benTicket.url()).toBe(benUrl);
    // Ada's own change does not tell Ada about herself.
    expect(await ada.locator('.live-notice').count()).toBe(0);
  });

  it("leaves Ben's edit form alone when Ada changes the ticket meanwhile, and tells him", async () => {
    await benTicket.getByRole('button', { name: 'Edit ticket' }).click();
    const title = benTicket.getByLabel('Title');
    await title.fill('VPN drops every hour (Ben is typing)');
    expect((await call('PUT', `/tickets/${ticketNumber}`, { updates: { priority: 'Urgent' }, user: requestor })).status).toBe(200);
    await benTicket.locator('.live-notice', { hasText: 'Rita Requestor updated this ticket while you were editing it.' }).waitFor();
    expect(await title.inputValue()).toBe('VPN drops every hour (Ben is typing)');
  });

  it('refuses Ben’s save over a change he has not seen (If-Match), keeps what he typed, and saves it on his second try', async () => {
    const form = benTicket.getByRole('region', { name: 'Edit ticket' });
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.getByText(/Rita Requestor changed this ticket while you were editing it: your changes were not saved/).waitFor();
    expect(await benTicket.getByLabel('Title').inputValue()).toBe('VPN drops every hour (Ben is typing)');
    const unchanged = (await call('GET', `/tickets/${ticketNumber}`)).body.item;
    expect([unchanged.title, unchanged.priority]).toEqual(['VPN drops every hour', 'Urgent']);

    await form.getByRole('button', { name: 'Save changes' }).click();
    await benTicket.getByRole('heading', { name: /VPN drops every hour \(Ben is typing\)/ }).waitFor();
    const saved = (await call('GET', `/tickets/${ticketNumber}`)).body.item;
    // His title, and Rita's priority kept: only what he changed was sent.
    expect([saved.title, saved.priority]).toEqual(['VPN drops every hour (Ben is typing)', 'Urgent']);
  });

  it('tells Ada, whose edit form is open, that Ben changed the status meanwhile, instead of overwriting it', async () => {
    await ada.getByRole('heading', { name: /Ben is typing/ }).waitFor();
    await ada.getByRole('button', { name: 'Edit ticket' }).click();
    await ada.getByLabel('Title').fill('VPN drops hourly');
    await benTicket.getByRole('radio', { name: 'Resolve' }).check();
    await benTicket.getByLabel('Resolution').selectOption({ index: 1 });
    await benTicket.getByRole('button', { name: /Resolve ticket/ }).click();
    await benTicket.locator('.ticket-head .badge', { hasText: 'Resolved' }).waitFor();

    const form = ada.getByRole('region', { name: 'Edit ticket' });
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.getByText(/Ben changed this ticket while you were editing it/).waitFor();
    expect((await call('GET', `/tickets/${ticketNumber}`)).body.item.title).toBe('VPN drops every hour (Ben is typing)');
    await form.getByRole('button', { name: 'Cancel' }).click();
    // Cancel shows the ticket as Ben left it.
    await ada.locator('.ticket-head .badge', { hasText: 'Resolved' }).waitFor();
  });

  it('counts tickets created meanwhile on the desk and shows them when asked', async () => {
    // A desk without filters shows every new ticket: it counts them without asking the server which (select=ticketId).
    const asked: string[] = [];
    const listen = (request: { url(): string }) => void (request.url().includes('select=ticketId&') && asked.push(request.url()));
    benDesk.on('request', listen);
    expect((await call('POST', '/tickets', { ticket: { title: 'Printer jams on tray 2', requestor }, user: requestor })).status).toBe(201);
    await benDesk.getByText('A new ticket came in.').waitFor();
    benDesk.off('request', listen);
    expect(asked).toEqual([]);
    expect(await benDesk.getByRole('link', { name: 'Printer jams on tray 2' }).count()).toBe(0);
    await benDesk.locator('.live-strip').getByRole('button', { name: 'Show' }).click();
    await benDesk.getByRole('link', { name: 'Printer jams on tray 2' }).waitFor();
  });

  it('counts only the new tickets the desk’s filters show', async () => {
    await benDesk.goto(`${server.url}/tickets?priority=Urgent`);
    await benDesk.getByRole('link', { name: 'VPN drops every hour' }).waitFor();
    for (const [title, priority] of [
      ['Mouse squeaks', 'Low'],
      ['Server room is too hot', 'Urgent'],
    ]) {
      expect((await call('POST', '/tickets', { ticket: { title, priority, requestor }, user: requestor })).status).toBe(201);
    }
    await benDesk.locator('.live-strip').getByRole('button', { name: 'Show' }).waitFor();
    // Past the moment the two arrivals are counted (together, or one after the other).
    await benDesk.waitForTimeout(1_000);
    expect(await benDesk.locator('.live-strip').textContent()).toBe('A new ticket came in. Show');
    await benDesk.locator('.live-strip').getByRole('button', { name: 'Show' }).click();
    await benDesk.getByRole('link', { name: 'Server room is too hot' }).waitFor();
  });
});
