import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type { TestContext } from 'vitest';
import { CHROMIUM_PATH, launchChromium } from '../../scripts/chromium.mjs';
import { printedKeys, startServer, tempSqliteUrl, type ServerProcess } from '../e2e/server-process.js';

/*
 * What the browser tests share (Chromium, its flags and the skip rule; most also the server set-up below), as
 * web-app.test.ts does it: Debian's Chromium driven by playwright-core, a real server process on
 * SQLite, and the Default instance's first admin set up from the operator's invitation.
 */
export const hasChromium = existsSync(CHROMIUM_PATH);
// In CI (.ci/run sets REQUIRE_BROWSER=1) a missing browser is a failure, not a skip.
if (!hasChromium && process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM_PATH} is missing`);
if (!hasChromium) console.warn(`browser tests SKIPPED: ${CHROMIUM_PATH} is missing (apt-get install -y chromium)`);

export const ME = { name: 'Megan Bowen', email: 'megan.bowen@example.com' };
export const PASSWORD = 'a long password Megan chose';
const OPERATOR_TOKEN = 'tka_e2e-web-operator-token-of-32-characters-or-more';

export interface Harness {
  server: ServerProcess;
  keys: { primary: string; secondary: string };
  invitationUrl: string;
  /** The API with the primary key: `{ status, body }`. */
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
}

/** Builds the web app, starts a server and invites its first admin (the browser opens the link). */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const build = spawnSync(process.execPath, ['scripts/build-web.mjs'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
  const server = await startServer({ DATABASE_URL: tempSqliteUrl(), RATE_LIMIT_MAX: '100000', ADMIN_TOKEN: OPERATOR_TOKEN, ...env });
  const keys = printedKeys(server.output());
  const operator = { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' };
  const instances = await (await fetch(`${server.url}/api/v1/admin/instances`, { headers: operator })).json();
  const invited = await fetch(`${server.url}/api/v1/admin/instances/${instances.items[0].id}/users`, {
    method: 'POST',
    headers: operator,
    body: JSON.stringify({ email: ME.email, name: ME.name }),
  });
  if (invited.status !== 201) throw new Error(`invitation failed: ${invited.status} ${await invited.text()}`);
  const invitationUrl = (await invited.json()).invitation.url;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { 'X-API-Key': keys.primary, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return { server, keys, invitationUrl, call };
}

/** Chromium, headless. */
export const launch = launchChromium;

/** Opens the invitation link and chooses the password: the page is then signed in, on the desk. */
export async function acceptInvitation(page: Page, invitationUrl: string): Promise<void> {
  await page.goto(invitationUrl);
  await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('The same password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save and sign in' }).click();
  await page.getByRole('heading', { name: 'Desk' }).waitFor();
}

/** Signs in on the sign-in page shown. */
export async function signIn(page: Page): Promise<void> {
  await page.getByLabel('E-mail address').fill(ME.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/**
 * The serious and critical accessibility violations axe-core finds in the page as it is (or in
 * the part `include` selects), each with the elements at fault: `[]` when there are none.
 */
export async function seriousViolations(page: Page, include?: string): Promise<string[]> {
  // Evaluated rather than added as a <script>: the app's Content-Security-Policy (script-src
  // 'self') refuses inline scripts, and the check should run against the page as served.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async (context) => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(context ?? document, { resultTypes: ['violations'] });
    return result.violations;
  }, include ?? null);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => `${JSON.stringify(n.target)} (${n.failureSummary ?? ''})`).join('; ')}`);
}

/** Headings that skip a level (an h3 straight after an h1), as "h1 → h3 “Optional fields”". */
export async function skippedHeadingLevels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    let last = 0;
    for (const h of Array.from(document.querySelectorAll<HTMLElement>('h1, h2, h3, h4, h5, h6'))) {
      if (h.closest('dialog:not([open]), [hidden]') || h.getClientRects().length === 0) continue;
      const level = Number(h.tagName[1]);
      if (last > 0 && level > last + 1) found.push(`h${last} → h${level} “${h.textContent?.trim()}”`);
      last = level;
    }
    return found;
  });
}

/** How much wider than the window the page is, in CSS pixels (0: it fits). */
export const overflowX = (page: Page) => page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));

/**
 * An afterEach that photographs the page of a failed test (named `<prefix>-<test name>.png` in
 * the temporary folder) and says where, so a CI failure shows what the browser showed.
 */
export function screenshotOnFailure(prefix: string, page: () => Page | undefined): (test: TestContext) => Promise<void> {
  return async (test) => {
    const shown = page();
    if (test.task.result?.state !== 'fail' || !shown) return;
    const path = join(tmpdir(), `${prefix}-${test.task.name.replace(/\W+/g, '-').slice(0, 60)}.png`);
    await shown.screenshot({ path, fullPage: true }).catch(() => undefined);
    console.error(`screenshot of the failed step: ${path} (at ${shown.url()})`);
  };
}
