import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seed } from '../../bench/seed.js';
import { dropPostgresDatabase, freshPostgresDatabase, startServer, tempSqliteUrl, type ServerProcess } from '../e2e/server-process.js';
import { DIALECTS, postgresUrl } from '../helpers.js';
import { hasChromium, launch } from './harness.js';

/*
 * The desk with thousands of tickets, in Chromium against a real server process on each store:
 * only the rows in view are in the page however far one scrolls, the total is the server's,
 * Back from a ticket returns to the same place, and the keyboard does what the shortcuts dialog
 * says (issue 18; docs/decisions/023-desk-windowing.md).
 */
const ME = { name: 'Dana Desk', email: 'dana.desk@example.com' };
const PASSWORD = 'a long password Dana chose';
const OPERATOR_TOKEN = 'tka_e2e-desk-operator-token-of-32-characters-or-more';
const TICKETS = 3_000;
/** The viewport's rows plus the overscan at both ends stay far below this; 3,000 rendered rows would not. */
const MAX_ROWS_IN_DOM = 80;

/** WCAG relative luminance and contrast of two "rgb(r, g, b)" colours. */
function contrast(a: string, b: string): number {
  const luminance = (rgb: string) => {
    const [r, g, bl] = rgb
      .match(/\d+(\.\d+)?/g)!
      .slice(0, 3)
      .map((v) => {
        const c = Number(v) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

beforeAll(() => {
  const build = spawnSync(process.execPath, ['scripts/build-web.mjs'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
});

for (const dialect of DIALECTS) {
  describe.skipIf(!hasChromium || dialect.skip)(`the desk at ${TICKETS.toLocaleString('en-US')} tickets in Chromium (${dialect.name})`, () => {
    let databaseUrl: string;
    let server: ServerProcess;
    let browser: Browser;
    let page: Page;
    let key = '';
    let total = 0;

    const rows = () => page.locator('table.tickets tbody tr[data-index]');
    const focusedRow = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.closest('tr')?.getAttribute('data-index') ?? null);
    const shown = async () => Number(((await page.locator('.list-foot').textContent()) ?? '').match(/^([\d,]+)/)?.[1]?.replaceAll(',', '') ?? 0);
    const inViewport = (index: number) =>
      page.evaluate((i) => {
        const box = document.querySelector(`table.tickets tbody tr[data-index="${i}"]`)?.getBoundingClientRect();
        return !!box && box.top >= 0 && box.bottom <= window.innerHeight;
      }, index);

    beforeAll(async () => {
      databaseUrl = dialect.name === 'postgres' ? await freshPostgresDatabase(postgresUrl!, 'ticketing_e2e_desk') : tempSqliteUrl();
      // The benchmark's loader: thousands of realistic tickets in seconds, not one POST each.
      const seeded = await seed(databaseUrl, TICKETS);
      key = seeded.primaryKey;
      server = await startServer({ DATABASE_URL: databaseUrl, RATE_LIMIT_MAX: '100000', ADMIN_TOKEN: OPERATOR_TOKEN });
      const listed = await fetch(`${server.url}/api/v1/tickets?limit=1`, { headers: { 'X-API-Key': key } });
      total = (await listed.json()).itemCount;
      expect(total).toBe(TICKETS);

      const invited = await fetch(`${server.url}/api/v1/admin/instances/${seeded.instanceId}/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email: ME.email, name: ME.name }),
      });
      expect(invited.status).toBe(201);
      const invitationUrl = (await invited.json()).invitation.url as string;
      browser = await launch();
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US' });
      page = await context.newPage();
      page.setDefaultTimeout(30_000);
      await page.goto(invitationUrl);
      await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('The same password again').fill(PASSWORD);
      await page.getByRole('button', { name: 'Save and sign in' }).click();
      await page.getByRole('heading', { name: 'Desk' }).waitFor();
    }, 240_000);

    afterEach(async (context) => {
      if (context.task.result?.state !== 'fail' || !page) return;
      const path = join(tmpdir(), `e2e-desk-${dialect.name}-${context.task.name.replace(/\W+/g, '-').slice(0, 60)}.png`);
      await page.screenshot({ path }).catch(() => undefined);
      console.error(`screenshot of the failed step: ${path} (at ${page.url()})`);
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      if (dialect.name === 'postgres' && databaseUrl) await dropPostgresDatabase(databaseUrl);
    });

    it('shows the total and keeps only the rows in view in the page while scrolling through a thousand', async () => {
      await page.locator('.desk-total', { hasText: `${total.toLocaleString('en-US')} tickets` }).waitFor();
      // Screen readers hear the whole list's size, and each row's place in it.
      expect(await page.getByRole('table').getAttribute('aria-rowcount')).toBe(String(total + 1));
      await expect.poll(() => rows().count()).toBeGreaterThan(5);
      expect(await page.getByRole('row').nth(1).getAttribute('aria-rowindex')).toBe('2');

      // Down until a thousand rows are loaded: the pages come as the window nears the end of what is loaded.
      for (let step = 0; step < 200 && (await shown()) < 1_000; step++) {
        await page.evaluate(() => window.scrollBy(0, 2_500));
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
        expect(await rows().count()).toBeLessThanOrEqual(MAX_ROWS_IN_DOM);
      }
      expect(await shown()).toBeGreaterThanOrEqual(1_000);
      expect(await rows().count()).toBeLessThanOrEqual(MAX_ROWS_IN_DOM);
      expect(await page.getByRole('row').count()).toBeLessThanOrEqual(MAX_ROWS_IN_DOM + 1);
      const first = Number(await rows().first().getAttribute('aria-rowindex'));
      expect(first).toBeGreaterThan(500);
      await page.getByText(new RegExp(`of ${total.toLocaleString('en-US')} tickets shown`)).waitFor();
    });

    it('returns to the same place, the same row focused, on Back from a ticket', async () => {
      const loadedBefore = await shown();
      const target = await page.evaluate(() => {
        const row = document.elementFromPoint(window.innerWidth / 2, window.innerHeight / 2)?.closest('tr[data-index]') as HTMLElement | null;
        return row ? { index: row.dataset.index!, number: row.querySelector('td.col-id')!.textContent!.trim(), scrollY: window.scrollY } : null;
      });
      expect(target).not.toBeNull();
      await page.locator(`table.tickets tbody tr[data-index="${target!.index}"] .col-title a`).click();
      await page.locator('h1', { hasText: `#${target!.number}` }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/tickets/${target!.number}`);

      await page.goBack();
      await page.getByRole('heading', { name: 'Desk' }).waitFor();
      await expect.poll(() => page.evaluate(() => window.scrollY)).toBe(target!.scrollY);
      const row = page.locator(`table.tickets tbody tr[data-index="${target!.index}"]`);
      expect((await row.locator('td.col-id').textContent())?.trim()).toBe(target!.number);
      expect(await inViewport(Number(target!.index))).toBe(true);
      // The pages already loaded came back with it (none asked for again from the first).
      expect(await shown()).toBeGreaterThanOrEqual(loadedBefore);
      await expect.poll(focusedRow).toBe(target!.index);
    });

    it('moves through the rows with j and k, opens one with Enter, and lists the shortcuts with ?', async () => {
      await page.goto(`${server.url}/tickets`);
      await expect.poll(() => rows().count()).toBeGreaterThan(5);
      await page.keyboard.press('j');
      await expect.poll(focusedRow).toBe('0');
      // The focus ring is visible: at least 3:1 against the row and the page (WCAG 2.4.13).
      const ring = await page.evaluate(() => {
        const row = document.activeElement as HTMLElement;
        const style = getComputedStyle(row);
        return { color: style.outlineColor, width: style.outlineWidth, background: style.backgroundColor };
      });
      expect(ring.width).toBe('3px');
      expect(contrast(ring.color, ring.background)).toBeGreaterThanOrEqual(3);
      expect(contrast(ring.color, 'rgb(255, 255, 255)')).toBeGreaterThanOrEqual(3);

      for (let i = 0; i < 40; i++) await page.keyboard.press('j');
      await expect.poll(focusedRow).toBe('40');
      // The window followed the selection.
      await expect.poll(() => inViewport(40)).toBe(true);
      await page.keyboard.press('k');
      await expect.poll(focusedRow).toBe('39');
      const number = (await rows().and(page.locator('[data-index="39"]')).locator('td.col-id').textContent())!.trim();
      await page.keyboard.press('Enter');
      await page.locator('h1', { hasText: `#${number}` }).waitFor();
      // The focus moved to what opened.
      await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
      await page.goBack();
      await expect.poll(focusedRow).toBe('39');

      // / goes to the search box; typed there, j is a letter, not a move.
      await page.keyboard.press('/');
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('desk-search');
      await page.keyboard.type('j');
      expect(await page.getByLabel('Search tickets').inputValue()).toBe('j');
      await page.getByLabel('Search tickets').fill('');

      // ? lists the shortcuts in a modal dialog: the focus is inside and stays there; Escape closes it.
      await page.locator('h1', { hasText: 'Desk' }).click();
      await page.keyboard.press('?');
      const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await dialog.waitFor();
      await dialog.getByText('Open the selected ticket').waitFor();
      const insideDialog = () => page.evaluate(() => !!document.activeElement?.closest('dialog[open]'));
      expect(await insideDialog()).toBe(true);
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Tab');
        expect(await insideDialog()).toBe(true);
      }
      await page.keyboard.press('Shift+Tab');
      expect(await insideDialog()).toBe(true);
      // Shortcuts sleep while it is open.
      await page.keyboard.press('j');
      expect(await insideDialog()).toBe(true);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    });

    it('skips past the filters to the tickets with the skip link', async () => {
      await page.goto(`${server.url}/tickets`);
      await expect.poll(() => rows().count()).toBeGreaterThan(5);
      // Keyboard from the top of the page: Skip to content, then the desk's own skip link.
      await page.keyboard.press('Tab');
      await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Skip to content');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      const skip = page.getByRole('link', { name: 'Skip to tickets' });
      await expect.poll(() => skip.evaluate((a) => a === document.activeElement)).toBe(true);
      // Shown while it has the focus.
      const box = await skip.boundingBox();
      expect(box && box.x >= 0 && box.y >= 0).toBe(true);
      await page.keyboard.press('Enter');
      const index = await focusedRow();
      expect(index).not.toBeNull();
      expect(await inViewport(Number(index))).toBe(true);
      // The next Tab goes into the row, not back through the filters.
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('table.tickets tbody'))).toBe(true);
    });

    it('stays windowed on a phone, where the rows are cards', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        await page.goto(`${server.url}/tickets`);
        await expect.poll(() => rows().count()).toBeGreaterThan(3);
        // Cards are taller than table rows: the window holds fewer, and still scrolls through the pages.
        for (let step = 0; step < 200 && (await shown()) < 200; step++) {
          await page.evaluate(() => window.scrollBy(0, 2_000));
          await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
          expect(await rows().count()).toBeLessThanOrEqual(MAX_ROWS_IN_DOM);
        }
        expect(await shown()).toBeGreaterThanOrEqual(200);
        // The card in the middle of the screen is where the layout says: no gap, no overlap from the spacers.
        const middle = await page.evaluate(() => document.elementFromPoint(window.innerWidth / 2, window.innerHeight / 2)?.closest('tr')?.className);
        expect(middle).not.toBe('spacer');
      } finally {
        await page.setViewportSize({ width: 1366, height: 900 });
      }
    });

    it('on a ticket, c, a and s reach the comment box, the assignee and the status, and a status change by keyboard moves the focus to it', async () => {
      const created = await fetch(`${server.url}/api/v1/tickets`, {
        method: 'POST',
        headers: { 'X-API-Key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ ticket: { title: 'Keyboard only, please', requestor: { id: ME.email, ...ME } }, user: { id: ME.email, ...ME } }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      const ticket = (await created.json()).item;
      await page.goto(`${server.url}/tickets/${ticket.ticketId}`);
      await page.locator('h1', { hasText: 'Keyboard only, please' }).waitFor();
      const active = () =>
        page.evaluate(() => ({
          id: document.activeElement?.id,
          name: document.activeElement?.getAttribute('name'),
          editable: (document.activeElement as HTMLElement | null)?.isContentEditable,
        }));

      await page.keyboard.press('c');
      await expect.poll(async () => (await active()).editable).toBe(true);
      // Typed into the comment, a is a letter.
      await page.keyboard.type('a note');
      expect(await page.locator('.comment-form [contenteditable="true"]').textContent()).toBe('a note');

      await page.locator('h1').focus();
      await page.keyboard.press('a');
      await expect.poll(async () => (await active()).id).toBe('t-assignee');

      await page.locator('h1').focus();
      await page.keyboard.press('s');
      await expect.poll(async () => (await active()).name).toBe('new-status');
      // Space picks the status under the focus; Tab reaches the button, Enter sends.
      await page.keyboard.press('Space');
      const submit = page
        .locator('form')
        .filter({ has: page.locator('input[name="new-status"]') })
        .locator('button[type="submit"]');
      await submit.waitFor();
      const verb = (await submit.textContent())!;
      for (let i = 0; i < 6 && !(await submit.evaluate((b) => b === document.activeElement)); i++) await page.keyboard.press('Tab');
      expect(await submit.evaluate((b) => b === document.activeElement)).toBe(true);
      await page.keyboard.press('Enter');
      await page.locator('.timeline > li').last().filter({ hasText: 'changed the status' }).waitFor();
      // The focus is on the new entry of the timeline.
      await expect.poll(() => page.evaluate(() => document.activeElement === document.querySelector('.timeline > li:last-child'))).toBe(true);
      const stored = await (await fetch(`${server.url}/api/v1/tickets/${ticket.id}`, { headers: { 'X-API-Key': key } })).json();
      expect(stored.item.status).not.toBe('Open');
      expect(verb).toMatch(/ticket$/);
    });
  });
}
