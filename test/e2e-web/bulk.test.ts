import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { dropPostgresDatabase, freshPostgresDatabase } from '../e2e/server-process.js';
import { DIALECTS, postgresUrl } from '../helpers.js';
import { acceptInvitation, hasChromium, launch, ME, seriousViolations, screenshotOnFailure, startHarness, type Harness } from './harness.js';

/*
 * Bulk actions on the desk (issue 18) in a real browser against a real server process: rows
 * selected with clicks, shift-clicks and the keyboard, kept while the windowed list scrolls; each
 * action one POST /tickets/bulk whose effect (and each ticket's activity) the API shows; a ticket
 * the API refuses stays selected with its reason listed; every matching ticket selected beyond
 * the loaded page; viewers see no selection at all.
 */
const RITA = { id: 'r@example.com', name: 'Rita Requestor', email: 'r@example.com' };
/** More than one page of the desk (50). */
const TICKETS = 60;

for (const dialect of DIALECTS)
  describe.skipIf(!hasChromium || dialect.skip)(`bulk actions on the desk in Chromium (${dialect.name})`, () => {
    let h: Harness;
    let databaseUrl = '';
    let browser: Browser;
    let page: Page;
    let bulkCalls = 0;
    let categoryId = '';

    const rows = () => page.locator('table.tickets tbody tr[data-index]');
    const row = (index: number) => page.locator(`table.tickets tbody tr[data-index="${index}"]`);
    const numberAt = async (index: number) => Number((await row(index).locator('td.col-id').textContent())!.trim());
    const box = (index: number) => row(index).getByRole('checkbox');
    const bar = () => page.getByRole('toolbar', { name: 'Bulk actions' });
    const notice = () => page.locator('.bulk-notice');
    const ticket = async (number: number) => (await h.call('GET', `/tickets/${number}`)).body.item;
    const activities = async (number: number) =>
      (await h.call('GET', `/tickets/${number}/activities`)).body.items as { type: string; field?: string; to?: unknown }[];
    const openDesk = async () => {
      await page.goto(`${h.server.url}/tickets`);
      await expect.poll(() => rows().count()).toBeGreaterThan(5);
    };

    beforeAll(async () => {
      if (dialect.name === 'postgres') databaseUrl = await freshPostgresDatabase(postgresUrl!, 'ticketing_e2e_bulk');
      h = await startHarness(databaseUrl ? { DATABASE_URL: databaseUrl } : {});
      const category = await h.call('POST', '/tags', { text: 'Area', color: '#2456c7', tags: [{ text: 'network' }] });
      expect(category.status).toBe(201);
      categoryId = category.body.item.id;
      for (let i = 1; i <= TICKETS; i++) {
        const created = await h.call('POST', '/tickets', { ticket: { title: `Printer ${i} jams`, requestor: RITA, priority: 'Medium' }, user: RITA });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
      }
      browser = await launch();
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US' });
      page = await context.newPage();
      page.setDefaultTimeout(30_000);
      page.on('request', (request) => {
        if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/v1/tickets/bulk') bulkCalls++;
      });
      await acceptInvitation(page, h.invitationUrl);
    }, 240_000);

    afterEach(screenshotOnFailure(`e2e-bulk-${dialect.name}`, () => page));

    afterAll(async () => {
      await browser?.close();
      await h?.server.stop();
      if (databaseUrl) await dropPostgresDatabase(databaseUrl);
    });

    it('selects with a click and a shift-click, and changes the priority of 3 tickets in one call, each with its activity', async () => {
      await openDesk();
      const numbers = [await numberAt(0), await numberAt(1), await numberAt(2)];
      const title = (await row(0).locator('.col-title a').textContent())!;
      expect(await box(0).getAttribute('aria-label')).toBe(`Select ticket #${numbers[0]} ${title}`);
      expect(await bar().count()).toBe(0);

      await box(0).click();
      await box(2).click({ modifiers: ['Shift'] });
      for (const i of [0, 1, 2]) expect(await box(i).isChecked()).toBe(true);
      expect(await box(3).isChecked()).toBe(false);
      await bar().getByText('3 selected').waitFor();
      // The bar is on screen, and the page is clean for axe with it shown.
      expect(await seriousViolations(page)).toEqual([]);

      const before = bulkCalls;
      await bar().getByRole('button', { name: 'Priority…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Priority of 3 tickets' });
      await dialog.getByLabel('Priority').selectOption('Urgent');
      expect(await seriousViolations(page, 'dialog')).toEqual([]);
      await dialog.getByRole('button', { name: 'Set the priority of 3 tickets' }).click();
      await notice().getByText('3 tickets updated (priority Urgent).').waitFor();
      expect(bulkCalls - before).toBe(1);
      // The button that had the focus went with the bar: the focus is on what happened.
      await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains('bulk-notice'))).toBe(true);
      // Done: nothing is selected any more, and the rows show the change without a reload.
      await bar().waitFor({ state: 'detached' });
      await expect.poll(() => row(1).locator('.badge', { hasText: 'Urgent' }).count()).toBe(1);

      for (const number of numbers) {
        expect((await ticket(number)).priority).toBe('Urgent');
        expect(await activities(number)).toEqual([expect.objectContaining({ type: 'fieldChange', field: 'priority', to: 'Urgent' })]);
      }
      // The ticket below the range was left alone.
      expect((await ticket(await numberAt(3))).priority).toBe('Medium');
    });

    it('selects with Space on a focused row, keeps the selection while the rows scroll out and back, and clears it when the view changes', async () => {
      await openDesk();
      await row(0).focus();
      await page.keyboard.press('Space');
      await expect.poll(() => box(0).isChecked()).toBe(true);
      await page.keyboard.press('j');
      await page.keyboard.press('x');
      await expect.poll(() => box(1).isChecked()).toBe(true);
      await bar().getByText('2 selected').waitFor();

      // Far down, row 0 leaves the page (windowing); back up, it is still selected.
      for (let step = 0; step < 20 && (await row(0).count()) > 0; step++) {
        await page.evaluate(() => window.scrollBy(0, 2_000));
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      }
      expect(await row(0).count()).toBe(0);
      await bar().getByText('2 selected').waitFor();
      await page.evaluate(() => window.scrollTo(0, 0));
      await expect.poll(() => row(0).count()).toBe(1);
      expect(await box(0).isChecked()).toBe(true);

      // Another view (a search) starts with nothing selected.
      await page.getByLabel('Search tickets').fill('Printer');
      await page.getByLabel('Search tickets').press('Enter');
      await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('Printer');
      await bar().waitFor({ state: 'detached' });
      await expect.poll(() => box(0).isChecked()).toBe(false);
    });

    it('assigns, adds a tag and changes the status of the selection, the resolution asked for first', async () => {
      await openDesk();
      const numbers = [await numberAt(3), await numberAt(4)];
      const pick = async () => {
        await box(3).click();
        await box(4).click();
        await bar().getByText('2 selected').waitFor();
      };

      await pick();
      await bar().getByRole('button', { name: 'Assign…' }).click();
      const assign = page.getByRole('dialog', { name: 'Assign 2 tickets' });
      await assign.getByLabel('Assignee').selectOption(ME.email);
      await assign.getByRole('button', { name: 'Assign 2 tickets' }).click();
      await notice().getByText(`2 tickets updated (assigned to ${ME.name}).`).waitFor();
      for (const number of numbers) expect((await ticket(number)).assignee).toMatchObject({ email: ME.email });
      await expect.poll(() => row(3).getByText(ME.email).count()).toBe(1);

      await pick();
      await bar().getByRole('button', { name: 'Add tags…' }).click();
      const tags = page.getByRole('dialog', { name: 'Add tags to 2 tickets' });
      await tags.getByLabel('Tags to add').fill('network');
      await tags.getByRole('button', { name: 'Add tag', exact: true }).click();
      await tags.getByRole('button', { name: 'Add tags to 2 tickets' }).click();
      await notice().getByText('2 tickets updated (tagged network).').waitFor();
      for (const number of numbers) expect((await ticket(number)).tags).toEqual([{ tagCategoryId: categoryId, text: 'network' }]);

      await pick();
      await bar().getByRole('button', { name: 'Status…' }).click();
      const status = page.getByRole('dialog', { name: 'Status of 2 tickets' });
      await status.getByLabel('New status').selectOption('Resolved');
      await status.getByRole('button', { name: 'Change the status of 2 tickets' }).click();
      await status.getByText('A resolved ticket needs a resolution').waitFor();
      await status.getByLabel('Resolution').selectOption('fixed');
      await status.getByLabel('Comment (optional)').fill('Fixed by the new driver');
      await status.getByRole('button', { name: 'Change the status of 2 tickets' }).click();
      await notice().getByText('2 tickets updated (status Resolved).').waitFor();
      for (const number of numbers) {
        expect(await ticket(number)).toMatchObject({ status: 'Resolved', resolution: 'fixed' });
        expect((await activities(number)).at(-1)).toMatchObject({ type: 'statusChange', to: 'Resolved', comment: 'Fixed by the new driver' });
      }
    });

    it('says which ticket the API refused and why, and keeps it selected', async () => {
      await openDesk();
      const numbers = [await numberAt(5), await numberAt(6), await numberAt(7)];
      const refused = numbers[1]!;
      const refusedTitle = (await row(6).locator('.col-title a').textContent())!;
      await box(5).click();
      await box(7).click({ modifiers: ['Shift'] });
      await bar().getByText('3 selected').waitFor();
      // Meanwhile someone closes one of them: closing it again is an invalid transition.
      expect((await h.call('PUT', `/tickets/${refused}/status`, { status: 'Closed', user: RITA })).status).toBe(200);

      const before = bulkCalls;
      await bar().getByRole('button', { name: 'Status…' }).click();
      const status = page.getByRole('dialog', { name: 'Status of 3 tickets' });
      await status.getByLabel('New status').selectOption('Closed');
      await status.getByRole('button', { name: 'Change the status of 3 tickets' }).click();
      await notice()
        .getByText(/^2 updated, 1 failed/)
        .waitFor();
      expect(bulkCalls - before).toBe(1);
      const failures = page.getByRole('list', { name: 'Tickets not updated' }).getByRole('listitem');
      expect(await failures.count()).toBe(1);
      expect(await failures.first().textContent()).toMatch(new RegExp(`^#${refused} ${refusedTitle}: .*Closed`));
      await bar().getByText('1 selected').waitFor();
      await expect.poll(() => box(6).isChecked()).toBe(true);
      expect(await box(5).isChecked()).toBe(false);
      expect(await box(7).isChecked()).toBe(false);
      for (const number of [numbers[0]!, numbers[2]!]) expect((await ticket(number)).status).toBe('Closed');
      // The failure and the bar pass axe together.
      expect(await seriousViolations(page)).toEqual([]);
      await bar().getByRole('button', { name: 'Clear selection' }).click();
      await bar().waitFor({ state: 'detached' });
    });

    it('selects every matching ticket beyond the loaded page and acts on all of them at once', async () => {
      await page.goto(`${h.server.url}/tickets?status=Open`);
      await expect.poll(() => rows().count()).toBeGreaterThan(5);
      const open = (await h.call('GET', '/tickets?status=Open&limit=1')).body.itemCount as number;
      expect(open).toBeGreaterThan(50);
      await page.locator('.list-foot', { hasText: `of ${open} tickets shown` }).waitFor();
      const loaded = Number((await page.locator('.list-foot').textContent())!.match(/^(\d+) of/)![1]);
      expect(loaded).toBeLessThan(open);

      await page.getByRole('checkbox', { name: 'Select all loaded' }).check();
      await bar().getByText(`${loaded} selected`).waitFor();
      await bar()
        .getByRole('button', { name: `Select all ${open} matching` })
        .click();
      await bar().getByText(`${open} selected`).waitFor();

      const before = bulkCalls;
      await bar().getByRole('button', { name: 'Priority…' }).click();
      const dialog = page.getByRole('dialog', { name: `Priority of ${open} tickets` });
      await dialog.getByLabel('Priority').selectOption('Low');
      await dialog.getByRole('button', { name: `Set the priority of ${open} tickets` }).click();
      await notice().getByText(`${open} tickets updated (priority Low).`).waitFor();
      expect(bulkCalls - before).toBe(1);
      expect((await h.call('GET', '/tickets?status=Open&priority=Low&limit=1')).body.itemCount).toBe(open);
    });

    it('shows a viewer no selection boxes and no bulk actions', async () => {
      const invited = await h.call('POST', '/instance/users', { email: 'vera.viewer@example.com', name: 'Vera Viewer', role: 'viewer' });
      expect(invited.status, JSON.stringify(invited.body)).toBe(201);
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
      try {
        const tab = await context.newPage();
        tab.setDefaultTimeout(30_000);
        await acceptInvitation(tab, invited.body.invitation.url);
        await expect.poll(() => tab.locator('table.tickets tbody tr[data-index]').count()).toBeGreaterThan(5);
        expect(await tab.getByRole('checkbox', { name: /^Select ticket/ }).count()).toBe(0);
        expect(await tab.getByRole('checkbox', { name: 'Select all loaded' }).count()).toBe(0);
        await tab.locator('table.tickets tbody tr[data-index="0"]').focus();
        await tab.keyboard.press('x');
        expect(await tab.getByRole('toolbar', { name: 'Bulk actions' }).count()).toBe(0);
      } finally {
        await context.close();
      }
    });
  });
