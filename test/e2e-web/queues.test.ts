import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { acceptInvitation, hasChromium, launch, ME, seriousViolations, screenshotOnFailure, startHarness, type Harness } from './harness.js';

/*
 * The desk's queues (issue 18) in a real browser against a real server process: the built-in
 * ones (mine, unassigned, escalated, due today) with their counts, saving the view on screen as a
 * shared view (docs/api.md §17), its count kept live as tickets come in, and deleting it.
 */
const RITA = { id: 'r@example.com', name: 'Rita Requestor', email: 'r@example.com' };

describe.skipIf(!hasChromium)('desk queues in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;
  const queues = () => page.getByRole('navigation', { name: 'Queues' });
  const queue = (name: string | RegExp) => queues().getByRole('link', { name });
  const create = async (title: string, extra: Record<string, unknown> = {}) => {
    const created = await h.call('POST', '/tickets', { ticket: { title, requestor: RITA, ...extra }, user: RITA });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  };

  beforeAll(async () => {
    h = await startHarness();
    const today = new Date().toISOString().slice(0, 10);
    await create('Mine and urgent', { assignee: { id: 'megan', ...ME }, priority: 'Urgent' });
    await create('Nobody has it');
    await create('Nobody has it either', { expectedDate: `${today}T12:00:00Z` });
    browser = await launch();
    // The browser's clock zone is the machine's; the queue's "today" is the browser's.
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: 'UTC' });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await acceptInvitation(page, h.invitationUrl);
  }, 180_000);

  afterEach(screenshotOnFailure('e2e-queues', () => page));

  afterAll(async () => {
    await browser?.close();
    await h?.server.stop();
  });

  it('shows the built-in queues with their counts, and opens each as a desk view', async () => {
    await expect.poll(() => queue(/^My open tickets/).textContent()).toBe('My open tickets1');
    await expect.poll(() => queue(/^Unassigned/).textContent()).toBe('Unassigned2');
    await expect.poll(() => queue(/^Due today/).textContent()).toBe('Due today1');
    await expect.poll(() => queue(/^Escalated/).textContent()).toBe('Escalated0');

    await queue(/^Unassigned/).click();
    await expect.poll(() => queue(/^Unassigned/).getAttribute('aria-current')).toBe('page');
    await expect.poll(() => page.locator('.desk-total').textContent()).toBe('2 tickets');
    expect(new URL(page.url()).searchParams.get('unassigned')).toBe('1');
    await expect.poll(() => page.getByRole('checkbox', { name: 'Unassigned only' }).isChecked()).toBe(true);
    await queue(/^My open tickets/).click();
    await expect.poll(() => page.locator('.desk-total').textContent()).toBe('1 ticket');
    await expect.poll(() => page.getByRole('link', { name: 'Mine and urgent' }).isVisible()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('saves the view on screen as a shared queue whose count follows new tickets, and deletes it', async () => {
    await page.goto(`${h.server.url}/tickets?priority=Urgent`);
    await expect.poll(() => page.locator('.desk-total').textContent()).toBe('1 ticket');
    await page.getByRole('button', { name: 'Save this view…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save this view' });
    await dialog.getByLabel('Name').fill('Urgent work');
    await dialog.getByRole('checkbox', { name: 'Share with everyone on the desk' }).check();
    expect(await seriousViolations(page, 'dialog')).toEqual([]);
    await dialog.getByRole('button', { name: 'Save view' }).click();
    await expect.poll(() => queue(/^Urgent work/).textContent()).toBe('Urgent work1');
    const saved = (await h.call('GET', '/instance/views')).body.items;
    expect(saved).toEqual([expect.objectContaining({ name: 'Urgent work', shared: true, query: { priority: 'Urgent' } })]);

    // A ticket that comes in is counted without a reload (the live stream, then a recount).
    await create('Another fire', { priority: 'Urgent' });
    await expect.poll(() => queue(/^Urgent work/).textContent(), { timeout: 20_000 }).toBe('Urgent work2');

    await queue(/^Unassigned/).click();
    await queue(/^Urgent work/).click();
    expect(new URL(page.url()).searchParams.get('priority')).toBe('Urgent');
    await expect.poll(() => page.locator('.desk-total').textContent()).toBe('2 tickets');

    await queues().getByRole('button', { name: 'Delete the view Urgent work' }).click();
    const confirm = page.getByRole('dialog', { name: /Delete the view/ });
    await confirm.getByRole('button', { name: 'Delete view' }).click();
    await expect.poll(() => queue(/^Urgent work/).count()).toBe(0);
    expect((await h.call('GET', '/instance/views')).body.items).toEqual([]);
  });
});
