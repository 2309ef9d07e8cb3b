import { existsSync, writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { CHROMIUM_PATH, launchChromium } from '../scripts/chromium.mjs';

/*
 * The desk in Chromium against the benchmark's server (issue 18): how long from navigation to the
 * first row on screen, how long to scroll through 5,000 rows (pages fetched on the way, as a
 * person scrolling would), and the longest main-thread task while doing it (PerformanceObserver
 * 'longtask': tasks of 50 ms or more). Run by `npm run bench -- --only desk` (bench/run.ts), which
 * seeds the store and starts the server; targets: first row < 500 ms, no task over 100 ms while
 * scrolling.
 */

export interface DeskFigures {
  /** Navigation start → the first row painted, full page loads (the bundle from the server's cache headers as a browser has it). */
  firstRowMs: number[];
  firstRowMedianMs: number;
  /** Rows scrolled through, and how long it took (with the pages fetched on the way). */
  rowsScrolled: number;
  scrollSeconds: number;
  /** Listing requests made while scrolling. */
  pagesFetched: number;
  /** Long tasks (≥ 50 ms) while scrolling: how many, and the longest. */
  longTasksWhileScrolling: number;
  longestTaskWhileScrollingMs: number;
  /** The longest task of the page's whole life (loading included). */
  longestTaskMs: number;
  /** The longest gap between two animation frames while scrolling (a visible stall). */
  longestFrameMs: number;
  /** The most rows the page held at once while scrolling (the window plus overscan). */
  maxRowsInDom: number;
  /** DOM elements of the whole page at the end. */
  domNodesAtEnd: number;
  itemCount: number;
  targets: { firstRowUnder500ms: boolean; noTaskOver100msWhileScrolling: boolean };
}

const PASSWORD = 'a long password the benchmark chose';

/** Collects long tasks and the first row's paint time from the page's own clock (0 = navigation start). */
const PAGE_PROBE = `
  window.__longtasks = [];
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration }); })
      .observe({ type: 'longtask', buffered: true });
  } catch {}
  window.__firstRow = undefined;
  const watch = new MutationObserver(() => {
    if (window.__firstRow !== undefined || !document.querySelector('table.tickets tbody tr[data-index]')) return;
    window.__firstRow = -1;
    // Painted in the frame after it entered the DOM.
    requestAnimationFrame(() => { window.__firstRow = performance.now(); });
    watch.disconnect();
  });
  document.addEventListener('DOMContentLoaded', () => watch.observe(document.body, { childList: true, subtree: true }));
`;

export async function measureDesk(options: {
  serverUrl: string;
  instanceId: string;
  adminToken: string;
  rows?: number;
  loads?: number;
  log: (line: string) => void;
}): Promise<DeskFigures> {
  const { serverUrl, log } = options;
  const rowsWanted = options.rows ?? 5_000;
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`the desk benchmark needs Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

  const invited = await fetch(`${serverUrl}/api/v1/admin/instances/${options.instanceId}/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: `desk-bench-${Date.now()}@example.com`, name: 'Desk Benchmark' }),
  });
  if (invited.status !== 201) throw new Error(`inviting the benchmark's agent failed: ${invited.status} ${await invited.text()}`);
  const invitationUrl = ((await invited.json()) as { invitation: { url: string } }).invitation.url;

  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US' });
    await context.addInitScript(PAGE_PROBE);
    const page = await context.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(invitationUrl);
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('The same password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Save and sign in' }).click();
    await page.locator('table.tickets tbody tr[data-index]').first().waitFor();

    // First row: full loads of /tickets (a person opening the desk), after one to warm the server and the HTTP cache.
    const firstRowMs: number[] = [];
    const loads = options.loads ?? 5;
    for (let i = 0; i <= loads; i++) {
      await page.goto(`${serverUrl}/tickets`);
      await page.waitForFunction(
        () => typeof (window as unknown as { __firstRow?: number }).__firstRow === 'number' && (window as unknown as { __firstRow: number }).__firstRow > 0,
      );
      const ms = await page.evaluate(() => (window as unknown as { __firstRow: number }).__firstRow);
      if (i > 0) firstRowMs.push(Math.round(ms));
    }
    const sorted = [...firstRowMs].sort((a, b) => a - b);
    const firstRowMedianMs = sorted[Math.floor(sorted.length / 2)]!;
    log(`  desk: first row visible ${firstRowMs.join(', ')} ms (median ${firstRowMedianMs} ms) after navigation`);
    const itemCount = Number(((await page.locator('.desk-total').textContent()) ?? '').replace(/\D/g, ''));

    let pagesFetched = 0;
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/v1/tickets' && request.method() === 'GET') pagesFetched++;
    });
    // DESK_PROFILE=file.cpuprofile: the page's CPU profile while scrolling (open it in Chrome DevTools).
    const profileTo = process.env.DESK_PROFILE;
    const cdp = profileTo ? await context.newCDPSession(page) : undefined;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const scroll = await scrollThrough(page, rowsWanted);
    if (cdp && profileTo) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(profileTo, JSON.stringify(profile));
      log(`  desk: CPU profile of the scroll written to ${profileTo}`);
    }
    const tasks = await page.evaluate(() => (window as unknown as { __longtasks: { start: number; duration: number }[] }).__longtasks);
    const during = tasks.filter((t) => t.start + t.duration >= scroll.start && t.start <= scroll.end);
    const longestTaskWhileScrollingMs = Math.round(Math.max(0, ...during.map((t) => t.duration)));
    const figures: DeskFigures = {
      firstRowMs,
      firstRowMedianMs,
      rowsScrolled: scroll.rows,
      scrollSeconds: Math.round((scroll.end - scroll.start) / 100) / 10,
      pagesFetched,
      longTasksWhileScrolling: during.length,
      longestTaskWhileScrollingMs,
      longestTaskMs: Math.round(Math.max(0, ...tasks.map((t) => t.duration))),
      longestFrameMs: Math.round(scroll.longestFrame),
      maxRowsInDom: scroll.maxRows,
      domNodesAtEnd: await page.evaluate(() => document.getElementsByTagName('*').length),
      itemCount,
      targets: { firstRowUnder500ms: firstRowMedianMs < 500, noTaskOver100msWhileScrolling: longestTaskWhileScrollingMs <= 100 },
    };
    log(
      `  desk: ${figures.rowsScrolled.toLocaleString('en-US')} rows scrolled in ${figures.scrollSeconds} s (${pagesFetched} pages fetched), ` +
        `${figures.longTasksWhileScrolling} long tasks, longest ${longestTaskWhileScrollingMs} ms (whole page life: ${figures.longestTaskMs} ms), ` +
        `longest frame ${figures.longestFrameMs} ms, at most ${figures.maxRowsInDom} rows in the DOM, ${figures.domNodesAtEnd} elements at the end`,
    );
    return figures;
  } finally {
    await browser.close();
  }
}

/** How long the scroll may take before the benchmark gives up (DESK_SCROLL_TIMEOUT_MS; default 10 minutes). */
const DESK_SCROLL_TIMEOUT_MS = Number(process.env.DESK_SCROLL_TIMEOUT_MS ?? 600_000);

/**
 * Scrolls the window down a screenful per frame (a fast wheel) until row `rows` is on screen,
 * waiting at the end of what is loaded for the next page as a person would.
 */
async function scrollThrough(page: Page, rows: number): Promise<{ start: number; end: number; rows: number; longestFrame: number; maxRows: number }> {
  // A string, not a function: tsx's transform would add helpers (__name) the page does not have.
  return page.evaluate(`new Promise((resolve, reject) => {
    const target = ${rows};
    const start = performance.now();
    let last = start;
    let longestFrame = 0;
    let maxRows = 0;
    // Where the desk stood, if it never gets there: the list's foot, any alert, the rows and the scroll.
    const where = () => {
      const text = (selector) => (document.querySelector(selector)?.textContent ?? '').trim();
      const indexes = [...document.querySelectorAll('table.tickets tbody tr[data-index]')].map((row) => Number(row.dataset.index));
      return 'foot "' + text('.list-foot') + '", alert "' + text('.desk-list [role="alert"]') + '", rows ' + Math.min(...indexes) + '–' + Math.max(...indexes) +
        ', scrolled to ' + Math.round(window.scrollY + window.innerHeight) + ' of ' + document.documentElement.scrollHeight;
    };
    const timeout = setTimeout(() => reject(new Error('row ' + target + ' not reached in ' + (${DESK_SCROLL_TIMEOUT_MS} / 1000) + ' s: ' + where())), ${DESK_SCROLL_TIMEOUT_MS});
    const frame = (now) => {
      longestFrame = Math.max(longestFrame, now - last);
      last = now;
      const rendered = document.querySelectorAll('table.tickets tbody tr[data-index]');
      maxRows = Math.max(maxRows, rendered.length);
      const reached = [...rendered].find((row) => Number(row.dataset.index) >= target - 1);
      if (reached && reached.getBoundingClientRect().top < window.innerHeight) {
        clearTimeout(timeout);
        resolve({ start, end: performance.now(), rows: target, longestFrame, maxRows });
        return;
      }
      window.scrollBy(0, window.innerHeight * 0.8);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  })`);
}
