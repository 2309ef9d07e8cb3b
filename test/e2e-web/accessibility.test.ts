import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { acceptInvitation, hasChromium, launch, seriousViolations, skippedHeadingLevels, screenshotOnFailure, startHarness, type Harness } from './harness.js';

/*
 * Every page of the web app checked with axe-core (its WCAG 2 A/AA rules and best practices) in
 * Chromium, with enough in the instance that each page shows what it can (tickets with coloured
 * tags and custom fields, an SLA policy with a breach, rules, a webhook, people): no serious or
 * critical violation anywhere, and heading levels that never skip one.
 */
const RITA = { id: 'r@example.com', name: 'Rita Requestor', email: 'r@example.com' };
const SETTINGS_SECTIONS = ['people', 'sign-in', 'keys', 'general', 'fields', 'tags', 'assignees', 'sla', 'idle', 'due-alerts', 'webhooks'];

describe.skipIf(!hasChromium)('accessibility of every page (axe-core in Chromium)', () => {
  let h: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let ticketNumber = 0;
  let invitation: { violations: string[]; headings: string[] } | undefined;

  /** Opens `path`, waits for `ready`, and answers what axe finds (and skipped heading levels). */
  const check = async (where: Page, path: string, ready: (p: Page) => Promise<unknown>, include?: string) => {
    await where.goto(`${h.server.url}${path}`);
    await ready(where);
    return { violations: await seriousViolations(where, include), headings: await skippedHeadingLevels(where) };
  };

  beforeAll(async () => {
    h = await startHarness({ JOBS_POLL_MS: '150', WEBHOOK_ALLOW_PRIVATE: '1' });
    const fields: Record<string, { id: string }> = {};
    for (const field of [
      { name: 'Department', type: 'singleItemPicker', required: true, options: [{ text: 'Finance' }, { text: 'Facilities' }] },
      { name: 'Laptop serial', type: 'textField' },
      { name: 'Urgent customer', type: 'toggle' },
      { name: 'Watchers', type: 'peoplePicker' },
      { name: 'Cc', type: 'emailPicker' },
      { name: 'Due on site', type: 'datePicker' },
      { name: 'Areas', type: 'multipleItemsPicker', options: [{ text: 'North' }, { text: 'South' }] },
      { name: 'Notes for the visit', type: 'textArea' },
    ]) {
      const created = await h.call('POST', '/instance/customFields', field);
      expect(created.status).toBe(201);
      fields[field.name] = created.body.item;
    }
    const id = (name: string) => fields[name]!.id;
    expect(
      (
        await h.call('PUT', '/instance', {
          customFieldsLeft: [id('Department'), id('Laptop serial'), id('Areas')],
          customFieldsRight: [id('Urgent customer'), id('Due on site')],
          optionalFieldsLeft: [id('Watchers'), id('Notes for the visit')],
          optionalFieldsRight: [id('Cc')],
          sla: {
            enabled: true,
            timeZone: 'UTC',
            workingDays: [1, 2, 3, 4, 5, 6, 7],
            workingHours: { start: '00:00', end: '24:00' },
            holidays: [],
            targets: { Low: { firstResponseMinutes: 0 }, Urgent: { firstResponseMinutes: 60, resolutionMinutes: 480 } },
            breachAssignees: [],
          },
          isAutomaticAssignTickets: true,
          assigneeRules: [{ name: 'Network', conditions: { titleContains: ['vpn'] }, assignees: [{ id: 'a1', name: 'Ann Agent', email: 'ann@example.com' }] }],
          isAutoAssignIdleTickets: true,
          dayBeforeTicketsIdle: 3,
          idleTicketAssignedTo: [{ id: 'l1', name: 'Lea Lead', email: 'lea@example.com' }],
          alertNotification: { enabled: true, daysBeforeExpectedDate: 1, whenOverdue: true },
        })
      ).status,
    ).toBe(200);
    // Tag colours an admin may pick, pale ones included.
    const tags = [];
    for (const [i, color] of ['#ffe066', '#2456c7', '#00ff00', '#c026d3'].entries()) {
      const category = await h.call('POST', '/tags', { text: `Area ${i}`, color, tags: [{ text: `tag ${i}` }] });
      expect(category.status).toBe(201);
      tags.push({ tagCategoryId: category.body.item.id, text: `tag ${i}` });
    }
    const department = { [id('Department')]: [(fields.Department as unknown as { options: { id: string }[] }).options[0]!.id] };
    for (const [i, priority] of ['Urgent', 'Low', 'Medium', 'Important'].entries()) {
      const created = await h.call('POST', '/tickets', {
        ticket: {
          title: `VPN request ${i}`,
          description: 'Cannot reach the intranet from home.',
          priority,
          requestor: RITA,
          tags,
          customFields: { ...department, [id('Laptop serial')]: 'SN-1', [id('Cc')]: ['boss@example.com'] },
          expectedDate: '2030-01-01',
        },
        user: RITA,
      });
      expect(created.status).toBe(201);
      ticketNumber ||= created.body.item.ticketId;
    }
    const first = (await h.call('GET', `/tickets/${ticketNumber}`)).body.item;
    await h.call('POST', `/tickets/${first.id}/comments`, {
      comment_HTML: '<p>Tried <strong>twice</strong>, see <a href="https://example.com">the log</a>.</p>',
      user: RITA,
    });
    await h.call('POST', `/tickets/${first.id}/comments`, { comment: 'Only agents see this.', isPrivate: true, user: RITA });
    const resolved = (await h.call('GET', `/tickets/${ticketNumber + 2}`)).body.item;
    await h.call('PUT', `/tickets/${resolved.id}/status`, { status: 'Resolved', resolution: 'fixed', comment: 'Done.', user: RITA });
    expect((await h.call('POST', '/instance/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'], description: 'Our service' })).status).toBe(201);
    expect((await h.call('POST', '/instance/canned-responses', { title: 'On our way', body_HTML: '<p>Hello {{requester.name}}</p>' })).status).toBe(201);
    // The Low ticket's first response is due at once: its breach is on the alerts page.
    for (let tries = 0; (await h.call('GET', '/tickets?isFrtEscalated=true')).body.itemCount === 0; tries++) {
      if (tries > 100) throw new Error('the breach was not escalated');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    // The invitation link works once: its page is checked on the way to signing in.
    invitation = await check(page, new URL(h.invitationUrl).pathname + new URL(h.invitationUrl).hash, (p) =>
      p.getByRole('heading', { name: 'Welcome: choose your password' }).waitFor(),
    );
    await acceptInvitation(page, h.invitationUrl);
  }, 180_000);

  afterEach(screenshotOnFailure('e2e-a11y', () => page));

  afterAll(async () => {
    await browser?.close();
    await h?.server.stop();
  });

  it('the invitation page and the sign-in page', async () => {
    expect(invitation).toEqual({ violations: [], headings: [] });
    const anonymous = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    try {
      const tab = await anonymous.newPage();
      const signIn = await check(tab, '/', (p) => p.getByRole('heading', { name: /^Sign in to/ }).waitFor());
      expect(signIn).toEqual({ violations: [], headings: [] });
      // With its errors showing.
      await tab.getByRole('button', { name: 'Sign in', exact: true }).click();
      await tab.getByText('Your password').waitFor();
      expect(await seriousViolations(tab)).toEqual([]);
    } finally {
      await anonymous.close();
    }
  });

  it('the desk, with its filters', async () => {
    const desk = await check(page, '/tickets', (p) => p.locator('table.tickets tbody tr').first().waitFor());
    expect(desk).toEqual({ violations: [], headings: [] });
  });

  it('a ticket, and its edit form', async () => {
    const ticket = await check(page, `/tickets/${ticketNumber}`, (p) => p.locator('.timeline .event.comment').first().waitFor());
    expect(ticket).toEqual({ violations: [], headings: [] });
    await page.getByRole('button', { name: 'Edit ticket' }).click();
    await page.getByRole('heading', { name: 'Edit ticket' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(await skippedHeadingLevels(page)).toEqual([]);
  });

  it('the new-ticket form, empty and with its errors', async () => {
    const form = await check(page, '/tickets/new', (p) => p.getByRole('heading', { name: 'Optional fields' }).waitFor());
    expect(form).toEqual({ violations: [], headings: [] });
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.getByText('A title is required').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('the overview and its alerts', async () => {
    const overview = await check(page, '/overview', (p) => p.getByRole('heading', { name: 'Tickets by status' }).waitFor());
    expect(overview).toEqual({ violations: [], headings: [] });
    const alerts = await check(page, '/overview/alerts', (p) => p.locator('table.alerts tbody tr').first().waitFor());
    expect(alerts).toEqual({ violations: [], headings: [] });
  });

  it('the settings page, each of its sections (people, webhooks…), and a field dialog', async () => {
    const whole = await check(page, '/settings', (p) =>
      p
        .locator('#webhooks')
        .getByText(/^Our service/)
        .waitFor(),
    );
    expect(whole).toEqual({ violations: [], headings: [] });
    for (const section of SETTINGS_SECTIONS) {
      const found = await check(page, `/settings#${section}`, (p) => p.locator(`#${section}`).waitFor(), `#${section}`);
      expect(found.violations, section).toEqual([]);
    }
    // The dialogs: a new field, the question before a deletion, the question before an SLA policy applies.
    await page.locator('#fields').getByRole('button', { name: 'Add custom field' }).click();
    const dialog = page.getByRole('dialog', { name: 'New custom field' });
    await dialog.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('#fields').getByRole('button', { name: 'Delete Laptop serial' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete the field “Laptop serial”?' });
    await confirm.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#sla').getByRole('button', { name: 'Save SLA policy' }).click();
    const which = page.getByRole('dialog', { name: 'Which tickets does the policy apply to?' });
    await which.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await which.getByRole('button', { name: 'Cancel' }).click();
  });

  it('the account page', async () => {
    const account = await check(page, '/account', (p) => p.getByRole('heading', { name: 'Personal access tokens' }).waitFor());
    expect(account).toEqual({ violations: [], headings: [] });
  });

  it('the desk and a ticket on a phone', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await context.storageState() });
    try {
      const tab = await phone.newPage();
      expect(await check(tab, '/tickets', (p) => p.locator('table.tickets tbody tr').first().waitFor())).toEqual({ violations: [], headings: [] });
      expect(await check(tab, `/tickets/${ticketNumber}`, (p) => p.locator('.timeline .event.comment').first().waitFor())).toEqual({
        violations: [],
        headings: [],
      });
    } finally {
      await phone.close();
    }
  });
});
