import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { PNG } from '../attachment-form.js';
import { printedKeys, startServer, tempSqliteUrl, type ServerProcess } from '../e2e/server-process.js';
import { hasChromium, launch } from './harness.js';

/*
 * Attachments in the web app, in a real browser against a real server: files picked and dropped
 * on the new-ticket form, files dropped on the comment box of a private note with a link beside
 * them, thumbnails of images, the ticket's file list with private files marked, and a download.
 */

/** Drops files on an element as a person dragging them from the desktop would (a DataTransfer with Files). */
async function dropFiles(page: Page, selector: string, files: { name: string; type: string; base64: string }[]) {
  await page.locator(selector).evaluate((target, list) => {
    const transfer = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], f.name, { type: f.type }));
    }
    for (const type of ['dragenter', 'dragover', 'drop'])
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
  }, files);
}

const OPERATOR_TOKEN = 'tka_e2e-web-operator-token-of-32-characters-or-more';

describe.skipIf(!hasChromium)('attachments in the web app (Chromium)', () => {
  let server: ServerProcess;
  let key: string;
  let browser: Browser;
  let page: Page;
  const api = async (path: string) => (await fetch(`${server.url}/api/v1${path}`, { headers: { 'X-API-Key': key } })).json();

  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['scripts/build-web.mjs'], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
    server = await startServer({ DATABASE_URL: tempSqliteUrl(), RATE_LIMIT_MAX: '100000', ADMIN_TOKEN: OPERATOR_TOKEN });
    key = printedKeys(server.output()).primary;
    // People sign in to the web app: the operator invites the Default instance's first admin.
    const operator = { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' };
    const instances = await (await fetch(`${server.url}/api/v1/admin/instances`, { headers: operator })).json();
    const invited = await fetch(`${server.url}/api/v1/admin/instances/${instances.items[0].id}/users`, {
      method: 'POST',
      headers: operator,
      body: JSON.stringify({ email: 'megan.bowen@example.com', name: 'Megan Bowen' }),
    });
    const invitationUrl: string = (await invited.json()).invitation.url;
    browser = await launch();
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(invitationUrl);
    await page.getByLabel('New password', { exact: true }).fill('megan has a long password');
    await page.getByLabel('The same password again').fill('megan has a long password');
    await page.getByRole('button', { name: 'Save and sign in' }).click();
    await page.getByRole('heading', { name: 'Desk' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('creates a ticket with a picked file and a dropped screenshot, shown with a thumbnail and in the file list', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New ticket' }).click();
    await page.getByLabel('Title', { exact: true }).fill('Monitor flickers');
    await page.getByLabel('Requestor', { exact: true }).fill('Rita Requestor <r@example.com>');
    await page.getByLabel('Description', { exact: true }).fill('See the screenshot and the log.');
    await page.setInputFiles('#tf-files', { name: 'display.log', mimeType: 'text/plain', buffer: Buffer.from('flicker at 14:02\n') });
    await dropFiles(page, '#tf-description', [{ name: 'screen.png', type: 'image/png', base64: PNG.toString('base64') }]);
    const toAttach = page.getByRole('list', { name: 'To attach' });
    await toAttach.getByText('display.log').waitFor();
    await toAttach.getByText('screen.png').waitFor();
    // An image shows its thumbnail before it is sent.
    expect(await toAttach.locator('img.thumb').count()).toBe(1);
    await page.getByRole('button', { name: 'Create ticket' }).click();

    await page.getByRole('heading', { name: /Monitor flickers/ }).waitFor();
    const files = page.getByRole('region', { name: /Files and links/ });
    await files.getByRole('link', { name: 'display.log' }).waitFor();
    const thumbnail = files.getByRole('img', { name: 'screen.png' });
    await thumbnail.waitFor();
    await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    await page.locator('.timeline').getByText('attached 2 files and links').waitFor();

    const ticketNumber = new URL(page.url()).pathname.split('/').pop();
    const stored = await api(`/tickets/${ticketNumber}/attachments`);
    expect(stored.items.map((a: { filename: string; contentType: string }) => [a.filename, a.contentType])).toEqual([
      ['display.log', 'text/plain'],
      ['screen.png', 'image/png'],
    ]);

    // Downloading a file gives its bytes under its name.
    const [download] = await Promise.all([page.waitForEvent('download'), files.getByRole('link', { name: 'display.log' }).click()]);
    expect(download.suggestedFilename()).toBe('display.log');
    expect(readFileSync((await download.path())!, 'utf8')).toBe('flicker at 14:02\n');
  });

  it('adds a private note with dropped files and a link; its files are marked private', async () => {
    await dropFiles(page, '.comment-form .rich-input', [
      { name: 'internal-notes.txt', type: 'text/plain', base64: Buffer.from('root cause: cable').toString('base64') },
      { name: 'cable.png', type: 'image/png', base64: PNG.toString('base64') },
    ]);
    await page.getByRole('textbox', { name: 'Comment', exact: true }).fill('Replaced the cable');
    await page.getByRole('button', { name: 'Add link' }).click();
    await page.getByLabel('Link address').fill('javascript:alert(1)');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('Only http and https links can be added').waitFor();
    await page.getByLabel('Link address').fill('https://vendor.example.com/cables/hdmi-2.1');
    await page.getByLabel('Link caption').fill('Cable spec');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('list', { name: 'To attach' }).getByText('Cable spec').waitFor();
    await page.getByRole('checkbox', { name: /Private note/ }).check();
    await page.getByRole('button', { name: 'Add private note' }).click();

    const note = page.locator('.timeline .event.comment.private').filter({ hasText: 'Replaced the cable' });
    await note.waitFor();
    await note.getByRole('img', { name: 'cable.png' }).waitFor();
    await note.getByRole('link', { name: 'internal-notes.txt' }).waitFor();
    const link = page.locator('.timeline').getByRole('link', { name: 'Cable spec' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('https://vendor.example.com/cables/hdmi-2.1');
    expect(await link.getAttribute('rel')).toContain('noopener');

    const files = page.getByRole('region', { name: /Files and links/ });
    await files.getByRole('link', { name: 'internal-notes.txt' }).waitFor();
    // The three new ones are private (marked), the first two are not.
    await expect.poll(() => files.locator('.badge.private').count()).toBe(3);

    const ticketNumber = new URL(page.url()).pathname.split('/').pop();
    const stored = await api(`/tickets/${ticketNumber}/attachments`);
    expect(stored.items.map((a: { filename: string; isPrivate: boolean }) => [a.filename, a.isPrivate])).toEqual([
      ['display.log', false],
      ['screen.png', false],
      ['internal-notes.txt', true],
      ['cable.png', true],
      ['hdmi-2.1', true],
    ]);
  });
});
