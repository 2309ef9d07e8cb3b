import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  acceptInvitation,
  hasChromium,
  launch,
  ME,
  overflowX,
  signIn,
  skippedHeadingLevels,
  screenshotOnFailure,
  startHarness,
  type Harness,
} from './harness.js';

/*
 * The fixes agents asked for at the desk (issue 18), in a real browser against a real server
 * process: which tickets an SLA policy applies to, no assumed requestor, long titles that stay
 * on the screen, form errors that go once fixed, toasts that can be dismissed, readable tag
 * chips, heading levels in order, confirmed deletions, the status panel near the top on a phone,
 * and comment drafts that survive a session that ended.
 */
const RITA = { id: 'r@example.com', name: 'Rita Requestor', email: 'r@example.com' };
const LONG_TITLE = `Printer${'X'.repeat(400)}`;

describe.skipIf(!hasChromium)('desk fixes in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const fields: Record<string, { id: string }> = {};
  const open = async (path: string) => page.goto(`${h.server.url}${path}`);
  const ticketNumber = async (title: string, extra: Record<string, unknown> = {}) => {
    const created = await h.call('POST', '/tickets', { ticket: { title, requestor: RITA, ...extra }, user: RITA });
    expect(created.status).toBe(201);
    return created.body.item as { id: string; ticketId: number };
  };

  beforeAll(async () => {
    // A fast scheduler poll: a policy applied to open tickets reaches them within the test's patience.
    h = await startHarness({ JOBS_POLL_MS: '150' });
    for (const field of [
      { name: 'Laptop serial', type: 'textField' },
      { name: 'Cost centre', type: 'textField' },
    ]) {
      const created = await h.call('POST', '/instance/customFields', field);
      expect(created.status).toBe(201);
      fields[field.name] = created.body.item;
    }
    expect(
      (await h.call('PUT', '/instance', { customFieldsLeft: [fields['Laptop serial']!.id], optionalFieldsLeft: [fields['Cost centre']!.id] })).status,
    ).toBe(200);
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await acceptInvitation(page, h.invitationUrl);
  }, 180_000);

  afterEach(screenshotOnFailure('e2e-desk-fixes', () => page));

  afterAll(async () => {
    await browser?.close();
    await h?.server.stop();
  });

  it('asks whether a changed SLA policy is for new tickets only or for the open ones too, saying how many', async () => {
    const before = [await ticketNumber('VPN drops', { priority: 'Urgent' }), await ticketNumber('Wifi slow', { priority: 'Urgent' })];
    const done = await ticketNumber('Old resolved one', { priority: 'Urgent' });
    expect((await h.call('PUT', `/tickets/${done.id}/status`, { status: 'Resolved', resolution: 'fixed', user: RITA })).status).toBe(200);
    const openCount = (await h.call('GET', '/tickets/counts?isResolved=false')).body.itemCount;

    await open('/settings#sla');
    const sla = page.locator('#sla');
    await sla.getByRole('switch', { name: 'Apply the SLA policy' }).check();
    await sla.getByLabel('Urgent: first response, hours').fill('2');
    await sla.getByRole('button', { name: 'Save SLA policy' }).click();
    const which = page.getByRole('dialog', { name: 'Which tickets does the policy apply to?' });
    const newOnly = which.getByRole('radio', { name: `New tickets only: the ${openCount} open tickets keep the policy they follow` });
    await newOnly.waitFor();
    // The safe answer is the one chosen; nothing is saved until the person says so.
    expect(await newOnly.isChecked()).toBe(true);
    await which.getByRole('button', { name: 'Cancel' }).click();
    expect((await h.call('GET', '/instance')).body.item.sla).toBeNull();

    await sla.getByRole('button', { name: 'Save SLA policy' }).click();
    await which.getByRole('button', { name: 'Save SLA policy' }).click();
    await page.getByRole('status').filter({ hasText: 'SLA policy saved' }).waitFor();
    // Out of the way, so the next save's notice is the only one.
    await page.getByRole('button', { name: 'Dismiss: SLA policy saved' }).click();
    const fresh = (await h.call('POST', '/tickets', { ticket: { title: 'Printer jam', priority: 'Urgent', requestor: RITA }, user: RITA })).body.item;
    expect(fresh.frtDueOn).toEqual(expect.any(String));
    // Give the scheduler time to have re-applied anything it would have; the open tickets have no due date.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const t of before) expect((await h.call('GET', `/tickets/${t.id}`)).body.item.frtDueOn).toBeUndefined();

    // Changed again, for the open tickets too: they get their due dates.
    await sla.getByLabel('Urgent: first response, hours').fill('3');
    await sla.getByRole('button', { name: 'Save SLA policy' }).click();
    await which.getByRole('radio', { name: `New tickets and the ${openCount + 1} open tickets: their due dates are worked out again` }).check();
    await which.getByRole('button', { name: 'Save SLA policy' }).click();
    await page.getByRole('status').filter({ hasText: 'SLA policy saved' }).waitFor();
    for (const t of before)
      await expect.poll(async () => (await h.call('GET', `/tickets/${t.id}`)).body.item.frtDueOn, { timeout: 20_000 }).toEqual(expect.any(String));
    // Off again, for what follows.
    expect((await h.call('PUT', '/instance', { sla: null })).status).toBe(200);
  });

  it('has no requestor on a new ticket until the agent gives one, and each error goes once its field is fixed', async () => {
    await open('/tickets/new');
    const requestor = page.getByLabel('Requestor', { exact: true });
    expect(await requestor.inputValue()).toBe('');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    const titleError = page.getByText('A title is required');
    const requestorError = page.getByText('A requestor is required');
    await titleError.waitFor();
    await requestorError.waitFor();
    expect(await page.getByLabel('Title', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Title', { exact: true }).fill('Badge reader broken');
    await titleError.waitFor({ state: 'detached' });
    expect(await page.getByLabel('Title', { exact: true }).getAttribute('aria-invalid')).toBeNull();
    // The requestor's error stays until the requestor is given.
    expect(await requestorError.isVisible()).toBe(true);
    await requestor.fill('Rita Requestor <r@example.com>');
    await requestor.press('Enter');
    await requestorError.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.getByRole('heading', { name: /Badge reader broken/ }).waitFor();
    const number = Number(new URL(page.url()).pathname.split('/').pop());
    const stored = (await h.call('GET', `/tickets/${number}`)).body.item;
    expect(stored.requestor).toMatchObject({ name: 'Rita Requestor', email: 'r@example.com' });
    expect(stored.createdBy).toMatchObject({ email: ME.email });

    // So the agent's reply is the first response.
    await page.getByRole('textbox', { name: 'Comment', exact: true }).fill('Looking at it now.');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await page.locator('.timeline .event.comment').filter({ hasText: 'Looking at it now.' }).waitFor();
    expect((await h.call('GET', `/tickets/${number}`)).body.item.firstResponseOn).toEqual(expect.any(String));
  });

  it('keeps heading levels in order on the new-ticket form, with its optional fields', async () => {
    await open('/tickets/new');
    await page.getByRole('heading', { name: 'Optional fields', level: 2 }).waitFor();
    expect(await skippedHeadingLevels(page)).toEqual([]);
    // Editing, the form sits under "Edit ticket" (h2): its sections are h3.
    const t = await ticketNumber('Headings in order');
    await open(`/tickets/${t.ticketId}`);
    await page.getByRole('button', { name: 'Edit ticket' }).click();
    await page.getByRole('heading', { name: 'Optional fields', level: 3 }).waitFor();
    expect(await skippedHeadingLevels(page)).toEqual([]);
  });

  it('keeps a long unbroken title within the screen on the desk and the ticket page, wide and on a phone', async () => {
    const t = await ticketNumber(LONG_TITLE);
    await open('/tickets');
    await page.locator('table.tickets tbody tr').filter({ hasText: 'PrinterXXXX' }).first().waitFor();
    expect(await overflowX(page)).toBe(0);
    await open(`/tickets/${t.ticketId}`);
    await page.getByRole('heading', { name: /PrinterXXXX/ }).waitFor();
    expect(await overflowX(page)).toBe(0);

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await context.storageState() });
    try {
      const tab = await phone.newPage();
      await tab.goto(`${h.server.url}/tickets`);
      await tab.locator('table.tickets tbody tr').filter({ hasText: 'PrinterXXXX' }).first().waitFor();
      expect(await overflowX(tab)).toBe(0);
      await tab.goto(`${h.server.url}/tickets/${t.ticketId}`);
      await tab.getByRole('heading', { name: /PrinterXXXX/ }).waitFor();
      expect(await overflowX(tab)).toBe(0);
    } finally {
      await phone.close();
    }
  });

  it('puts the status and assignment controls near the top of the ticket page on a phone', async () => {
    const t = await ticketNumber('A long conversation', { description: 'Line of text.\n'.repeat(40) });
    for (let i = 1; i <= 12; i++) {
      expect((await h.call('POST', `/tickets/${t.id}/comments`, { comment: `Comment ${i}: ${'more words '.repeat(30)}`, user: RITA })).status).toBe(201);
    }
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await context.storageState() });
    try {
      const tab = await phone.newPage();
      await tab.goto(`${h.server.url}/tickets/${t.ticketId}`);
      const status = tab.getByRole('heading', { name: 'Status', exact: true });
      await status.waitFor();
      await tab.locator('.timeline .event.comment').filter({ hasText: 'Comment 12:' }).waitFor();
      const top = async (name: string) => (await tab.getByRole('heading', { name, exact: true }).boundingBox())!.y;
      // On the first screen, before the description and the conversation.
      expect(await top('Status')).toBeLessThan(844);
      expect(await top('Assignment')).toBeLessThan(await top('Description'));
      expect(await top('Status')).toBeLessThan(await top('Activity'));
      // In the page's order too, so the keyboard reaches them first, as the eye does.
      const order = await tab.evaluate(() => Array.from(document.querySelectorAll('main h2'), (h) => h.textContent?.trim()));
      expect(order.indexOf('Status')).toBeLessThan(order.indexOf('Description'));
    } finally {
      await phone.close();
    }
    // On a wide screen they stay in the side column, next to the description.
    await open(`/tickets/${t.ticketId}`);
    const box = async (name: string) => (await page.getByRole('heading', { name, exact: true }).boundingBox())!;
    await page.getByRole('heading', { name: 'Status', exact: true }).waitFor();
    expect((await box('Status')).x).toBeGreaterThan((await box('Description')).x + 300);
    expect(Math.abs((await box('Status')).y - (await box('Description')).y)).toBeLessThan(5);
    expect((await box('Details')).y).toBeGreaterThan((await box('Assignment')).y);
  });

  it('shows notices that can be dismissed, at most three at once, the successes going by themselves', async () => {
    await open('/settings#due-alerts');
    const due = page.locator('#due-alerts');
    await due.getByRole('switch', { name: 'Alert about expected dates' }).check();
    for (let i = 0; i < 5; i++) {
      await due.getByRole('button', { name: 'Save due-date alerts' }).click();
      await expect.poll(() => page.locator('.toasts .toast').count()).toBeGreaterThan(0);
    }
    const toasts = page.locator('.toasts .toast');
    expect(await toasts.count()).toBeLessThanOrEqual(3);
    const first = toasts.first();
    const text = (await first.locator('.toast-text').textContent())!;
    const before = await toasts.count();
    await first.getByRole('button', { name: `Dismiss: ${text}` }).click();
    await expect.poll(() => toasts.count()).toBeLessThan(before);
    // A success goes by itself after a few seconds.
    await expect.poll(() => toasts.count(), { timeout: 20_000 }).toBe(0);
  });

  it('gives tag chips a text colour readable on their background (4.5:1), whatever the category colour', async () => {
    const colours = ['#ffe066', '#00ff00', '#ffffff', '#2456c7', '#000000'];
    const tags = [];
    for (const [i, color] of colours.entries()) {
      const category = await h.call('POST', '/tags', { text: `Colour ${i}`, color, tags: [{ text: `tag${i}` }] });
      expect(category.status).toBe(201);
      tags.push({ tagCategoryId: category.body.item.id, text: `tag${i}` });
    }
    const t = await ticketNumber('Colourful', { tags });
    const ratios = async (where: Page) =>
      where.evaluate(() => {
        const channel = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
        const lum = (css: string) => {
          const [r, g, b] = css.match(/\d+(\.\d+)?/g)!.map(Number) as [number, number, number];
          return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
        };
        return Array.from(document.querySelectorAll<HTMLElement>('.tag'), (chip) => {
          const style = getComputedStyle(chip);
          const [a, b] = [lum(style.color), lum(style.backgroundColor)].sort((x, y) => y - x) as [number, number];
          return { text: chip.textContent, ratio: (a + 0.05) / (b + 0.05) };
        });
      });
    await open(`/tickets/${t.ticketId}`);
    await page.locator('.tag', { hasText: 'tag4' }).first().waitFor();
    const onTicket = await ratios(page);
    expect(onTicket.length).toBeGreaterThanOrEqual(colours.length);
    for (const chip of onTicket) expect(chip.ratio, `${chip.text}`).toBeGreaterThanOrEqual(4.5);
    await open('/tickets?q=Colourful');
    await page.locator('table.tickets .tag', { hasText: 'tag0' }).waitFor();
    for (const chip of await ratios(page)) expect(chip.ratio, `${chip.text}`).toBeGreaterThanOrEqual(4.5);
  });

  it('asks before deleting a custom field or a tag category, in a dialog', async () => {
    const category = await h.call('POST', '/tags', { text: 'Floors', color: '#2456c7', tags: [{ text: 'First' }] });
    await open('/settings#fields');
    const section = page.locator('#fields');
    await section.getByRole('button', { name: 'Delete Laptop serial' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete the field “Laptop serial”?' });
    await confirm.waitFor();
    // The safe button has the focus: Enter does not delete.
    expect(await confirm.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement)).toBe(true);
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    const field = () => h.call('GET', '/instance').then((r) => r.body.item.customFields.find((f: { id: string }) => f.id === fields['Laptop serial']!.id));
    expect((await field()).deleted).toBe(false);
    await section.getByRole('button', { name: 'Delete Laptop serial' }).click();
    await confirm.getByRole('button', { name: 'Delete field' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted “Laptop serial”' }).waitFor();
    expect((await field()).deleted).toBe(true);

    const tags = page.locator('#tags');
    await tags.getByRole('button', { name: 'Delete Floors' }).click();
    const confirmTag = page.getByRole('dialog', { name: 'Delete the tag category “Floors”?' });
    await confirmTag.getByRole('button', { name: 'Cancel' }).click();
    await confirmTag.waitFor({ state: 'hidden' });
    const stored = () => h.call('GET', '/tags').then((r) => r.body.items.find((c: { id: string }) => c.id === category.body.item.id));
    expect((await stored()).deleted).toBe(false);
    await tags.getByRole('button', { name: 'Delete Floors' }).click();
    await confirmTag.getByRole('button', { name: 'Delete category' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted “Floors”' }).waitFor();
    expect((await stored()).deleted).toBe(true);
  });

  it('keeps a comment draft per ticket across a reload and a session that ended, and posts it after signing in again', async () => {
    const t = await ticketNumber('Draft keeper');
    const other = await ticketNumber('Another ticket');
    await open(`/tickets/${t.ticketId}`);
    const box = page.getByRole('textbox', { name: 'Comment', exact: true });
    await box.fill('Half-written reply about the printer');
    // The draft belongs to this ticket only.
    await open(`/tickets/${other.ticketId}`);
    await page.getByRole('heading', { name: /Another ticket/ }).waitFor();
    expect(await box.textContent()).toBe('');
    await open(`/tickets/${t.ticketId}`);
    await expect.poll(() => box.textContent()).toBe('Half-written reply about the printer');

    // The session ends elsewhere (signed out in another tab of the same browser profile).
    const elsewhere = await browser.newContext({ storageState: await context.storageState() });
    try {
      const out = await elsewhere.request.delete(`${h.server.url}/api/v1/session`, { headers: { 'X-Requested-With': 'ticketing-web' } });
      expect(out.status()).toBe(204);
    } finally {
      await elsewhere.close();
    }
    await box.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(', nearly done.');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await page.getByText('Your session ended. Sign in again to carry on where you were').waitFor();
    await signIn(page);

    // Back on the ticket, the draft as it was when the session ended.
    await page.getByRole('heading', { name: /Draft keeper/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/tickets/${t.ticketId}`);
    await expect.poll(() => box.textContent()).toBe('Half-written reply about the printer, nearly done.');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await page.locator('.timeline .event.comment').filter({ hasText: 'Half-written reply about the printer, nearly done.' }).waitFor();
    const comments = (await h.call('GET', `/tickets/${t.id}/activities`)).body.items.filter((a: { type: string }) => a.type === 'comment');
    expect(comments.map((c: { comment: string }) => c.comment)).toEqual(['Half-written reply about the printer, nearly done.']);

    // Posted, the draft is gone: the box is empty, after a reload too.
    expect(await box.textContent()).toBe('');
    await page.reload();
    await page.getByRole('heading', { name: /Draft keeper/ }).waitFor();
    expect(await box.textContent()).toBe('');
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('ticketing.draft.')))).toEqual([]);
  });
});
